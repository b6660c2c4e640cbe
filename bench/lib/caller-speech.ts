import { concatPcm16, type Pcm16 } from '../../src/audio/pcm.ts';
import { createTts } from '../../src/speech/providers.ts';

/** The caller's lines, spoken by flite's kal16 voice (the agents speak with other voices), at 16 kHz. */
export async function callerLines<K extends string>(lines: Record<K, string>): Promise<Record<K, Pcm16>> {
  const tts = createTts('flite', {});
  const spoken = {} as Record<K, Pcm16>;
  try {
    for (const [key, text] of Object.entries(lines) as [K, string][]) {
      const parts: Pcm16[] = [];
      for await (const chunk of tts.synthesize({ text, voice: 'kal16', sampleRate: 16000 }))
        parts.push(chunk);
      spoken[key] = concatPcm16(parts);
    }
  } finally {
    await tts.close();
  }
  return spoken;
}
