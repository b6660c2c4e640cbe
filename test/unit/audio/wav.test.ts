import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioFormatError } from '../../../src/audio/pcm.ts';
import { readWav, writeWav } from '../../../src/audio/wav.ts';
import { sine } from '../../helpers/signals.ts';

describe('WAV', () => {
  it('round-trips 16-bit mono', () => {
    const samples = sine(440, 16000, 1600);
    const decoded = readWav(writeWav(samples, 16000));
    expect(decoded).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16 });
    expect([...decoded.samples]).toEqual([...samples]);
  });

  it('writes interleaved channels that read back as their mix', () => {
    const stereo = Int16Array.from([1000, 3000, -2000, -4000, 0, 100]);
    const decoded = readWav(writeWav(stereo, 22050, 2));
    expect(decoded).toMatchObject({ sampleRate: 22050, channels: 2, bitsPerSample: 16 });
    expect([...decoded.samples]).toEqual([2000, -3000, 50]);
  });

  it.each([
    ['-b', '8', '-e', 'unsigned-integer'],
    ['-b', '24', '-e', 'signed-integer'],
    ['-b', '32', '-e', 'floating-point'],
  ])('reads a stereo 44.1 kHz file written by sox (%s %s %s %s)', (...format) => {
    const path = join(mkdtempSync(join(tmpdir(), 'rtvoice-wav-')), 'tone.wav');
    execFileSync('sox', [
      '-n',
      '-r',
      '44100',
      '-c',
      '2',
      ...format,
      path,
      'synth',
      '0.1',
      'sine',
      '440',
      'vol',
      '0.5',
    ]);
    const decoded = readWav(readFileSync(path));
    expect(decoded.sampleRate).toBe(44100);
    expect(decoded.channels).toBe(2);
    expect(decoded.samples.length).toBe(4410);
    const peak = Math.max(...decoded.samples.map(Math.abs));
    expect(peak / 32768).toBeGreaterThan(0.45);
    expect(peak / 32768).toBeLessThan(0.55);
  });

  it('explains what is wrong with files it cannot read', () => {
    expect(() => readWav(Buffer.from('hello, this is not audio'))).toThrow(/not a WAV file/);
    const mp3ish = writeWav(new Int16Array(4), 16000);
    mp3ish.writeUInt16LE(85, 20); // format code of MPEG layer 3
    expect(() => readWav(mp3ish)).toThrow(AudioFormatError);
    expect(() => readWav(mp3ish)).toThrow(/not PCM/);
    expect(() => readWav(writeWav(new Int16Array(4), 16000).subarray(0, 36))).toThrow(/no data chunk/);
  });
});
