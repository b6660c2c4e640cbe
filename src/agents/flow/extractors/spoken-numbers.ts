/**
 * Numbers as people say them, and back. The recognizer never writes digits ("six oh six oh one"), chat
 * usually does ("60601"), so every parser here takes tokens from `tokenize` and accepts both.
 */
import { isNumeral, tokenize } from './tokens.ts';

// Maps, not object literals: a token such as "constructor" must not find Object.prototype members.
const table = (entries: Record<string, number>): ReadonlyMap<string, number> =>
  new Map(Object.entries(entries));

const UNITS = table({ one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9 });
const TEENS = table({
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
});
// "fourty" is a common typing error; the recognizer never produces it, so accepting it costs nothing.
const TENS = table({
  twenty: 20,
  thirty: 30,
  forty: 40,
  fourty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
});
const SCALES = table({ thousand: 1e3, million: 1e6, billion: 1e9 });
const ORDINALS = table({
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  thirtieth: 30,
  fortieth: 40,
  fiftieth: 50,
  sixtieth: 60,
  seventieth: 70,
  eightieth: 80,
  ninetieth: 90,
});
/** Words for 0 in a digit sequence. "oh"/"o" only count next to other digits (see `digitsFromTokens`). */
const ZEROS: ReadonlySet<string> = new Set(['zero', 'nought', 'naught', 'oh', 'o']);
/** Words for 0 as a quantity: nobody says "oh dollars". */
const CARDINAL_ZEROS: ReadonlySet<string> = new Set(['zero', 'nought', 'naught']);
const REPEATS = table({ double: 2, triple: 3 });

/** A number found in a token list: tokens `start` (inclusive) to `end` (exclusive). */
export interface NumberMatch {
  readonly value: number;
  readonly start: number;
  readonly end: number;
}

export interface CardinalOptions {
  /**
   * Digit-reading mode: a bare unit after "hundred"/"thousand" starts a new group ("eight hundred five five
   * five" is 800 5 5 5, as phone numbers are read) unless joined by "and"; no bare "hundred", decimals or "k".
   */
  readonly strict?: boolean;
}

type Last = 'none' | 'zero' | 'unit' | 'teen' | 'tens' | 'hundred' | 'scale' | 'numeral' | 'decimal';

/** A unit, teen or tens word: what may follow "and" inside a number. */
function isCountWord(token: string | undefined): boolean {
  return token !== undefined && (UNITS.has(token) || TEENS.has(token) || TENS.has(token));
}

/** The digit a single token stands for in a digit sequence ("five", "oh", "7"), if any. */
function digitOf(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (ZEROS.has(token)) return '0';
  const unit = UNITS.get(token);
  if (unit !== undefined) return String(unit);
  return /^\d$/.test(token) ? token : undefined;
}

/** Removes binary floating-point noise from products such as 1.1 * 1000. */
const tidy = (value: number): number => Math.round(value * 1e6) / 1e6;

/**
 * The longest cardinal number starting at `start`: "twenty five hundred" (2500), "two hundred and fifty",
 * "three thousand five hundred", "a thousand", "1.5 million", "25k", "one point five". Sequences that are
 * not one number stop the match: "nineteen ninety nine" matches 19 only, "one two" matches 1.
 */
export function parseCardinalAt(
  tokens: readonly string[],
  start: number,
  options: CardinalOptions = {},
): NumberMatch | undefined {
  const strict = options.strict ?? false;
  let total = 0;
  let current = 0;
  let last: Last = 'none';
  let lastScale = Infinity;
  let afterAnd = false;
  let i = start;
  for (; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    const afterScale = last === 'hundred' || last === 'scale';
    if (token === 'and') {
      if (!afterScale || !isCountWord(next)) break;
      afterAnd = true;
      continue;
    }
    if (token === 'a' || token === 'an') {
      if (last !== 'none' || next === undefined || !(next === 'hundred' || SCALES.has(next))) break;
      current = 1;
      last = 'unit';
      continue;
    }
    if (CARDINAL_ZEROS.has(token)) {
      if (last !== 'none') break;
      last = 'zero';
      continue;
    }
    const unit = UNITS.get(token);
    if (unit !== undefined) {
      const groupStarts = next === 'hundred' || (next !== undefined && SCALES.has(next));
      const free = last === 'none' || last === 'tens' || (afterScale && (!strict || afterAnd || groupStarts));
      if (!free) break;
      current += unit;
      last = 'unit';
      afterAnd = false;
      continue;
    }
    const teenOrTens = TEENS.get(token) ?? TENS.get(token);
    if (teenOrTens !== undefined) {
      if (last !== 'none' && !afterScale) break;
      current += teenOrTens;
      last = TEENS.has(token) ? 'teen' : 'tens';
      afterAnd = false;
      continue;
    }
    if (token === 'hundred') {
      if (last === 'none' && !strict) {
        current = 100;
      } else if (['unit', 'teen', 'tens', 'numeral'].includes(last) && current > 0 && current < 100) {
        current *= 100; // "twenty five hundred" is 2500
      } else {
        break;
      }
      last = 'hundred';
      continue;
    }
    const scale =
      SCALES.get(token) ??
      (!strict && token === 'grand' && last !== 'none' ? 1e3 : undefined) ??
      (!strict && token === 'k' && last === 'numeral' ? 1e3 : undefined);
    if (scale !== undefined) {
      if (scale >= lastScale) break; // "thousand thousand" is not one number
      if (last === 'none') {
        if (strict) break;
        current = 1;
      } else if (!['unit', 'teen', 'tens', 'hundred', 'numeral', 'decimal'].includes(last) || current === 0) {
        break;
      }
      total += current * scale;
      current = 0;
      lastScale = scale;
      last = 'scale';
      continue;
    }
    if (isNumeral(token)) {
      if (last !== 'none') break;
      current = Number(token);
      last = 'numeral';
      continue;
    }
    if (token === 'point' && !strict && ['none', 'zero', 'unit', 'teen', 'tens'].includes(last)) {
      let digits = '';
      let j = i + 1;
      for (let digit = digitOf(tokens[j]); digit !== undefined; digit = digitOf(tokens[j])) {
        digits += digit;
        j += 1;
      }
      if (digits === '') break;
      current += Number(`0.${digits}`);
      last = 'decimal';
      i = j - 1;
      continue;
    }
    break;
  }
  if (last === 'none') return undefined;
  return { value: tidy(total + current), start, end: i };
}

