/** A piece of what to say: words, or a pause. */
export type SpeechPart = { readonly text: string } | { readonly pauseMs: number };

const MAX_PAUSE_MS = 5000;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Turns plain text or SSML-lite (`<speak>` with `<break time="300ms"/>` or `time="1s"`; other tags are
 * dropped and their text kept) into sentences and pauses, one synthesis call per sentence (and the first
 * clause alone) so the first audio comes early.
 */
export function toSpeechParts(input: string): SpeechPart[] {
  const parts: SpeechPart[] = [];
  const isSsml = /^\s*<speak[\s>]/i.test(input);
  const pieces = isSsml ? input.split(/(<break\b[^>]*>)/i) : [input];
  for (const piece of pieces) {
    const pause = /^<break\b[^>]*\btime\s*=\s*["']?(\d+(?:\.\d+)?)\s*(ms|s)["']?/i.exec(piece);
    if (pause) {
      const ms = Number(pause[1]) * (pause[2]!.toLowerCase() === 's' ? 1000 : 1);
      parts.push({ pauseMs: Math.min(MAX_PAUSE_MS, Math.round(ms)) });
      continue;
    }
    const text = isSsml ? decodeEntities(piece.replace(/<[^>]*>/g, ' ')) : piece;
    for (const sentence of splitSentences(text)) parts.push({ text: sentence });
  }
  return splitFirstClause(parts);
}

/**
 * Speaks the first clause of a long opening sentence on its own ("Hello, …", "Sure, …"): it renders in a
 * few milliseconds, and the rest renders while it plays, so the caller hears the reply sooner.
 */
function splitFirstClause(parts: SpeechPart[]): SpeechPart[] {
  const first = parts[0];
  if (!first || !('text' in first)) return parts;
  const match = /^(.+?[,;:])\s+(.+)$/.exec(first.text);
  if (!match || match[2]!.split(' ').length < 4) return parts;
  return [{ text: match[1]! }, { text: match[2]! }, ...parts.slice(1)];
}

/** Sentences ending in . ! ? (keeping decimals like 3.5 whole), trimmed; a tail without punctuation counts too. */
export function splitSentences(text: string): string[] {
  const normalized = text.replace(/\s+/g, ' ').trim();
  if (!normalized) return [];
  const sentences = normalized.match(/(?:[^.!?]|\.(?=\d)|[.!?](?=[^\s]))+[.!?]*\s*/g) ?? [normalized];
  return sentences.map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s));
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!);
}
