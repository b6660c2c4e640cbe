import koffi from 'koffi';
import { withOffScriptAlternative } from '../grammars.ts';
import { POCKETSPHINX_MODEL_DIR } from '../system-dependencies.ts';

/** pocketsphinx's feature frame rate: segment times are in 10 ms frames. */
const FRAMES_PER_SECOND = 100;
/** pocketsphinx's default log base: probabilities come as log base 1.0001. */
const LOG_BASE = 1.0001;
/** An utterance longer than this under a grammar is not decoded a second time (its audio is not kept). */
const MAX_REDECODE_SAMPLES = 30 * 16000;

export interface DecodedWord {
  readonly word: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Posterior probability of the word, 0 to 1. */
  readonly confidence: number;
}

export interface Hypothesis {
  readonly text: string;
  /** Mean posterior probability of its words, 0 to 1. */
  readonly confidence: number;
  readonly words: readonly DecodedWord[];
  /**
   * Under a grammar: whether the grammar covers what was said. False means the caller went off-script, and
   * `text` is the open language model's reading of the utterance. Undefined without a grammar.
   */
  readonly inGrammar?: boolean;
}

type Ptr = unknown;

/** The C functions used, bound once per thread. Every call blocks: this runs only in worker threads. */
function bind() {
  const sphinxbase = koffi.load('libsphinxbase.so.3');
  const ps = koffi.load('libpocketsphinx.so.3');
  // Logging off for the whole process. (-logfn would open and close a process-wide log file per
  // decoder, which races when decoders start in two threads at once.)
  sphinxbase.func('void err_set_logfp(void *stream)')(null);
  return {
    cmdLnParse: sphinxbase.func(
      'void *cmd_ln_parse_r(void *inout, void *defn, int argc, const char **argv, int strict)',
    ),
    cmdLnFree: sphinxbase.func('int cmd_ln_free_r(void *cmdln)'),
    args: ps.func('void *ps_args()'),
    init: ps.func('void *ps_init(void *config)'),
    free: ps.func('int ps_free(void *ps)'),
    startUtt: ps.func('int ps_start_utt(void *ps)'),
    endUtt: ps.func('int ps_end_utt(void *ps)'),
    processRaw: ps.func(
      'int ps_process_raw(void *ps, const int16_t *data, size_t n, int no_search, int full_utt)',
    ),
    getHyp: ps.func('const char *ps_get_hyp(void *ps, void *out_best_score)'),
    segIter: ps.func('void *ps_seg_iter(void *ps)'),
    segNext: ps.func('void *ps_seg_next(void *seg)'),
    segWord: ps.func('const char *ps_seg_word(void *seg)'),
    segFrames: ps.func('void ps_seg_frames(void *seg, _Out_ int *sf, _Out_ int *ef)'),
    segProb: ps.func(
      'int32_t ps_seg_prob(void *seg, _Out_ int32_t *ascr, _Out_ int32_t *lscr, _Out_ int32_t *lback)',
    ),
    setJsgfString: ps.func('int ps_set_jsgf_string(void *ps, const char *name, const char *jsgf)'),
    setSearch: ps.func('int ps_set_search(void *ps, const char *name)'),
    getSearch: ps.func('const char *ps_get_search(void *ps)'),
  };
}

let lib: ReturnType<typeof bind> | undefined;

/** Words pocketsphinx emits that are not speech. */
const FILLERS = /^(<s>|<\/s>|<sil>|\[[a-z]+\]|\+\+?[a-z]+\+\+?)$/i;

/**
 * One pocketsphinx decoder (US English model, about 100 MB and 0.3-0.5 s to load). Live cepstral mean
 * normalisation carries over between utterances, so a decoder should stay with one call.
 */
export class PocketsphinxDecoder {
  private handle: Ptr;
  private readonly defaultSearch: string;
  private grammarSearch: string | undefined;
  /** The grammar's off-script words while one is in use. */
  private offScript: ReadonlySet<string> | undefined;
  /** The utterance's audio while a grammar is in use, for a second decoding when it was off-script. */
  private kept: Int16Array[] = [];
  private keptSamples = 0;
  private inUtterance = false;
  /** Feature frames decoded in earlier utterances: pocketsphinx keeps counting across them. */
  private framesBefore = 0;
  private samplesInUtterance = 0;

  constructor(modelDir = POCKETSPHINX_MODEL_DIR) {
    lib ??= bind();
    const argv = [
      '-hmm',
      `${modelDir}/en-us`,
      '-lm',
      `${modelDir}/en-us.lm.bin`,
      '-dict',
      `${modelDir}/cmudict-en-us.dict`,
      '-samprate',
      '16000',
      // No second flat-lexicon pass at the end of each utterance: it tripled finalize time for no
      // accuracy gain on live speech (see docs/PERFORMANCE.md).
      '-fwdflat',
      'no',
    ];
    const config: Ptr = lib.cmdLnParse(null, lib.args(), argv.length, argv, 1);
    if (!config) throw new Error(`pocketsphinx rejected its configuration (model in ${modelDir})`);
    this.handle = lib.init(config);
    lib.cmdLnFree(config);
    if (!this.handle) throw new Error(`pocketsphinx could not load its model from ${modelDir}`);
    this.defaultSearch = lib.getSearch(this.handle) as string;
  }

