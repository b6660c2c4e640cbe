/**
 * A calendar date, absolute or relative to `now`. Dates are asked about things that already happened (a
 * loss, an accident), so a date said without a year is its most recent past occurrence.
 */
import { parseCardinalAt, parseOrdinalAt, parseYearAt } from './spoken-numbers.ts';
import { startsWith, tokenize } from './tokens.ts';
import { fail, ok, type Extraction } from './types.ts';

interface Ymd {
  readonly y: number;
  /** 1–12 */
  readonly m: number;
  readonly d: number;
}

/** One date expression found in the utterance, or why the one found is not a date. */
type Mention = { readonly date: Ymd } | { readonly reason: string };

interface Found {
  readonly mention: Mention;
  readonly end: number;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const MONTHS: ReadonlyMap<string, number> = new Map([
  ...MONTH_NAMES.map((name, index) => [name.toLowerCase(), index + 1] as const),
  ...['jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec'].map(
    (abbreviation) =>
      [
        abbreviation,
        MONTH_NAMES.findIndex((name) => name.toLowerCase().startsWith(abbreviation)) + 1,
      ] as const,
  ),
]);
const WEEKDAYS: ReadonlyMap<string, number> = new Map(
  ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((day, index) => [
    day,
    index,
  ]),
);
const RELATIVE_DAYS: readonly (readonly [phrase: readonly string[], offset: number])[] = [
  [['the', 'day', 'before', 'yesterday'], -2],
  [['day', 'before', 'yesterday'], -2],
  [['yesterday'], -1],
  [['last', 'night'], -1],
  [['earlier', 'today'], 0],
  [['this', 'morning'], 0],
  [['this', 'afternoon'], 0],
  [['this', 'evening'], 0],
  [['today'], 0],
  [['tonight'], 0],
  [['tomorrow'], 1],
];
const AGO_UNITS: ReadonlyMap<string, 'day' | 'week' | 'month' | 'year'> = new Map([
  ['day', 'day'],
  ['days', 'day'],
  ['week', 'week'],
  ['weeks', 'week'],
  ['month', 'month'],
  ['months', 'month'],
  ['year', 'year'],
  ['years', 'year'],
]);
/** Answers that name a period rather than a day: worth a specific failure reason. */
const VAGUE = [
  'last week',
  'last month',
  'last year',
  'this week',
  'this month',
  'a while',
  'recently',
  'few days',
  'couple days',
  'couple of days',
  'few weeks',
  'couple weeks',
  'couple of weeks',
  'the other day',
  'some time',
].map((phrase) => phrase.split(' '));

const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
const isValid = ({ y, m, d }: Ymd): boolean => m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
const compare = (a: Ymd, b: Ymd): number => a.y - b.y || a.m - b.m || a.d - b.d;
const pad = (n: number): string => String(n).padStart(2, '0');
const toIso = ({ y, m, d }: Ymd): string => `${y}-${pad(m)}-${pad(d)}`;
const weekday = ({ y, m, d }: Ymd): number => new Date(Date.UTC(y, m - 1, d)).getUTCDay();

// Date.UTC normalises overflow (March 0 is the last of February): arithmetic on calendar dates without time zones.
function fromParts(y: number, m: number, d: number): Ymd {
  const date = new Date(Date.UTC(y, m - 1, d));
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}
const addDays = (date: Ymd, days: number): Ymd => fromParts(date.y, date.m, date.d + days);

/** Same day `months` earlier, clamped to the month's end (a month before March 31 is February 28). */
function monthsBefore(date: Ymd, months: number): Ymd {
  const first = fromParts(date.y, date.m - months, 1);
  return { ...first, d: Math.min(date.d, daysInMonth(first.y, first.m)) };
}

/** The most recent `m`/`d` on or before `today` (February 29 looks back to the last leap year). */
function recentMonthDay(today: Ymd, m: number, d: number): Mention {
  if (d < 1 || d > daysInMonth(2000, m)) return { reason: `${MONTH_NAMES[m - 1]} has no day ${d}` };
  for (let y = today.y; y > today.y - 8; y -= 1) {
    const date = { y, m, d };
    if (isValid(date) && compare(date, today) <= 0) return { date };
  }
  return { reason: `no recent ${MONTH_NAMES[m - 1]} ${d}` };
}

/** The most recent day `d` of a month on or before `today` ("on the fifth"). */
function recentDayOfMonth(today: Ymd, d: number): Mention {
  if (d < 1 || d > 31) return { reason: `no month has a day ${d}` };
  for (let back = 0; back <= 12; back += 1) {
    const month = fromParts(today.y, today.m - back, 1);
    const date = { ...month, d };
    if (isValid(date) && compare(date, today) <= 0) return { date };
  }
  return { reason: `no recent day ${d}` };
}

function exact(y: number, m: number, d: number): Mention {
  const date = { y, m, d };
  return isValid(date) ? { date } : { reason: `${y}-${pad(m)}-${pad(d)} is not a calendar date` };
}

/** A day of the month: "third", "3rd", "3", "twenty one". */
function parseDayAt(tokens: readonly string[], at: number): { value: number; end: number } | undefined {
  const ordinal = parseOrdinalAt(tokens, at);
  if (ordinal) return { value: ordinal.value, end: ordinal.end };
  const token = tokens[at];
  if (token !== undefined && /^\d{1,2}$/.test(token)) return { value: Number(token), end: at + 1 };
  const cardinal = parseCardinalAt(tokens, at, { strict: true });
  if (cardinal && Number.isInteger(cardinal.value) && cardinal.value >= 1 && cardinal.value <= 31) {
    return { value: cardinal.value, end: cardinal.end };
  }
  return undefined;
}

/** An optional year after a day: "2026", "twenty twenty six", ", of 2026". */
function parseTrailingYear(
  tokens: readonly string[],
  at: number,
): { value: number; end: number } | undefined {
  const from = tokens[at] === 'of' ? at + 1 : at;
  const year = parseYearAt(tokens, from);
  return year ? { value: year.value, end: year.end } : undefined;
}

function monthDay(tokens: readonly string[], today: Ymd, m: number, day: number, after: number): Found {
  const year = parseTrailingYear(tokens, after);
  if (year) return { mention: exact(year.value, m, day), end: year.end };
  return { mention: recentMonthDay(today, m, day), end: after };
}

function relativeDay(tokens: readonly string[], at: number, today: Ymd): Found | undefined {
  const match = RELATIVE_DAYS.find(([phrase]) => startsWith(tokens, at, phrase));
  if (!match) return undefined;
  return { mention: { date: addDays(today, match[1]) }, end: at + match[0].length };
}

/** "two days ago", "a week ago", "three months back". */
function ago(tokens: readonly string[], at: number, today: Ymd): Found | undefined {
  const token = tokens[at];
  const count =
    token === 'a' || token === 'an' || token === 'one'
      ? { value: 1, end: at + 1 }
      : parseCardinalAt(tokens, at, { strict: true });
  if (!count || !Number.isInteger(count.value)) return undefined;
  const unit = AGO_UNITS.get(tokens[count.end] ?? '');
  const word = tokens[count.end + 1];
  if (!unit || (word !== 'ago' && word !== 'back')) return undefined;
  const n = count.value;
  const date =
    unit === 'day'
      ? addDays(today, -n)
      : unit === 'week'
        ? addDays(today, -7 * n)
        : monthsBefore(today, unit === 'month' ? n : 12 * n);
  return { mention: { date }, end: count.end + 2 };
}

/** "monday" / "this monday" (0–6 days back), "last monday" / "this past monday" (1–7), "next monday" (1–7 ahead). */
function weekdayPhrase(tokens: readonly string[], at: number, today: Ymd): Found | undefined {
  let i = at;
  let mode: 'recent' | 'before' | 'next' = 'recent';
  const first = tokens[i];
  if (first === 'this' && (tokens[i + 1] === 'past' || tokens[i + 1] === 'last')) {
    mode = 'before';
    i += 2;
  } else if (first === 'last' || first === 'past' || first === 'previous') {
    mode = 'before';
    i += 1;
  } else if (first === 'next' || first === 'this' || first === 'coming') {
    mode = first === 'next' || first === 'coming' ? 'next' : 'recent';
    i += 1;
  }
  const target = WEEKDAYS.get(tokens[i] ?? '');
  if (target === undefined) return undefined;
  const back = (weekday(today) - target + 7) % 7;
  const offset =
    mode === 'recent' ? -back : mode === 'before' ? -(back || 7) : (target - weekday(today) + 7) % 7 || 7;
  return { mention: { date: addDays(today, offset) }, end: i + 1 };
}

/** "march third", "march the 3rd 2026", "march 3 twenty twenty six"; "march 2026" has no day. */
function monthFirst(tokens: readonly string[], at: number, today: Ymd): Found | undefined {
  const m = MONTHS.get(tokens[at] ?? '');
  if (m === undefined) return undefined;
  const from = tokens[at + 1] === 'the' ? at + 2 : at + 1;
  const day = parseDayAt(tokens, from);
  const yearOnly = parseYearAt(tokens, from);
  if (yearOnly && (!day || (yearOnly.end > day.end && !parseTrailingYear(tokens, day.end)))) {
    return { mention: { reason: `${MONTH_NAMES[m - 1]} ${yearOnly.value} has no day` }, end: yearOnly.end };
  }
  // "may" and "march" are also verbs: without a day next to them they are not dates.
  if (!day) return undefined;
  return monthDay(tokens, today, m, day.value, day.end);
}

/** "the fifth of june", "5th june 2025", "3 march". */
function dayFirst(tokens: readonly string[], at: number, today: Ymd): Found | undefined {
  const from = tokens[at] === 'the' ? at + 1 : at;
  const day = parseDayAt(tokens, from);
  if (!day) return undefined;
  const monthAt = tokens[day.end] === 'of' ? day.end + 1 : day.end;
  const m = MONTHS.get(tokens[monthAt] ?? '');
  if (m === undefined) return undefined;
  return monthDay(tokens, today, m, day.value, monthAt + 1);
}

/** "the fifth", "on the 5th of the month": the most recent such day. */
function dayOfMonth(tokens: readonly string[], at: number, today: Ymd): Found | undefined {
  if (tokens[at] !== 'the') return undefined;
  const day = parseOrdinalAt(tokens, at + 1);
  if (!day) return undefined;
  const suffix = [
    ['of', 'this', 'month'],
    ['of', 'the', 'month'],
  ].find((phrase) => startsWith(tokens, day.end, phrase));
  return { mention: recentDayOfMonth(today, day.value), end: day.end + (suffix?.length ?? 0) };
}

const MATCHERS = [relativeDay, ago, weekdayPhrase, monthFirst, dayFirst, dayOfMonth];

const ISO_DATE = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g;
const US_DATE = /\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?\b/g;

/** Numeric dates ("2026-03-14", "3/14/2026", "3/14/26", "3/14"), removed from the text once read. */
function numericDates(text: string, today: Ymd): { mentions: Mention[]; rest: string } {
  const mentions: Mention[] = [];
  let rest = text.replace(ISO_DATE, (_, y: string, m: string, d: string) => {
    mentions.push(exact(Number(y), Number(m), Number(d)));
    return ' ';
  });
  rest = rest.replace(US_DATE, (_, m: string, d: string, y: string | undefined) => {
    const month = Number(m);
    const day = Number(d);
    if (month < 1 || month > 12) {
      mentions.push({ reason: `${m}/${d} has no month ${month}` });
    } else if (y === undefined) {
      mentions.push(recentMonthDay(today, month, day));
    } else {
      // Two-digit years: up to next year is this century, the rest the last one ("99" is 1999).
      const short = Number(y);
      const year = y.length === 4 ? short : short <= (today.y % 100) + 1 ? 2000 + short : 1900 + short;
      mentions.push(exact(year, month, day));
    }
    return ' ';
  });
  return { mentions, rest };
}

/** The local calendar date of `now`: "today" is the caller's day where the server runs. */
const localDate = (now: Date): Ymd => ({ y: now.getFullYear(), m: now.getMonth() + 1, d: now.getDate() });

export function extractDate(input: string, now: Date = new Date()): Extraction {
  const today = localDate(now);
  const { mentions, rest } = numericDates(input.toLowerCase(), today);
  const tokens = tokenize(rest);
  for (let i = 0; i < tokens.length;) {
    let found: Found | undefined;
    for (const matcher of MATCHERS) {
      found = matcher(tokens, i, today);
      if (found) break;
    }
    if (found) {
      mentions.push(found.mention);
      i = Math.max(found.end, i + 1);
    } else {
      // A number that starts no date is skipped whole, so its tail is not read as a day: "two thousand
      // twenty six march third" must not find "twenty six march".
      i = parseCardinalAt(tokens, i)?.end ?? i + 1;
    }
  }
  const problem = mentions.find((mention) => 'reason' in mention);
  if (problem && 'reason' in problem) return fail(problem.reason);
  const dates = [
    ...new Map(mentions.flatMap((m) => ('date' in m ? [[toIso(m.date), m.date] as const] : []))).values(),
  ];
  if (dates.length > 1) return fail(`several dates heard: ${dates.map(toIso).join(', ')}`);
  const date = dates[0];
  if (date) return ok(toIso(date), `${MONTH_NAMES[date.m - 1]} ${date.d}, ${date.y}`);
  if (VAGUE.some((phrase) => tokens.some((_, i) => startsWith(tokens, i, phrase)))) {
    return fail('too vague: a period, not a day');
  }
  if (tokens.some((token) => MONTHS.has(token) && token !== 'may')) return fail('heard a month but no day');
  return fail('no date heard');
}
