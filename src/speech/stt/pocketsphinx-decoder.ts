import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { POCKETSPHINX_MODEL_DIR } from '../system-dependencies.ts';

/** pocketsphinx's feature frame rate: segment times are in 10 ms frames. */
const FRAMES_PER_SECOND = 100;
/** pocketsphinx's default log base: probabilities come as log base 1.0001. */
const LOG_BASE = 1.0001;

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
    unsetSearch: ps.func('int ps_unset_search(void *ps, const char *name)'),
    getConfig: ps.func('void *ps_get_config(void *ps)'),
    getLogmath: ps.func('void *ps_get_logmath(void *ps)'),
    getLm: ps.func('void *ps_get_lm(void *ps, const char *name)'),
    setLm: ps.func('int ps_set_lm(void *ps, const char *name, void *lm)'),
    ngramRead: sphinxbase.func(
      'void *ngram_model_read(void *config, const char *path, int file_type, void *lmath)',
    ),
    ngramRetain: sphinxbase.func('void *ngram_model_retain(void *model)'),
    ngramFree: sphinxbase.func('int ngram_model_free(void *model)'),
    ngramSetInterp: sphinxbase.func(
      'void *ngram_model_set_interp(void *set, const char **names, const float *weights)',
    ),
    ngramSetInit: sphinxbase.func(
      'void *ngram_model_set_init(void *config, void **models, const char **names, const float *weights, int n)',
    ),
  };
}

let lib: ReturnType<typeof bind> | undefined;

/** sphinxbase's `NGRAM_ARPA` file type. */
const NGRAM_ARPA = 1;
/**
 * The weight of a question's phrases against the general model. It is applied to language scores already
 * scaled by the language weight, so it acts as its 6.5th root: 0.3 is close to even.
 */
const BOOST_WEIGHT = 0.3;
/** Phrase models one search interpolates; past this, it starts again from the newest. */
const MAX_PHRASE_MODELS = 8;

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
  /** The phrase models given, by the hash of their ARPA text, all in the boosted search. */
  private readonly phraseModels = new Map<string, string>();
  private boosted: { readonly search: string; readonly set: Ptr } | undefined;
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
   * Constrains the next utterances to a JSGF grammar (undefined goes back to the language model). Throws
   * when pocketsphinx rejects the grammar.
   */
  useGrammar(jsgf: string | undefined): void {
    const decoder = this.live();
    if (jsgf === undefined) {
      lib!.setSearch(decoder, this.defaultSearch);
      return;
    }
    this.grammarSearch = this.grammarSearch === 'grammar-a' ? 'grammar-b' : 'grammar-a';
    if (lib!.setJsgfString(decoder, this.grammarSearch, jsgf) < 0)
      throw new Error('pocketsphinx rejected the JSGF grammar');
    lib!.setSearch(decoder, this.grammarSearch);
  }

  /**
   * Decodes the next utterances with the general language model interpolated with `phrases` (a small
   * model of the answers a question expects, in ARPA text) at `weight` (0 to 1); undefined goes back to
   * the general model alone, which decodes faster.
   *
   * One search holds every phrase model the decoder has been given, and switching between them only
   * changes the interpolation weights: each search costs about 65 MB and half a second to build.
   */
  useLanguageModel(phrases: string | undefined, weight = BOOST_WEIGHT): void {
    const decoder = this.live();
    if (phrases === undefined) {
      lib!.setSearch(decoder, this.defaultSearch);
      return;
    }
    const name = createHash('sha1').update(phrases).digest('hex');
    if (!this.phraseModels.has(name)) {
      if (this.phraseModels.size >= MAX_PHRASE_MODELS) this.phraseModels.clear();
      this.phraseModels.set(name, phrases);
      this.buildBoostedSearch();
    }
    const names = ['general', ...this.phraseModels.keys()];
    const weights = names.map((model) => (model === 'general' ? 1 - weight : model === name ? weight : 0));
    if (!lib!.ngramSetInterp(this.boosted!.set, names, weights))
      throw new Error('pocketsphinx could not weight the language models');
    lib!.setSearch(decoder, this.boosted!.search);
  }

  /** A search on the general model interpolated with every phrase model, replacing the one before. */
  private buildBoostedSearch(): void {
    const decoder = this.live();
    lib!.setSearch(decoder, this.defaultSearch); // not the search about to be replaced
    const config: Ptr = lib!.getConfig(decoder);
    const models: Ptr[] = [lib!.ngramRetain(lib!.getLm(decoder, this.defaultSearch))];
    try {
      for (const arpa of this.phraseModels.values())
        models.push(readArpa(arpa, config, lib!.getLogmath(decoder)));
    } catch (err) {
      for (const model of models) lib!.ngramFree(model);
      throw err;
    }
    const names = ['general', ...this.phraseModels.keys()];
    // Interpolated from the start (weights given): the weights are set for each question.
    const set: Ptr = lib!.ngramSetInit(
      config,
      models,
      names,
      names.map(() => 1 / names.length),
      names.length,
    );
    if (!set) {
      for (const model of models) lib!.ngramFree(model);
      throw new Error('pocketsphinx could not interpolate the language models');
    }
    const search = `boosted-${this.phraseModels.size}`;
    // The search wraps the set in one of its own: this reference is where the weights are set.
    if (lib!.setLm(decoder, search, set) < 0) {
      lib!.ngramFree(set);
      throw new Error('pocketsphinx could not build a search on the boosted language model');
    }
    this.dropBoostedSearch();
    this.boosted = { search, set };
  }

  private dropBoostedSearch(): void {
    if (!this.boosted) return;
    lib!.unsetSearch(this.live(), this.boosted.search);
    lib!.ngramFree(this.boosted.set);
    this.boosted = undefined;
  }

  /** Decodes 16 kHz samples, starting an utterance when none is open. */
  process(samples: Int16Array): void {
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

  /** The best hypothesis so far (a partial result), without timing. */
  partial(): string {
    if (!this.inUtterance) return '';
    return cleanText((lib!.getHyp(this.live(), null) as string | null) ?? '');
  }

  /** Ends the utterance and returns its final hypothesis with word timing relative to its start. */
  finish(): Hypothesis {
    const decoder = this.live();
    if (!this.inUtterance) return { text: '', confidence: 0, words: [] };
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
    if (this.boosted) lib!.ngramFree(this.boosted.set);
    this.handle = null;
    this.boosted = undefined;
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

/** Reads an ARPA model (sphinxbase reads models only from files). */
function readArpa(arpa: string, config: Ptr, logmath: Ptr): Ptr {
  const path = join(tmpdir(), `rtvoice-${process.pid}-${createHash('sha1').update(arpa).digest('hex')}.arpa`);
  writeFileSync(path, arpa);
  try {
    const model: Ptr = lib!.ngramRead(config, path, NGRAM_ARPA, logmath);
    if (!model) throw new Error('pocketsphinx could not read a phrase language model');
    return model;
  } finally {
    rmSync(path, { force: true });
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
