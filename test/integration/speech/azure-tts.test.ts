import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm16, type Pcm16 } from '../../../src/audio/pcm.ts';
import { AzureTts, toSsml } from '../../../src/speech/tts/azure.ts';
import { TtsError, type SynthesisRequest } from '../../../src/speech/types.ts';
import { AzureTtsSimulator } from '../../helpers/simulators/azure-tts.ts';

// Azure cannot be reached from here: these tests run against the REST protocol simulator.
const simulator = new AzureTtsSimulator('test-key');
let endpoint: string;
beforeAll(async () => (endpoint = await simulator.start()));
afterAll(() => simulator.stop());

async function collect(tts: AzureTts, request: SynthesisRequest): Promise<Pcm16> {
  const chunks: Pcm16[] = [];
  for await (const chunk of tts.synthesize(request)) chunks.push(chunk);
  return concatPcm16(chunks);
}

describe('AzureTts (against the protocol simulator)', () => {
  it('sends SSML per sentence with the key and output format, and streams PCM back', async () => {
    const tts = new AzureTts({ endpoint, key: 'test-key' });
    simulator.requests.length = 0;
    const audio = await collect(tts, { text: 'Your claim is filed. Goodbye & thanks!', sampleRate: 24000 });
    expect(audio.length / 24000).toBeGreaterThan(1.5);
    expect(simulator.requests).toHaveLength(2);
    const [first] = simulator.requests;
    expect(first!.headers['ocp-apim-subscription-key']).toBe('test-key');
    expect(first!.headers['x-microsoft-outputformat']).toBe('raw-24khz-16bit-mono-pcm');
    expect(simulator.requests[1]!.ssml).toContain('Goodbye &amp; thanks!');
    expect(first!.ssml).toContain('<voice name="en-US-AvaMultilingualNeural">');
  });

  it('asks for the closest native rate above an unusual one and resamples', async () => {
    const tts = new AzureTts({ endpoint, key: 'test-key' });
    simulator.requests.length = 0;
    const audio = await collect(tts, { text: 'Hello there.', sampleRate: 22050 });
    expect(simulator.requests[0]!.headers['x-microsoft-outputformat']).toBe('raw-24khz-16bit-mono-pcm');
    expect(audio.length / 22050).toBeGreaterThan(0.5);
  });

  it('uses a bearer token when keyless', async () => {
    const tts = new AzureTts({ endpoint, token: async () => 'entra-token' });
    simulator.requests.length = 0;
    await collect(tts, { text: 'Hi.', sampleRate: 16000 });
    expect(simulator.requests[0]!.headers.authorization).toBe('Bearer entra-token');
  });

  it('explains refusals and throttling', async () => {
    await expect(
      collect(new AzureTts({ endpoint, key: 'wrong' }), { text: 'Hi.', sampleRate: 16000 }),
    ).rejects.toThrow(/HTTP 401.*check AZURE_SPEECH_KEY/);
    simulator.failNext = { status: 429, retryAfter: '2' };
    await expect(
      collect(new AzureTts({ endpoint, key: 'test-key' }), { text: 'Hi.', sampleRate: 16000 }),
    ).rejects.toThrow(/HTTP 429 \(retry after 2 s\)/);
  });

  it('reports an unreachable endpoint as a TtsError', async () => {
    const tts = new AzureTts({ endpoint: 'http://127.0.0.1:9', key: 'k' });
    await expect(collect(tts, { text: 'Hi.', sampleRate: 16000 })).rejects.toThrow(TtsError);
  });

  it('rejects malformed voice names before any request', () => {
    const tts = new AzureTts({ endpoint, key: 'test-key' });
    expect(() => tts.synthesize({ text: 'Hi', voice: '"><evil', sampleRate: 16000 })).toThrow(
      /not an Azure voice name/,
    );
  });

  it('writes the speaking rate as a prosody percentage', () => {
    expect(toSsml('Hi', 'en-US-AvaMultilingualNeural', 1.2)).toContain('<prosody rate="+20%">Hi</prosody>');
    expect(toSsml('Hi', 'es-ES-ElviraNeural', 1)).toContain('xml:lang="es-ES"');
  });
});
