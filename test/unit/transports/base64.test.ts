import { describe, expect, it } from 'vitest';
import { decodeStrictBase64 } from '../../../src/transports/base64.ts';

// Rough timings, Node 24 on the shared 2-core dev box (noisy: ranges over several runs of 200 000 calls),
// per 20 ms frame, 16 kHz (856 chars) / 24 kHz (1280 chars):
//   decodeStrictBase64 + copy into an own Int16Array   1.1–1.7 / 1.3–2.4 µs   (what parseAcsMessage does)
//   JavaScript char-table loop + Buffer.write           2.6–3.3 / 3.5–5.7 µs
//   /^[A-Za-z0-9+/]*={0,2}$/ alone, without decoding    1.4–2.2 / 2.3–5.1 µs
//   JSON.parse of the whole AudioData message           0.8–1.0 / 0.9–1.8 µs
//   parseAcsMessage, everything                         3.7–4.8 / 3.7–4.8 µs
// So 100 calls × 50 frames/s cost about 2 % of one core.

const bytes = (...values: number[]) => Buffer.from(values);

describe('decodeStrictBase64', () => {
  it.each([
    ['', bytes()],
    ['AA==', bytes(0)],
    ['AAA=', bytes(0, 0)],
    ['AAAA', bytes(0, 0, 0)],
    ['AQD///9/AIA=', bytes(1, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0x80)],
    ['+/+/', bytes(0xfb, 0xff, 0xbf)],
  ])('accepts canonical %j', (text, expected) => {
    expect(decodeStrictBase64(text)).toEqual(expected);
  });

  it.each([
    ['missing padding', 'AA'],
    ['missing one pad', 'AAA'],
    ['too much padding', 'A==='],
    ['padding only', '===='],
    ['padding in the middle', 'AA==AAAA'],
    ['url-safe minus', '-_-_'],
    ['url-safe underscore', 'AAA_'],
    ['leading space', ' AAAA'],
    ['trailing newline', 'AAAA\n'],
    ['inner space', 'AA AA==='],
    ['line-wrapped', 'AAAA\r\nAAAA'],
    ['non-ASCII', 'AAAé'],
    ['punctuation', 'AA!A'],
    ['non-zero bits under one pad', 'AAB='],
    ['non-zero bits under two pads', 'AB=='],
    ['length 1 mod 4', 'AAAAA'],
  ])('rejects %s', (_name, text) => {
    expect(decodeStrictBase64(text)).toBeUndefined();
  });

  it('rejects large garbage without throwing', () => {
    const garbage = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join(
      '',
    );
    expect(decodeStrictBase64(garbage)).toBeUndefined();
    expect(decodeStrictBase64('!'.repeat(4 << 20))).toBeUndefined();
  });

  it('decodes 24 kHz frames in a few microseconds', () => {
    const frame = Buffer.alloc(960, 0x5a).toString('base64');
    const started = performance.now();
    for (let i = 0; i < 5000; i += 1) decodeStrictBase64(frame);
    // Measured ≈ 10 ms; the bound only catches an accidental quadratic or per-character allocation.
    expect(performance.now() - started).toBeLessThan(500);
  });
});
