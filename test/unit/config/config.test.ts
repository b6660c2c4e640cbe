import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../../src/config/config.ts';
import { ENV_VARS } from '../../../src/config/env-vars.ts';

const load = (env: Record<string, string>) => loadConfig({ env, envFile: null });

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig', () => {
  it('gives every documented default when the environment is empty', () => {
    const config = load({});
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      shutdownGraceMs: 10_000,
      readinessTimeoutMs: 1000,
      enableDocs: true,
      metricsAuth: 'auto',
    });
    expect(config.streamingMode).toBe('media');
    expect(config.redis.url).toBeUndefined();
    expect(config.speech).toEqual({
      stt: 'pocketsphinx',
      tts: 'flite',
      recognizerPool: { maxSize: 16, warmSize: 2, sessionHoldMs: 30_000 },
      synthesizerPool: { maxSize: 16, warmSize: 2 },
    });
    expect(config.poolAcquireTimeoutMs).toBe(3000);
    expect(config.telemetry).toEqual({ serviceName: 'rtvoice', otlpEndpoint: undefined });
  });

  it('binds to loopback without authentication, and everywhere with it', () => {
    expect(load({}).server.host).toBe('127.0.0.1');
    expect(load({ AUTH_MODE: 'apikey', API_KEYS: 'k' }).server.host).toBe('0.0.0.0');
    expect(load({ HOST: '::1' }).server.host).toBe('::1');
    expect(load({ HOST: '127.0.0.2' }).server.host).toBe('127.0.0.2');
    expect(load({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED_REMOTE: 'true' }).server.host).toBe('0.0.0.0');
  });

  it('refuses to serve other machines without authentication unless told to, and production at all', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'rtvoice.example']) {
      expect(() => load({ HOST: host })).toThrow(
        `HOST: ${host} would let anyone who reaches the port read and delete every conversation`,
      );
    }
    expect(() => load({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED_REMOTE: 'false' })).toThrow(
      'ALLOW_UNAUTHENTICATED_REMOTE=true',
    );
    expect(() => load({ NODE_ENV: 'production' })).toThrow(
      'AUTH_MODE: none is refused with NODE_ENV=production',
    );
    expect(() =>
      load({ NODE_ENV: 'production', HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED_REMOTE: 'true' }),
    ).toThrow('AUTH_MODE: none is refused with NODE_ENV=production');
    expect(load({ NODE_ENV: 'production', AUTH_MODE: 'apikey', API_KEYS: 'k' }).server.host).toBe('0.0.0.0');
  });

  it('parses valid values', () => {
    const config = load({
      PORT: '9000',
      ACS_STREAMING_MODE: 'voice_live',
      VOICE_LIVE_URL: 'wss://example.services.ai.azure.com/voice-live/realtime?model=gpt-4o',
      REDIS_URL: 'rediss://user:pw@cache.example:6380',
      ENABLE_DOCS: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    });
    expect(config.server.port).toBe(9000);
    expect(config.streamingMode).toBe('voice_live');
    expect(config.redis.url).toBe('rediss://user:pw@cache.example:6380');
    expect(config.server.enableDocs).toBe(false);
    expect(config.telemetry.otlpEndpoint).toBe('http://127.0.0.1:4318');
  });

  it('treats empty values as unset', () => {
    expect(load({ PORT: '', REDIS_URL: ' ' }).server.port).toBe(8080);
  });

  it('lists every bad variable at once, each with the expected form', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      ACS_STREAMING_MODE: 'telepathy',
      REDIS_URL: 'http://not-redis',
      SHUTDOWN_GRACE_MS: '-5',
    });
    expect(problems).toEqual([
      'PORT: expected an integer from 0 to 65535, got "eighty"',
      'ACS_STREAMING_MODE: expected one of media, transcription, voice_live, got "telepathy"',
      'REDIS_URL: expected a URL starting with redis:// or rediss://, got (hidden)',
      'SHUTDOWN_GRACE_MS: expected an integer from 0 to 600000, got "-5"',
    ]);
  });

  it('checks that the warm tier fits in the pool', () => {
    expect(problemsOf({ STT_POOL_SIZE: '4', STT_POOL_WARM: '5' })).toEqual([
      'STT_POOL_WARM: expected at most STT_POOL_SIZE (4), got 5',
    ]);
  });

  it('needs API keys when they are the authentication mode', () => {
    expect(problemsOf({ AUTH_MODE: 'apikey' })).toEqual([
      'API_KEYS: expected at least one key when AUTH_MODE=apikey',
    ]);
  });

  it('takes phone calls only with a public URL, ACS token verification and, with keys, an Event Grid secret', () => {
    const acs = { ACS_CONNECTION_STRING: 'endpoint=https://r.communication.azure.com/;accesskey=c2VjcmV0' };
    expect(load({}).telephony).toBeUndefined();
    expect(problemsOf(acs)).toEqual([
      expect.stringMatching(/^BASE_URL: expected the public URL/),
      expect.stringMatching(/^ACS_AUDIENCE: expected the ACS resource’s immutable resource id/),
    ]);
    const complete = { ...acs, BASE_URL: 'https://voice.example.com/', ACS_AUDIENCE: 'resource-id' };
    expect(load(complete).telephony).toMatchObject({
      baseUrl: 'https://voice.example.com',
      audioFormat: 'pcm16KMono',
    });
    expect(load(complete).acsTokens).toEqual({
      audience: 'resource-id',
      openIdConfigUrl:
        'https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration',
    });
    expect(problemsOf({ ...complete, AUTH_MODE: 'apikey', API_KEYS: 'k' })).toEqual([
      expect.stringMatching(/^ACS_EVENTGRID_SECRET: expected a secret/),
    ]);
    expect(problemsOf({ ...complete, ACS_ENDPOINT: 'https://r.communication.azure.com' })).toEqual([
      expect.stringMatching(/^ACS_ENDPOINT: set either it \(keyless\) or ACS_CONNECTION_STRING/),
    ]);
    expect(
      problemsOf({
        ...complete,
        BASE_URL: 'http://voice.example.com',
        NODE_ENV: 'production',
        AUTH_MODE: 'apikey',
        API_KEYS: 'k',
        ACS_EVENTGRID_SECRET: 's',
      }),
    ).toEqual([expect.stringMatching(/^BASE_URL: expected https with NODE_ENV=production/)]);
    expect(problemsOf({ ACS_CONNECTION_STRING: 'not a connection string' })).toEqual([
      'ACS_CONNECTION_STRING: expected endpoint=https://<resource>.communication.azure.com/;accesskey=<key>, got (hidden)',
    ]);
    expect(problemsOf({ ACS_TRANSFER_NUMBER: '555-0199' })[0]).toContain('an E.164 phone number');
  });

  it('never shows a secret value in its error', () => {
    const problems = problemsOf({ REDIS_URL: 'redis//:hunter2@host' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('rejects a port out of range and a non-integer', () => {
    expect(problemsOf({ PORT: '70000' })).toHaveLength(1);
    expect(problemsOf({ PORT: '80.5' })).toHaveLength(1);
  });

  it('reads a .env file, with the real environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtvoice-config-'));
    const envFile = join(dir, '.env');
    writeFileSync(
      envFile,
      'PORT=9100\nLOG_LEVEL=debug\n# a comment\nACS_STREAMING_MODE="transcription"\nACS_CONNECTION_STRING=endpoint=https://x.communication.azure.com/;accesskey=a2V5\nACS_AUDIENCE=r\nBASE_URL=https://rtvoice.example.com\nAUTH_MODE=none\n',
    );
    const config = loadConfig({ env: { LOG_LEVEL: 'warn' }, envFile });
    expect(config.server.port).toBe(9100);
    expect(config.log.level).toBe('warn');
    expect(config.streamingMode).toBe('transcription');
  });

  it('refuses a streaming mode without what does its speech work: ACS for transcription, a realtime service for voice_live', () => {
    expect(problemsOf({ ACS_STREAMING_MODE: 'transcription' })).toEqual([
      'ACS_STREAMING_MODE: transcription mode needs ACS Call Automation (ACS recognises and speaks): set ACS_CONNECTION_STRING or ACS_ENDPOINT, or use media',
    ]);
    expect(problemsOf({ ACS_STREAMING_MODE: 'voice_live' })).toEqual([
      'ACS_STREAMING_MODE: voice_live mode needs VOICE_LIVE_URL, a realtime service (Azure Voice Live, Azure OpenAI, OpenAI, or another rtvoice at ws://host:port/v1/realtime), or use media',
    ]);
    expect(
      load({ ACS_STREAMING_MODE: 'voice_live', VOICE_LIVE_URL: 'ws://127.0.0.1:9/v1/realtime' }).voiceLive,
    ).toEqual({
      url: 'ws://127.0.0.1:9/v1/realtime',
      apiKey: undefined,
      auth: 'none',
      dialect: 'ga',
      poolWarm: 1,
      rolloverMs: 1_680_000,
    });
  });

  it('reaches a realtime service with its key, with Entra ID on Azure hosts without one, or as told', () => {
    const azure = 'wss://res.services.ai.azure.com/voice-live/realtime?api-version=2025-10-01&model=gpt-4o';
    const auth = (env: Record<string, string>) => load({ VOICE_LIVE_URL: azure, ...env }).voiceLive?.auth;
    expect(auth({})).toBe('entra');
    expect(auth({ VOICE_LIVE_API_KEY: 'k' })).toBe('key');
    expect(auth({ VOICE_LIVE_AUTH: 'none' })).toBe('none');
    expect(
      load({ VOICE_LIVE_URL: 'wss://api.openai.com/v1/realtime?model=gpt-realtime' }).voiceLive?.auth,
    ).toBe('none');
    expect(problemsOf({ VOICE_LIVE_URL: azure, VOICE_LIVE_AUTH: 'key' })).toEqual([
      'VOICE_LIVE_AUTH: key needs VOICE_LIVE_API_KEY; set it, or VOICE_LIVE_AUTH=entra for keyless Azure access',
    ]);
  });

  it('masks credentials when describing itself for the log', () => {
    const described = JSON.stringify(
      describeConfig(load({ REDIS_URL: 'redis://default:s3cret@127.0.0.1:6379', OPENAI_API_KEY: 'sk-123' })),
    );
    expect(described).not.toContain('s3cret');
    expect(described).not.toContain('sk-123');
    expect(described).toContain('127.0.0.1:6379');
  });
});

describe('README configuration table', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

  const rows = new Map(
    readme
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map((cells) => [cells[1] ?? '', cells[2] ?? ''] as const),
  );

  it.each(Object.entries(ENV_VARS))('documents %s with its default', (name, spec) => {
    expect(rows.has(`\`${name}\``), `README.md has no table row for ${name}`).toBe(true);
    expect(rows.get(`\`${name}\``)).toBe(spec.default === undefined ? '(unset)' : `\`${spec.default}\``);
  });
});