/** Every cardinal in `tokens`, left to right, each as long as it can be. */
export function findCardinals(tokens: readonly string[]): NumberMatch[] {
  const found: NumberMatch[] = [];
  for (let i = 0; i < tokens.length;) {
    const match = parseCardinalAt(tokens, i);
    if (match) {
      found.push(match);
      i = match.end;
    } else {
      i += 1;
    }
  }
  return found;
}

/** Could `token` continue a digit sequence? Decides whether a neighbouring "oh" is a zero or a sigh. */
function isDigitish(token: string | undefined): boolean {
  if (token === undefined) return false;
  return /^\d+$/.test(token) || digitOf(token) !== undefined || isCountWord(token) || REPEATS.has(token);
}

/**
 * All digits in `tokens`, in order: "six oh six oh one", "one two three four", "double five", "forty eight
 * twenty one" (4821), "eight hundred five five five" (800555), "6 0 6 0 1", "60601". Other words are skipped.
 */
export function digitsFromTokens(tokens: readonly string[]): string {
  let out = '';
  let lastDigitEnd = -1;
  for (let i = 0; i < tokens.length;) {
    const token = tokens[i]!;
    let piece: string | undefined;
    let end = i + 1;
    const repeat = REPEATS.get(token);
    const repeated = repeat === undefined ? undefined : digitOf(tokens[i + 1]);
    if (/^\d+(?:\.\d+)?$/.test(token)) {
      piece = token.replace('.', ''); // keeps leading zeros, unlike Number()
    } else if (repeat !== undefined && repeated !== undefined) {
      piece = repeated.repeat(repeat);
      end = i + 2;
    } else if (ZEROS.has(token)) {
      // "oh my zip is …": an "oh" with no digit beside it is an interjection.
      const spokenZero = token !== 'oh' && token !== 'o';
      if (spokenZero || lastDigitEnd === i || isDigitish(tokens[i + 1])) piece = '0';
    } else {
      const match = parseCardinalAt(tokens, i, { strict: true });
      if (match && Number.isInteger(match.value)) {
        piece = String(match.value);
        end = match.end;
      }
    }
    if (piece === undefined) {
      i += 1;
    } else {
      out += piece;
      i = end;
      lastDigitEnd = end;
    }
  }
  return out;
}

/** A two-digit group as said in years: a teen, or a tens word with an optional unit ("ninety nine"). */
function parseTwoDigitAt(tokens: readonly string[], at: number): NumberMatch | undefined {
  const token = tokens[at];
  if (token === undefined) return undefined;
  const teen = TEENS.get(token);
  if (teen !== undefined) return { value: teen, start: at, end: at + 1 };
  const tens = TENS.get(token);
  if (tens === undefined) return undefined;
  const unit = UNITS.get(tokens[at + 1] ?? '');
  return unit === undefined
    ? { value: tens, start: at, end: at + 1 }
    : { value: tens + unit, start: at, end: at + 2 };
}

/**
 * A year starting at `at`: "2026", "two thousand and five", "nineteen ninety nine", "twenty twenty six",
 * "twenty oh five", "nineteen hundred". Only four-digit values (1000–2999) count as years.
 */
