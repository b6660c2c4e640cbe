import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEnv } from 'node:util';
import { RtvoiceError } from '../errors.ts';
import { ENV_VARS, type EnvValues, type EnvVarName } from './env-vars.ts';

export type StreamingMode = EnvValues['ACS_STREAMING_MODE'];

/** rtvoice's whole configuration, validated once at start-up. Nothing else reads process.env. */
export interface Config {
  readonly env: EnvValues['NODE_ENV'];
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly shutdownGraceMs: number;
    readonly readinessTimeoutMs: number;
    readonly enableDocs: boolean;
    readonly metricsAuth: EnvValues['METRICS_AUTH'];
  };
  readonly log: { readonly level: EnvValues['LOG_LEVEL']; readonly format: EnvValues['LOG_FORMAT'] };
  readonly streamingMode: StreamingMode;
  readonly transcriptionVariant: EnvValues['TRANSCRIPTION_VARIANT'];
  readonly media: {
    readonly bargeInMinSpeechMs: number;
    readonly eouSilenceMs: number;
    readonly eouUnfinishedSilenceMs: number;
    readonly outputLeadMs: number;
    readonly dtmfInterDigitMs: number;
    readonly maxBadMessages: number;
  };
  readonly redis: { readonly url: string | undefined; readonly entraUsername: string | undefined };
  readonly auth: {
    readonly mode: EnvValues['AUTH_MODE'];
    readonly apiKeys: string | undefined;
    readonly sessionTokenSecret: string | undefined;
    readonly sessionTokenTtlSeconds: number;
    /** Set with AUTH_MODE=entra. */
    readonly entra: EntraConfig | undefined;
  };
  readonly connections: {
    readonly maxConnections: number;
    readonly pingIntervalMs: number;
    readonly queueSize: number;
  };
  readonly sessions: {
    readonly ttlSeconds: number;
    readonly history: { readonly maxMessages: number; readonly maxChars: number };
  };
  readonly speech: {
    readonly stt: EnvValues['STT_PROVIDER'];
    readonly tts: EnvValues['TTS_PROVIDER'];
    readonly recognizerPool: {
      readonly maxSize: number;
      readonly warmSize: number;
      readonly sessionHoldMs: number;
    };
    readonly synthesizerPool: { readonly maxSize: number; readonly warmSize: number };
  };
  readonly poolAcquireTimeoutMs: number;
  readonly azureSpeech: {
    readonly key: string | undefined;
    readonly region: string | undefined;
    readonly endpoint: string | undefined;
    readonly voice: string;
    readonly resourceId: string | undefined;
  };
  /** Keyless access to Azure: which managed identity, when not DefaultAzureCredential's choice. */
  readonly azure: { readonly managedIdentityClientId: string | undefined };
  readonly llm: {
    readonly openaiBaseUrl: string | undefined;
    readonly openaiApiKey: string | undefined;
    readonly azureEndpoint: string | undefined;
    readonly azureApiKey: string | undefined;
    readonly model: string;
    readonly firstChunkTimeoutMs: number;
    readonly idleTimeoutMs: number;
  };
  readonly agents: { readonly dir: string; readonly engine: 'flow' | 'llm' };
  /** The realtime service of `voice_live` mode; undefined without VOICE_LIVE_URL. */
  readonly voiceLive: VoiceLiveConfig | undefined;
  readonly telemetry: { readonly serviceName: string; readonly otlpEndpoint: string | undefined };
  /** How ACS signs what it sends: set with ACS_AUDIENCE, which phone calls require. */
  readonly acsTokens: { readonly audience: string; readonly openIdConfigUrl: string } | undefined;
  /** Phone calls through ACS Call Automation; undefined without ACS_CONNECTION_STRING or ACS_ENDPOINT. */
  readonly telephony: TelephonyConfig | undefined;
}

export interface EntraConfig {
  readonly tenantId: string;
  readonly audiences: readonly string[];
  /** Empty: any client of the tenant. */
  readonly allowedClientIds: readonly string[];
  /** Empty: no role needed. */
  readonly allowedRoles: readonly string[];
  readonly openIdConfigUrl: string;
}

