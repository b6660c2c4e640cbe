import { describe, expect, it } from 'vitest';
import {
  AudioFormatError,
  assertSampleRate,
  base64ToPcm16,
  bytesToPcm16,
  concatPcm16,
  float32ToPcm16,
  pcm16ToBase64,
  pcm16ToFloat32,
  samplesPerFrame,
} from '../../../src/audio/pcm.ts';

describe('PCM16 helpers', () => {
  it('encodes and decodes base64 with a known vector', () => {
    expect(pcm16ToBase64(Int16Array.from([1, -1, 32767, -32768]))).toBe('AQD///9/AIA=');
    expect([...base64ToPcm16('AQD///9/AIA=')]).toEqual([1, -1, 32767, -32768]);
  });

  it('rejects invalid base64 and odd byte counts', () => {
    expect(() => base64ToPcm16('not base64!')).toThrow(AudioFormatError);
    expect(() => base64ToPcm16('AQD/')).toThrow(/even number of bytes/);
    expect(() => bytesToPcm16(new Uint8Array(3))).toThrow(AudioFormatError);
  });

  it('reads samples from an unaligned byte view', () => {
    const bytes = new Uint8Array([0, 1, 0, 0xff, 0xff]);
    expect([...bytesToPcm16(bytes.subarray(1))]).toEqual([1, -1]);
    // A Buffer at an odd offset in Node's shared pool (as ws delivers frames) is copied, not viewed.
    const pooled = Buffer.concat([Buffer.from([9]), Buffer.from([1, 0, 0xff, 0xff])]).subarray(1);
    expect([...bytesToPcm16(pooled)]).toEqual([1, -1]);
    const oddPool = Buffer.from(new Uint8Array(7).fill(1)).subarray(1, 5);
    expect([...bytesToPcm16(oddPool)]).toEqual([257, 257]);
  });

  it('converts to float and back exactly, clipping out-of-range floats', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 12345]);
    expect([...float32ToPcm16(pcm16ToFloat32(samples))]).toEqual([...samples]);
    expect([...float32ToPcm16(Float32Array.from([1.5, -1.5, 1]))]).toEqual([32767, -32768, 32767]);
  });

  it('knows frame sizes and supported rates', () => {
    expect(samplesPerFrame(16000)).toBe(320);
    expect(samplesPerFrame(24000)).toBe(480);
    expect(samplesPerFrame(8000)).toBe(160);
    expect(samplesPerFrame(48000)).toBe(960);
    expect(assertSampleRate(24000)).toBe(24000);
    expect(() => assertSampleRate(44100)).toThrow(/unsupported sample rate 44100/);
  });

  it('concatenates', () => {
    expect([...concatPcm16([Int16Array.from([1]), new Int16Array(0), Int16Array.from([2, 3])])]).toEqual([
      1, 2, 3,
    ]);
  });
});
