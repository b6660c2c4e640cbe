export type SlotType = 'name' | 'digits' | 'number' | 'date' | 'yes_no' | 'choice' | 'text';

export interface SlotSpec {
  type: SlotType;
  /** digits: allowed lengths, e.g. [4, 5] (ZIP or last four of SSN); number: min/max bounds */
  lengths?: readonly number[];
  min?: number;
  max?: number;
  /** choice: option → synonyms/keywords (multi-word allowed), e.g. { claim: ['claim','accident','crash','damage'], general: ['question','policy','coverage'] } */
  options?: Readonly<Record<string, readonly string[]>>;
}

export type Extraction =
  | {
      ok: true;
      value: string | number | boolean;
      /** how it should be read back */
      spoken: string;
    }
  | { ok: false; reason: string };

export const ok = (value: string | number | boolean, spoken: string): Extraction => ({
  ok: true,
  value,
  spoken,
});

export const fail = (reason: string): Extraction => ({ ok: false, reason });
