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
const StreamCallback = koffi.proto(
  'int cst_audio_stream_callback(void *wave, int start, int size, int last, void *asi)',
);
const CstStreamingInfo = koffi.struct('cst_audio_streaming_info', {
  min_buffsize: 'int',
  asc: koffi.pointer(StreamCallback),
  utt: 'void *',
  item: 'void *',
  userdata: 'void *',
});
/**
 * Feature names as C strings that live as long as the process: flite keeps the name pointer it is given,
 * and a string converted for one call is freed after it, so the next name would overwrite the last.
 */
const DURATION_STRETCH = Buffer.from('duration_stretch\0');
const STREAMING_INFO = Buffer.from('streaming_info\0');

/** Samples per streamed chunk at the least (100 ms at 16 kHz): small enough to start early, large enough to be cheap. */
const MIN_CHUNK_SAMPLES = 1600;

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
    featSet: flite.func('void feat_set(void *features, const uint8_t *name, void *value)'),
    newStreamingInfo: flite.func('void *new_audio_streaming_info()'),
    streamingInfoVal: flite.func('void *audio_streaming_info_val(void *asi)'),
    featSetFloat: flite.func('void flite_feat_set_float(void *features, const uint8_t *name, float value)'),
  };
  api.init();
  return api;
}

let lib: ReturnType<typeof bind> | undefined;
const voices = new Map<FliteVoice, Ptr>();

function loadVoice(name: FliteVoice): Ptr {
  let voice = voices.get(name);
  if (!voice) {
    const library = koffi.load(`libflite_cmu_us_${name}.so.1`);
    voice = library.func(`void *register_cmu_us_${name}(const char *voxdir)`)(null) as Ptr;
    if (!voice) throw new Error(`flite could not load voice ${name}`);
    voices.set(name, voice);
  }
  return voice;
}

/**
 * Synthesises one sentence with flite (20-50 ms of CPU, blocking: only worker threads call this), handing
 * audio to `onChunk` as flite produces it, so the first chunk is ready in about 20 ms whatever the
 * sentence length. `rate` above 1 speaks faster.
 */
export function fliteSynthesize(
  text: string,
  voiceName: FliteVoice,
  rate: number,
  onChunk: (samples: Int16Array, sampleRate: number) => void,
): void {
  lib ??= bind();
  const voice = loadVoice(voiceName);
  const callback = koffi.register((wave: Ptr, start: number, size: number) => {
    const { sample_rate: sampleRate, samples } = koffi.decode(wave, CstWave) as {
      sample_rate: number;
      samples: Ptr;
    };
    // Copy out of flite's buffer, which it reallocates as it grows.
    onChunk(new Int16Array(koffi.view(samples, (start + size) * 2).slice(start * 2)), sampleRate);
    return 0; // CST_AUDIO_STREAM_CONT
  }, koffi.pointer(StreamCallback));
  // Both settings go on the utterance: flite_text_to_wave ignores a duration stretch set on the voice.
  const utterance: Ptr = lib.newUtterance();
  try {
    lib.setInputText(utterance, text);
    lib.uttInit(utterance, voice);
    const { features } = koffi.decode(utterance, CstUtterance) as { features: Ptr };
    lib.featSetFloat(features, DURATION_STRETCH, 1 / rate);
    const streaming: Ptr = lib.newStreamingInfo();
    koffi.encode(streaming, CstStreamingInfo, {
      min_buffsize: MIN_CHUNK_SAMPLES,
      asc: callback,
      utt: null,
      item: null,
      userdata: null,
    });
    lib.featSet(features, STREAMING_INFO, lib.streamingInfoVal(streaming)); // freed with the utterance
    if (!lib.uttSynth(utterance)) throw new Error('flite failed to synthesise the text');
  } finally {
    lib.deleteUtterance(utterance);
    koffi.unregister(callback);
  }
}
