import koffi from 'koffi';

/** flite voices Debian ships in libflite1, with their native sample rates. */
export const FLITE_VOICES = { slt: 16000, kal16: 16000, awb: 16000, rms: 16000, kal: 8000 } as const;
export type FliteVoice = keyof typeof FLITE_VOICES;

export function isFliteVoice(name: string): name is FliteVoice {
  return Object.hasOwn(FLITE_VOICES, name);
}

const CstWave = koffi.struct('cst_wave', {
  type: 'const char *',
  sample_rate: 'int',
  num_samples: 'int',
  num_channels: 'int',
  samples: 'int16_t *',
});
// Only the first field of cst_utterance is read: its feature set.
const CstUtterance = koffi.struct('cst_utterance', { features: 'void *' });

/**
 * A C string in native memory that is never freed. flite keeps the feature-name pointers it is given;
 * a string (or Buffer) converted by koffi for one call lives only for that call, so a later call
 * overwrote the name and flite later read freed memory (a crash in feat_val).
 */
function permanentCString(text: string): unknown {
  const bytes = Buffer.from(`${text}\0`);
  const pointer: unknown = koffi.alloc('uint8_t', bytes.length);
  koffi.encode(pointer, 'uint8_t', [...bytes], bytes.length);
  return pointer;
}

const DURATION_STRETCH = permanentCString('duration_stretch');

type Ptr = unknown;

function bind() {
  const flite = koffi.load('libflite.so.1');
  const api = {
    init: flite.func('int flite_init()'),
    newUtterance: flite.func('void *new_utterance()'),
    setInputText: flite.func('void utt_set_input_text(void *utt, const char *text)'),
    uttInit: flite.func('void *utt_init(void *utt, void *voice)'),
    uttSynth: flite.func('void *utt_synth(void *utt)'),
    deleteUtterance: flite.func('void delete_utterance(void *utt)'),
    uttWave: flite.func('void *utt_wave(void *utt)'),
    featSetFloat: flite.func('void flite_feat_set_float(void *features, void *name, float value)'),
  };
  api.init();
  return api;
}

let lib: ReturnType<typeof bind> | undefined;
/**
 * Loaded voices with their libraries. The library objects must stay reachable: a collected koffi library
 * is unloaded, and the voice's features, which point into it, then crash flite (in feat_val) the next
 * time a sentence is spoken with that voice.
 */
const voices = new Map<FliteVoice, { readonly voice: Ptr; readonly library: unknown }>();

function loadVoice(name: FliteVoice): Ptr {
  let loaded = voices.get(name);
  if (!loaded) {
    const library = koffi.load(`libflite_cmu_us_${name}.so.1`);
    const voice = library.func(`void *register_cmu_us_${name}(const char *voxdir)`)(null) as Ptr;
    if (!voice) throw new Error(`flite could not load voice ${name}`);
    loaded = { voice, library };
    voices.set(name, loaded);
  }
  return loaded.voice;
}

/**
 * Synthesises one sentence with flite (20-50 ms of CPU, blocking: only worker threads call this) and
 * returns its audio. `rate` above 1 speaks faster.
 *
 * flite can also stream through an audio callback (first audio after about 20 ms), but reading the
 * wave from inside that callback corrupted flite's memory after a few hundred sentences (a crash in
 * feat_val), so each sentence is synthesised whole.
 */
export function fliteSynthesize(
  text: string,
  voiceName: FliteVoice,
  rate: number,
): { samples: Int16Array; sampleRate: number } {
  lib ??= bind();
  const voice = loadVoice(voiceName);
  // The stretch goes on the utterance: flite_text_to_wave ignores a duration stretch set on the voice.
  const utterance: Ptr = lib.newUtterance();
  try {
    lib.setInputText(utterance, text);
    lib.uttInit(utterance, voice);
    const { features } = koffi.decode(utterance, CstUtterance) as { features: Ptr };
    lib.featSetFloat(features, DURATION_STRETCH, 1 / rate);
    if (!lib.uttSynth(utterance)) throw new Error('flite failed to synthesise the text');
    const wave: Ptr = lib.uttWave(utterance);
    if (!wave) throw new Error('flite produced no audio');
    const {
      sample_rate: sampleRate,
      num_samples: count,
      samples,
    } = koffi.decode(wave, CstWave) as {
      sample_rate: number;
      num_samples: number;
      samples: Ptr;
    };
    // Copy out of flite's buffer before delete_utterance frees it.
    const copy = count > 0 ? new Int16Array(koffi.view(samples, count * 2).slice(0)) : new Int16Array(0);
    return { samples: copy, sampleRate };
  } finally {
    lib.deleteUtterance(utterance);
  }
}