export function parseYearAt(tokens: readonly string[], at: number): NumberMatch | undefined {
  const token = tokens[at];
  if (token === undefined) return undefined;
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    return token.length === 4 && value >= 1000 && value <= 2999
      ? { value, start: at, end: at + 1 }
      : undefined;
  }
  const cardinal = parseCardinalAt(tokens, at);
  if (cardinal && Number.isInteger(cardinal.value) && cardinal.value >= 1000 && cardinal.value <= 2999) {
    return cardinal;
  }
  const century = parseTwoDigitAt(tokens, at);
  if (!century || century.value >= 30) return undefined;
  const base = century.value * 100;
  const next = tokens[century.end];
  if (next === 'hundred') return { value: base, start: at, end: century.end + 1 };
  const afterZero = UNITS.get(tokens[century.end + 1] ?? '');
  if (next !== undefined && ZEROS.has(next) && afterZero !== undefined) {
    return { value: base + afterZero, start: at, end: century.end + 2 };
  }
  const rest = parseTwoDigitAt(tokens, century.end);
  return rest ? { value: base + rest.value, start: at, end: rest.end } : undefined;
}

/** An ordinal starting at `at`: "third", "twenty first", "3rd", "21st". */
export function parseOrdinalAt(tokens: readonly string[], at: number): NumberMatch | undefined {
  const token = tokens[at];
  if (token === undefined) return undefined;
  const suffixed = /^(\d+)(?:st|nd|rd|th)$/.exec(token);
  if (suffixed) return { value: Number(suffixed[1]), start: at, end: at + 1 };
  const ordinal = ORDINALS.get(token);
  if (ordinal !== undefined) return { value: ordinal, start: at, end: at + 1 };
  const tens = TENS.get(token);
  const unit = ORDINALS.get(tokens[at + 1] ?? '');
  if (tens !== undefined && unit !== undefined && unit < 10)
    return { value: tens + unit, start: at, end: at + 2 };
  return undefined;
}

/** Is `token` part of how numbers are said (or written)? Used to tell a spoken number from a name. */
export function isNumberToken(token: string): boolean {
  return (
    /^\d/.test(token) ||
    ZEROS.has(token) ||
    isCountWord(token) ||
    SCALES.has(token) ||
    ORDINALS.has(token) ||
    REPEATS.has(token) ||
    token === 'hundred' ||
    token === 'and' ||
    token === 'point'
  );
}

/** Every digit said or typed in `text`: "six oh six oh one" → "60601"; "" when there is none. */
export function wordsToDigits(text: string): string {
  return digitsFromTokens(tokenize(text));
}

/** The one cardinal in `text` ("two hundred and fifty" → 250); undefined when there is none or several. */
export function wordsToNumber(text: string): number | undefined {
  const found = findCardinals(tokenize(text));
  return found.length === 1 ? found[0]!.value : undefined;
}

/** The first year in `text` ("nineteen ninety nine" → 1999). */
export function wordsToYear(text: string): number | undefined {
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i += 1) {
    const year = parseYearAt(tokens, i);
    if (year) return year.value;
  }
  return undefined;
}

/** The first ordinal in `text` ("twenty first" → 21). */
export function wordsToOrdinal(text: string): number | undefined {
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i += 1) {
    const ordinal = parseOrdinalAt(tokens, i);
    if (ordinal) return ordinal.value;
  }
  return undefined;
}

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const UNDER_TWENTY = [
  ...ONES,
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS_WORDS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALE_WORDS: readonly (readonly [number, string])[] = [
  [1e12, 'trillion'],
  [1e9, 'billion'],
  [1e6, 'million'],
  [1e3, 'thousand'],
];

function speakBelowThousand(n: number): string {
  const words: string[] = [];
  if (n >= 100) words.push(ONES[Math.floor(n / 100)]!, 'hundred');
  const rest = n % 100;
  if (rest >= 20) words.push(TENS_WORDS[Math.floor(rest / 10)]!, ...(rest % 10 ? [ONES[rest % 10]!] : []));
  else if (rest > 0) words.push(UNDER_TWENTY[rest]!);
  return words.join(' ');
}

/**
 * A number in words for text-to-speech, US style without "and": 250 → "two hundred fifty", 1.5 → "one point
 * five". Values beyond the trillions are returned as numerals.
 */
export function speakNumber(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e15) return String(n);
  if (n < 0) return `minus ${speakNumber(-n)}`;
  const [whole = '0', fraction] = String(n).split('.');
  let rest = Number(whole);
  const words: string[] = [];
  for (const [size, name] of SCALE_WORDS) {
    if (rest >= size) {
      words.push(speakBelowThousand(Math.floor(rest / size)), name);
      rest %= size;
    }
  }
  if (rest > 0 || words.length === 0) words.push(rest === 0 ? 'zero' : speakBelowThousand(rest));
  if (fraction !== undefined) words.push('point', ...[...fraction].map((digit) => ONES[Number(digit)]!));
  return words.join(' ');
}

/**
 * A code read back one character at a time, letter and digit runs as comma-separated groups so the voice
 * pauses between them: "CLM-4821" → "C L M, four eight two one". Other characters only separate groups.
 */
export function speakDigits(code: string): string {
  const groups = code.match(/\p{L}+|\d+/gu) ?? [];
  return groups
    .map((group) =>
      /^\d/.test(group)
        ? [...group].map((digit) => ONES[Number(digit)]!).join(' ')
        : [...group.toUpperCase()].join(' '),
    )
    .join(', ');
}