  /**
   * Biases the next utterances to a JSGF grammar (undefined goes back to the language model). The grammar
   * gets an off-script alternative, so speech it does not cover is not forced into it: such an utterance is
   * decoded again with the language model. Throws when pocketsphinx rejects the grammar.
   */
  useGrammar(jsgf: string | undefined): void {
    const decoder = this.live();
    if (jsgf === undefined) {
      lib!.setSearch(decoder, this.defaultSearch);
      this.offScript = undefined;
      return;
    }
    const open = withOffScriptAlternative(jsgf);
    this.grammarSearch = this.grammarSearch === 'grammar-a' ? 'grammar-b' : 'grammar-a';
    if (lib!.setJsgfString(decoder, this.grammarSearch, open.jsgf) < 0)
      throw new Error('pocketsphinx rejected the JSGF grammar');
    lib!.setSearch(decoder, this.grammarSearch);
    this.offScript = open.offScript;
  }

  /** Decodes 16 kHz samples, starting an utterance when none is open. */
  process(samples: Int16Array): void {
    this.decode(samples);
    if (this.offScript && this.keptSamples + samples.length <= MAX_REDECODE_SAMPLES) {
      this.kept.push(samples.slice());
      this.keptSamples += samples.length;
    }
  }

  /** The best hypothesis so far (a partial result), without timing. */
  partial(): string {
    if (!this.inUtterance) return '';
    return cleanText((lib!.getHyp(this.live(), null) as string | null) ?? '');
  }

  /**
   * Ends the utterance and returns its final hypothesis with word timing relative to its start. Under a
   * grammar, an off-script utterance is decoded again with the language model (its audio was kept).
   */
  finish(): Hypothesis {
    if (!this.inUtterance) return { text: '', confidence: 0, words: [] };
    const offScript = this.offScript;
    const kept = this.kept;
    const whole = this.keptSamples === this.samplesInUtterance;
    this.kept = [];
    this.keptSamples = 0;
    const heard = this.endUtterance();
    if (!offScript) return heard;
    // Off-script words, or no path through the grammar at all: what was said is read with the open model.
    const inGrammar = heard.text !== '' && !heard.words.some((w) => offScript.has(w.word.toLowerCase()));
    if (inGrammar || !whole) return { ...heard, inGrammar };
    return { ...this.redecode(kept), inGrammar: false };
  }

  /** Decodes kept audio again with the language model, then goes back to the grammar. */
  private redecode(audio: readonly Int16Array[]): Hypothesis {
    const decoder = this.live();
    lib!.setSearch(decoder, this.defaultSearch);
    try {
      for (const samples of audio) this.decode(samples);
      return this.endUtterance();
    } finally {
      lib!.setSearch(decoder, this.grammarSearch!);
    }
  }

  private decode(samples: Int16Array): void {
    const decoder = this.live();
    if (!this.inUtterance) {
      if (lib!.startUtt(decoder) < 0) throw new Error('pocketsphinx could not start an utterance');
      this.inUtterance = true;
    }
    if (samples.length > 0 && lib!.processRaw(decoder, samples, samples.length, 0, 0) < 0) {
      throw new Error('pocketsphinx failed to decode audio');
    }
    this.samplesInUtterance += samples.length;
  }

  private endUtterance(): Hypothesis {
    const decoder = this.live();
    lib!.endUtt(decoder);
    this.inUtterance = false;
    const text = cleanText((lib!.getHyp(decoder, null) as string | null) ?? '');
    const words = text ? this.words() : [];
    const confidence = words.length ? words.reduce((sum, w) => sum + w.confidence, 0) / words.length : 0;
    this.framesBefore += Math.round((this.samplesInUtterance * FRAMES_PER_SECOND) / 16000);
    this.samplesInUtterance = 0;
    return { text, confidence, words };
  }

  free(): void {
    if (this.handle) lib!.free(this.handle);
    this.handle = null;
  }

  private words(): DecodedWord[] {
    const words: DecodedWord[] = [];
    for (let seg: Ptr = lib!.segIter(this.live()); seg; seg = lib!.segNext(seg) as Ptr) {
      const word = (lib!.segWord(seg) as string).replace(/\(\d+\)$/, '');
      if (FILLERS.test(word)) continue;
      const start = [0];
      const end = [0];
      lib!.segFrames(seg, start, end);
      const logProb = lib!.segProb(seg, [0], [0], [0]) as number;
      words.push({
        word,
        // Frame numbers count from the decoder's first utterance, not this one.
        startMs: ((start[0]! - this.framesBefore) * 1000) / FRAMES_PER_SECOND,
        endMs: ((end[0]! + 1 - this.framesBefore) * 1000) / FRAMES_PER_SECOND,
        confidence: Math.min(1, LOG_BASE ** logProb),
      });
    }
    return words;
  }

  private live(): Ptr {
    if (!this.handle) throw new Error('pocketsphinx decoder was freed');
    return this.handle;
  }
}

/** Drops filler tokens and pronunciation variants such as `read(2)`. */
function cleanText(hyp: string): string {
  return hyp
    .split(/\s+/)
    .map((word) => word.replace(/\(\d+\)$/, ''))
    .filter((word) => word && !FILLERS.test(word))
    .join(' ');
}
