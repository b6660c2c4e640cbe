/**
 * Collects keypad digits into one input: until `#` (which is dropped) or a pause of `interDigitMs`.
 * `onDigits` gets the collected digits; an empty collection (a lone `#`) is no input.
 */
export class Keypad {
  private digits = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly interDigitMs: number;
  private readonly onDigits: (digits: string) => void;

  constructor(interDigitMs: number, onDigits: (digits: string) => void) {
    this.interDigitMs = interDigitMs;
    this.onDigits = onDigits;
  }

  press(digits: string): void {
    clearTimeout(this.timer);
    this.digits += digits.replace(/#/g, '');
    if (digits.includes('#')) this.submit();
    else this.timer = setTimeout(() => this.submit(), this.interDigitMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.digits = '';
  }

  private submit(): void {
    const collected = this.digits;
    this.digits = '';
    if (collected) this.onDigits(collected);
  }
}