export interface VoiceLiveConfig {
  readonly url: string;
  readonly apiKey: string | undefined;
  /** An `api-key`/bearer key, an Entra ID token, or nothing. */
  readonly auth: 'key' | 'entra' | 'none';
  readonly dialect: EnvValues['VOICE_LIVE_DIALECT'];
  /** Age (ms) at which a service session is rolled over to a new one. */
  readonly rolloverMs: number;
  /** Sessions connected ahead (VOICE_LIVE_POOL_WARM). */
  readonly poolWarm: number;
}

export interface TelephonyConfig {
  /** A connection string (access key), or an endpoint reached with an Entra ID credential. */
  readonly acs: { readonly connectionString: string } | { readonly endpoint: string };
  readonly baseUrl: string;
  readonly sourceNumber: string | undefined;
  readonly transferNumber: string | undefined;
  readonly audioFormat: EnvValues['ACS_AUDIO_FORMAT'];
  readonly eventGridSecret: string | undefined;
  /** How calls are answered: media streaming, or ACS's transcription (ACS_STREAMING_MODE). */
  readonly streamingMode: StreamingMode;
  /** The Azure AI services resource ACS transcribes and speaks with. */
  readonly cognitiveServicesEndpoint: string | undefined;
  readonly transcriptionVariant: EnvValues['TRANSCRIPTION_VARIANT'];
}

/** Thrown when the environment is invalid; `problems` has one line per bad variable. */
export class ConfigError extends RtvoiceError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Fix these environment variables (or the .env file) and start again; README.md#configuration lists them all.',
    );
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A dotenv file whose values apply where the environment has none. Defaults to `.env`; null reads none. */
  readonly envFile?: string | null;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const fromFile = readEnvFile(options.envFile === undefined ? '.env' : options.envFile);
  const env = { ...fromFile, ...(options.env ?? process.env) };
  return toConfig(parseEnvVars(env));
}

function readEnvFile(path: string | null): Record<string, string> {
  if (path === null || !existsSync(path)) return {};
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new ConfigError([`${path}: cannot be read as a dotenv file (${String(err)})`]);
  }
}

