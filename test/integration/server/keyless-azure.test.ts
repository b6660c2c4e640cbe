import { once } from 'node:events';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { TokenIssuer } from '../../../src/telephony/simulator/token-issuer.ts';
import { spawnRedisServer } from '../../helpers/redis.ts';
import { capturingLogger, testConfig } from '../../helpers/server.ts';
import { AzureTtsSimulator } from '../../helpers/simulators/azure-tts.ts';
import { RealtimeServiceSimulator } from '../../helpers/simulators/realtime-service.ts';
import {
  startChatCompletionsSimulator,
  textReply,
  type ChatCompletionsSimulator,
} from '../../helpers/simulators/chat-completions.ts';
import { until } from '../../helpers/wait.ts';

const IDENTITY = '6f1e2c1a-0000-4000-8000-00000000beef'; // the managed identity's object id

/** A local stand-in for Entra ID: one token per resource, signed by a local issuer, and who asked for what. */
async function localEntra() {
  const issuer = await TokenIssuer.create('unused', 'https://login.microsoftonline.com/local-tenant/v2.0');
  const mint = (audience: string) =>
    issuer.mint({ lifetimeSeconds: 3600, audience, claims: { oid: IDENTITY } });
  const tokens = {
    cognitiveServices: await mint('https://cognitiveservices.azure.com'),
    redis: await mint('https://redis.azure.com'),
  };
  const scopes: string[] = [];
  const credential: TokenCredential = {
    getToken: async (scope): Promise<AccessToken> => {
      const asked = [scope].flat()[0]!;
      scopes.push(asked);
      const token = asked.startsWith('https://redis.azure.com') ? tokens.redis : tokens.cognitiveServices;
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  return { tokens, credential, scopes };
}

let entra: Awaited<ReturnType<typeof localEntra>>;
let redis: Awaited<ReturnType<typeof spawnRedisServer>>;
let llm: ChatCompletionsSimulator;
let tts: AzureTtsSimulator;
let realtime: RealtimeServiceSimulator;
let server: RunningServer;

beforeAll(async () => {
  entra = await localEntra();
  // Azure Managed Redis takes the identity's object id as user name and its token as password.
  redis = await spawnRedisServer();
  const admin = createClient({ url: redis.url });
  await admin.connect();
  await admin.sendCommand(['ACL', 'SETUSER', IDENTITY, 'on', `>${entra.tokens.redis}`, '~*', '&*', '+@all']);
  await admin.sendCommand(['ACL', 'SETUSER', 'default', 'off']);
  await admin.close();
  llm = await startChatCompletionsSimulator({ azureBearerToken: entra.tokens.cognitiveServices });
  tts = new AzureTtsSimulator('no-key-accepted', entra.tokens.cognitiveServices);
  const ttsUrl = await tts.start();
  realtime = await RealtimeServiceSimulator.start('preview');
  server = await startServer(
    testConfig({
      REDIS_URL: redis.url,
      REDIS_ENTRA_USERNAME: IDENTITY,
      AZURE_OPENAI_ENDPOINT: llm.origin,
      AGENT_ENGINE: 'llm',
      STT_PROVIDER: 'null',
      TTS_PROVIDER: 'azure',
      AZURE_SPEECH_ENDPOINT: ttsUrl,
      // A Voice Live resource behind a custom domain: Entra ID said outright (*.azure.com hosts get it by default).
      VOICE_LIVE_URL: realtime.url,
      VOICE_LIVE_AUTH: 'entra',
      VOICE_LIVE_DIALECT: 'preview',
    }),
    capturingLogger('silent').log,
    undefined,
    { azureCredential: entra.credential },
  );
});
afterAll(async () => {
  await server.close();
  await Promise.all([llm.close(), tts.stop(), redis.stop(), realtime.close()]);
});

describe('keyless access to Azure, with a local issuer standing in for Entra ID', () => {
  it('reaches Redis, Azure OpenAI, Azure Speech and Voice Live with Entra ID tokens and no key', async () => {
    await until(async () => (await fetch(`${server.url}/api/v1/readiness`)).status === 200, 10_000);

    llm.respondWith(() => textReply('Your policy covers roadside assistance.'));
    const ws = new WebSocket(
      `${server.url.replace('http', 'ws')}/api/v1/realtime/conversation?session_id=keyless`,
    );
    let audioBytes = 0;
    const transcripts: string[] = [];
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) audioBytes += data.length;
      else {
        const envelope = JSON.parse(data.toString('utf8')) as { type: string; payload: { text?: string } };
        if (envelope.type === 'assistant_transcript') transcripts.push(String(envelope.payload.text));
      }
    });
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'start', sample_rate: 16000 }));
    await until(() => transcripts.length >= 1, 10_000); // the greeting, spoken by Azure TTS
    ws.send(JSON.stringify({ type: 'user_text', text: 'Does my policy cover roadside assistance?' }));
    await until(() => transcripts.some((t) => t.includes('roadside assistance')), 10_000);
    await until(() => audioBytes > 32_000, 10_000); // a second of 16 kHz speech
    ws.close();

    // Every request carried the identity's token, and no key.
    const chat = llm.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chat.length).toBeGreaterThan(0);
    for (const request of chat) {
      expect(request.headers.authorization).toBe(`Bearer ${entra.tokens.cognitiveServices}`);
      expect(request.headers['api-key']).toBeUndefined();
    }
    expect(tts.requests.length).toBeGreaterThan(0);
    for (const request of tts.requests) expect(request.headers['ocp-apim-subscription-key']).toBeUndefined();
    // The Voice Live session connected ahead came with the identity's token too.
    await until(() => realtime.credentials.length > 0, 5000);
    expect(realtime.credentials[0]).toBe(entra.tokens.cognitiveServices);
    expect(new Set(entra.scopes)).toEqual(
      new Set(['https://redis.azure.com/.default', 'https://cognitiveservices.azure.com/.default']),
    );

    // The session reached Redis through the Entra-authenticated connection.
    const observer = createClient({ url: redis.url, username: IDENTITY, password: entra.tokens.redis });
    await observer.connect();
    try {
      await until(async () => (await observer.hGet('session:keyless', 'chat_history')) !== null, 5000);
      expect(await observer.hGet('session:keyless', 'chat_history')).toContain('roadside assistance');
    } finally {
      await observer.close();
    }
  }, 40_000);
});
