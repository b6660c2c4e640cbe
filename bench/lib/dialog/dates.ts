import type { Rng } from './rng.ts';

/** A loss date the caller has in mind, and the ways they say it. */
export interface LossDate {
  /** What the claim must carry: the server's calendar day (same machine, same time zone). */
  readonly iso: string;
  /** How the agent reads it back ("December 2, 2026"). */
  readonly readBack: string;
  /** First answers, as callers vary them. */
  readonly said: readonly string[];
  /** The plain answer, for a second try. */
  readonly clean: string;
  /** The date alone, for "no, it was …" corrections. */
  readonly core: string;
}

/** How the agent and a caller name a month. */
const monthOf = (day: Date) => day.toLocaleString('en-US', { month: 'long' });

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ORDINALS = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
  'twentieth',
];
const ordinal = (d: number) =>
  d <= 20
    ? ORDINALS[d - 1]!
    : d === 30
      ? 'thirtieth'
      : `${d < 30 ? 'twenty' : 'thirty'} ${ORDINALS[(d % 10) - 1]}`;

const daysBefore = (today: Date, days: number) =>
  new Date(today.getFullYear(), today.getMonth(), today.getDate() - days);
const pad = (n: number) => String(n).padStart(2, '0');

function dated(day: Date, said: string[], clean: string, core: string): LossDate {
  return {
    iso: `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`,
    readBack: `${monthOf(day)} ${day.getDate()}, ${day.getFullYear()}`,
    said,
    clean,
    core,
  };
}

/** Dates `days` back from `today`, said the way callers say them. */
function lossDate(today: Date, kind: LossDateKind, days: number): LossDate {
  const day = daysBefore(today, days);
  switch (kind) {
    case 'yesterday':
      return dated(
        day,
        ['Yesterday.', 'It was yesterday.', 'Yesterday evening.', 'Last night.'],
        'Yesterday.',
        'yesterday',
      );
    case 'days_ago':
      return dated(
        day,
        ['Two days ago.', 'It happened two days ago.', 'The day before yesterday.'],
        'Two days ago.',
        'two days ago',
      );
    case 'weekday': {
      const name = WEEKDAYS[day.getDay()]!;
      return dated(
        day,
        [`On ${name}.`, `This past ${name}.`, `It was on ${name}.`],
        `${name}.`,
        `on ${name}`,
      );
    }
    case 'calendar': {
      const spoken = `${monthOf(day)} ${ordinal(day.getDate())}`;
      const the = `${monthOf(day)} the ${ordinal(day.getDate())}`;
      return dated(day, [`${spoken}.`, `On ${spoken}.`, `It was ${the}.`], `${spoken}.`, `on ${spoken}`);
    }
  }
}

type LossDateKind = 'yesterday' | 'days_ago' | 'weekday' | 'calendar';

/** A date for a claim: how far back is drawn per kind (weekdays 2-6 days back, so never "today's" name). */
export function drawLossDate(rng: Rng, today: Date, avoid?: LossDate): LossDate {
  for (;;) {
    const kind = rng.pick<LossDateKind>([
      'yesterday',
      'days_ago',
      'weekday',
      'weekday',
      'calendar',
      'calendar',
    ]);
    const days =
      kind === 'yesterday'
        ? 1
        : kind === 'days_ago'
          ? 2
          : kind === 'weekday'
            ? rng.int(2, 6)
            : rng.int(7, 25);
    const date = lossDate(today, kind, days);
    if (date.iso !== avoid?.iso) return date;
  }
}