function parseEnvVars(env: Readonly<Record<string, string | undefined>>): EnvValues {
  const values: Partial<Record<EnvVarName, unknown>> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(ENV_VARS) as [EnvVarName, (typeof ENV_VARS)[EnvVarName]][]) {
    const raw = env[name]?.trim() || spec.default;
    if (raw === undefined) continue;
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const shown = spec.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${name}: expected ${spec.expected}, got ${shown}`);
    }
  }
  for (const kind of ['STT', 'TTS'] as const) {
    const size = values[`${kind}_POOL_SIZE`] as number | undefined;
    const warm = values[`${kind}_POOL_WARM`] as number | undefined;
    if (size !== undefined && warm !== undefined && warm > size) {
      problems.push(`${kind}_POOL_WARM: expected at most ${kind}_POOL_SIZE (${size}), got ${warm}`);
    }
  }
  if (values.AUTH_MODE === 'entra') {
    for (const name of ['ENTRA_TENANT_ID', 'ENTRA_AUDIENCE'] as const)
      if (values[name] === undefined) problems.push(`${name}: required with AUTH_MODE=entra`);
  }
  if (values.AUTH_MODE === 'apikey' && values.API_KEYS === undefined) {
    problems.push('API_KEYS: expected at least one key when AUTH_MODE=apikey');
  }
  problems.push(...exposureProblems(values), ...telephonyProblems(values), ...streamingModeProblems(values));
  const usesAzureSpeech = values.STT_PROVIDER === 'azure' || values.TTS_PROVIDER === 'azure';
  if (
    usesAzureSpeech &&
    values.AZURE_SPEECH_REGION === undefined &&
    values.AZURE_SPEECH_ENDPOINT === undefined
  ) {
    problems.push(
      'AZURE_SPEECH_REGION: expected a region (or AZURE_SPEECH_ENDPOINT) when a speech provider is azure',
    );
  }
  if (
    values.AGENT_ENGINE === 'llm' &&
    values.OPENAI_BASE_URL === undefined &&
    values.AZURE_OPENAI_ENDPOINT === undefined
  ) {
    problems.push(
      'AGENT_ENGINE: llm needs OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT (or use flow, the offline engine)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as EnvValues;
}

/** Loopback addresses and names: only this machine reaches a server bound to one. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.startsWith('::ffff:127.');
}

/** Personal data is never served without credentials beyond this machine, and never in production. */
function exposureProblems(values: Partial<Record<EnvVarName, unknown>>): string[] {
  if (values.AUTH_MODE !== 'none') return [];
  if (values.NODE_ENV === 'production') {
    return [
      'AUTH_MODE: none is refused with NODE_ENV=production; set AUTH_MODE=apikey and API_KEYS (or AUTH_MODE=entra)',
    ];
  }
  const host = values.HOST as string | undefined;
  if (host === undefined || isLoopback(host) || values.ALLOW_UNAUTHENTICATED_REMOTE === true) return [];
  return [
    `HOST: ${host} would let anyone who reaches the port read and delete every conversation, since AUTH_MODE=none; ` +
      'set AUTH_MODE=apikey and API_KEYS, bind to 127.0.0.1, or accept the risk with ALLOW_UNAUTHENTICATED_REMOTE=true',
  ];
}

/** Each streaming mode needs what does its speech work: ACS for transcription, a realtime service for voice_live. */
function streamingModeProblems(values: Partial<Record<EnvVarName, unknown>>): string[] {
  const mode = values.ACS_STREAMING_MODE;
  if (
    mode === 'transcription' &&
    values.ACS_CONNECTION_STRING === undefined &&
    values.ACS_ENDPOINT === undefined
  )
    return [
      'ACS_STREAMING_MODE: transcription mode needs ACS Call Automation (ACS recognises and speaks): set ACS_CONNECTION_STRING or ACS_ENDPOINT, or use media',
    ];
  if (values.VOICE_LIVE_AUTH === 'key' && values.VOICE_LIVE_API_KEY === undefined)
    return [
      'VOICE_LIVE_AUTH: key needs VOICE_LIVE_API_KEY; set it, or VOICE_LIVE_AUTH=entra for keyless Azure access',
    ];
  if (mode === 'voice_live' && values.VOICE_LIVE_URL === undefined)
    return [
      'ACS_STREAMING_MODE: voice_live mode needs VOICE_LIVE_URL, a realtime service (Azure Voice Live, Azure OpenAI, OpenAI, or another rtvoice at ws://host:port/v1/realtime), or use media',
    ];
  return [];
}

/** Phone calls need a public URL, a way to verify ACS's tokens and, with authentication, an Event Grid secret. */
function telephonyProblems(values: Partial<Record<EnvVarName, unknown>>): string[] {
  const problems: string[] = [];
  const hasString = values.ACS_CONNECTION_STRING !== undefined;
  if (!hasString && values.ACS_ENDPOINT === undefined) return problems;
  if (hasString && values.ACS_ENDPOINT !== undefined)
    problems.push('ACS_ENDPOINT: set either it (keyless) or ACS_CONNECTION_STRING, not both');
  const baseUrl = values.BASE_URL as string | undefined;
  if (baseUrl === undefined)
    problems.push(
      'BASE_URL: expected the public URL ACS reaches this server at (e.g. a dev tunnel) with ACS',
    );
  else if (values.NODE_ENV === 'production' && !baseUrl.startsWith('https:'))
    problems.push(
      'BASE_URL: expected https with NODE_ENV=production: call audio and callbacks must be encrypted',
    );
  if (values.ACS_AUDIENCE === undefined)
    problems.push(
      'ACS_AUDIENCE: expected the ACS resource’s immutable resource id (Azure portal → the resource → Properties) to verify callbacks',
    );
  if (values.AUTH_MODE !== 'none' && values.ACS_EVENTGRID_SECRET === undefined)
    problems.push(
      'ACS_EVENTGRID_SECRET: expected a secret for the Event Grid webhook URL when AUTH_MODE is not none',
    );
  return problems;
}

function toConfig(v: EnvValues): Config {
  return {
    env: v.NODE_ENV,
    server: {
      host: v.HOST ?? (v.AUTH_MODE === 'none' ? '127.0.0.1' : '0.0.0.0'),
      metricsAuth: v.METRICS_AUTH,
      port: v.PORT,
      shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
      readinessTimeoutMs: v.READINESS_TIMEOUT_MS,
      enableDocs: v.ENABLE_DOCS,
    },
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    streamingMode: v.ACS_STREAMING_MODE,
    transcriptionVariant: v.TRANSCRIPTION_VARIANT,
    media: {
      bargeInMinSpeechMs: v.BARGE_IN_MIN_SPEECH_MS,
      eouSilenceMs: v.EOU_SILENCE_MS,
      eouUnfinishedSilenceMs: v.EOU_UNFINISHED_SILENCE_MS,
      outputLeadMs: v.OUTPUT_LEAD_MS,
      dtmfInterDigitMs: v.DTMF_INTERDIGIT_MS,
      maxBadMessages: v.MAX_BAD_MESSAGES,
    },
    redis: { url: v.REDIS_URL, entraUsername: v.REDIS_ENTRA_USERNAME },
    auth: {
      mode: v.AUTH_MODE,
      apiKeys: v.API_KEYS,
      sessionTokenSecret: v.SESSION_TOKEN_SECRET,
      sessionTokenTtlSeconds: v.SESSION_TOKEN_TTL_SECONDS,
      entra: entraConfig(v),
    },
    connections: {
      maxConnections: v.MAX_CONNECTIONS,
      pingIntervalMs: v.WS_PING_INTERVAL_MS,
      queueSize: v.CONNECTION_QUEUE_SIZE,
    },
    sessions: {
      ttlSeconds: v.SESSION_TTL_SECONDS,
      history: { maxMessages: v.HISTORY_MAX_MESSAGES, maxChars: v.HISTORY_MAX_CHARS },
    },
    speech: {
      stt: v.STT_PROVIDER,
      tts: v.TTS_PROVIDER,
      recognizerPool: {
        maxSize: v.STT_POOL_SIZE,
        warmSize: v.STT_POOL_WARM,
        sessionHoldMs: v.STT_SESSION_HOLD_MS,
      },
      synthesizerPool: { maxSize: v.TTS_POOL_SIZE, warmSize: v.TTS_POOL_WARM },
    },
    poolAcquireTimeoutMs: v.POOL_ACQUIRE_TIMEOUT_MS,
    azureSpeech: {
      key: v.AZURE_SPEECH_KEY,
      region: v.AZURE_SPEECH_REGION,
      endpoint: v.AZURE_SPEECH_ENDPOINT,
      voice: v.AZURE_TTS_VOICE,
      resourceId: v.AZURE_SPEECH_RESOURCE_ID,
    },
    azure: { managedIdentityClientId: v.AZURE_MANAGED_IDENTITY_CLIENT_ID },
    llm: {
      openaiBaseUrl: v.OPENAI_BASE_URL,
      openaiApiKey: v.OPENAI_API_KEY,
      azureEndpoint: v.AZURE_OPENAI_ENDPOINT,
      azureApiKey: v.AZURE_OPENAI_API_KEY,
      model: v.LLM_MODEL,
      firstChunkTimeoutMs: v.LLM_FIRST_CHUNK_TIMEOUT_MS,
      idleTimeoutMs: v.LLM_IDLE_TIMEOUT_MS,
    },
    voiceLive:
      v.VOICE_LIVE_URL === undefined
        ? undefined
        : {
            url: v.VOICE_LIVE_URL,
            apiKey: v.VOICE_LIVE_API_KEY,
            auth:
              v.VOICE_LIVE_AUTH ??
              (v.VOICE_LIVE_API_KEY !== undefined
                ? 'key'
                : new URL(v.VOICE_LIVE_URL).hostname.endsWith('.azure.com')
                  ? 'entra'
                  : 'none'),
            dialect: v.VOICE_LIVE_DIALECT,
            rolloverMs: v.VOICE_LIVE_ROLLOVER_S * 1000,
            poolWarm: v.VOICE_LIVE_POOL_WARM,
          },
    agents: {
      dir: v.AGENTS_DIR,
      engine:
        v.AGENT_ENGINE === 'auto'
          ? v.AZURE_OPENAI_ENDPOINT !== undefined || v.OPENAI_BASE_URL !== undefined
            ? 'llm'
            : 'flow'
          : v.AGENT_ENGINE,
    },
    telemetry: { serviceName: v.OTEL_SERVICE_NAME, otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT },
    acsTokens:
      v.ACS_AUDIENCE === undefined
        ? undefined
        : { audience: v.ACS_AUDIENCE, openIdConfigUrl: v.ACS_OPENID_CONFIG_URL },
    telephony: telephonyConfig(v),
  };
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function entraConfig(v: EnvValues): EntraConfig | undefined {
  if (v.AUTH_MODE !== 'entra' || v.ENTRA_TENANT_ID === undefined) return undefined;
  return {
    tenantId: v.ENTRA_TENANT_ID,
    audiences: list(v.ENTRA_AUDIENCE),
    allowedClientIds: list(v.ENTRA_ALLOWED_CLIENT_IDS),
    allowedRoles: list(v.ENTRA_ALLOWED_ROLES),
    openIdConfigUrl:
      v.ENTRA_OPENID_CONFIG_URL ??
      `https://login.microsoftonline.com/${encodeURIComponent(v.ENTRA_TENANT_ID)}/v2.0/.well-known/openid-configuration`,
  };
}

