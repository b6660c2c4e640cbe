/** A sentence located in the text it came from (offsets of its first and after its last character). */
export interface ChunkedSentence {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** End of a sentence: . ! ? (and closing quotes or brackets) followed by white space. */
const SENTENCE_END = /[.!?]+["')\]]*(?=\s)/g;
/** End of a clause: , ; : followed by white space. */
const CLAUSE_END = /[,;:](?=\s)/g;
/** Words the rest of the first sentence must already have before its first clause goes alone. */
const CLAUSE_REST_WORDS = 4;

/**
 * Cuts streamed text (LLM deltas) into sentences for speech as soon as each is complete, so synthesis
 * starts on the first sentence while the model is still writing the rest. The first clause of a turn
 * goes alone ("Sure, …") once enough follows it: it renders fast, so the caller hears the answer sooner.
 */
export class SentenceChunker {
  private text = '';
  /** Where the unsent rest of `text` starts. */
  private sent = 0;
  private emitted = 0;

  /** The text pushed so far: what sentence offsets refer to. */
  get fullText(): string {
    return this.text;
  }

  push(delta: string): ChunkedSentence[] {
    this.text += delta;
    const out: ChunkedSentence[] = [];
    for (;;) {
      const end = this.nextBoundary();
      if (end === undefined) return out;
      this.emit(end, out);
    }
  }

  /** The rest, as the last sentence (the model's text may end without punctuation). */
  flush(): ChunkedSentence[] {
    const out: ChunkedSentence[] = [];
    this.emit(this.text.length, out);
    return out;
  }

  private nextBoundary(): number | undefined {
    SENTENCE_END.lastIndex = this.sent;
    const sentence = SENTENCE_END.exec(this.text);
    if (sentence) return sentence.index + sentence[0].length;
    if (this.emitted > 0) return undefined;
    CLAUSE_END.lastIndex = this.sent;
    const clause = CLAUSE_END.exec(this.text);
    if (!clause) return undefined;
    const end = clause.index + 1;
    const rest = this.text.slice(end).trim().split(/\s+/);
    return rest.length > CLAUSE_REST_WORDS ? end : undefined;
  }

  private emit(end: number, out: ChunkedSentence[]): void {
    const piece = this.text.slice(this.sent, end);
    const start = this.sent + (piece.length - piece.trimStart().length);
    const text = piece.trim().replace(/\s+/g, ' ');
    this.sent = end;
    if (!/[\p{L}\p{N}]/u.test(text)) return;
    this.emitted += 1;
    out.push({ text, start, end: start + piece.trim().length });
  }
}