function telephonyConfig(v: EnvValues): TelephonyConfig | undefined {
  const acs =
    v.ACS_CONNECTION_STRING !== undefined
      ? { connectionString: v.ACS_CONNECTION_STRING }
      : v.ACS_ENDPOINT !== undefined
        ? { endpoint: v.ACS_ENDPOINT }
        : undefined;
  if (acs === undefined || v.BASE_URL === undefined) return undefined;
  return {
    acs,
    baseUrl: v.BASE_URL.replace(/\/+$/, ''),
    sourceNumber: v.ACS_SOURCE_PHONE_NUMBER,
    transferNumber: v.ACS_TRANSFER_NUMBER,
    audioFormat: v.ACS_AUDIO_FORMAT,
    eventGridSecret: v.ACS_EVENTGRID_SECRET,
    streamingMode: v.ACS_STREAMING_MODE,
    cognitiveServicesEndpoint: v.ACS_COGNITIVE_SERVICES_ENDPOINT,
    transcriptionVariant: v.TRANSCRIPTION_VARIANT,
  };
}

/** The configuration as it may be logged: credentials inside URLs and secret values are masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    env: config.env,
    server: config.server,
    streamingMode: config.streamingMode,
    redis: config.redis.url === undefined ? 'embedded (in-memory)' : maskUrl(config.redis.url),
    speech: { stt: config.speech.stt, tts: config.speech.tts },
    llm: config.llm.azureEndpoint ?? config.llm.openaiBaseUrl ?? 'none',
    agents: config.agents,
    otlpEndpoint: config.telemetry.otlpEndpoint ?? 'off',
    telephony:
      config.telephony === undefined
        ? 'off'
        : {
            acs:
              'endpoint' in config.telephony.acs
                ? `${config.telephony.acs.endpoint} (keyless)`
                : 'connection string',
            baseUrl: config.telephony.baseUrl,
          },
  };
}

export function maskUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
