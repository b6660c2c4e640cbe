import { z } from 'zod';
import { E164 } from '../phone-number.ts';

/** One environment variable: how to parse it, its default (as it would be written in the environment) and what it means. */
export class EnvVar<T, HasDefault extends boolean = boolean> {
  readonly schema: z.ZodType<T>;
  /** What a valid value looks like, said to the person who set a bad one. */
  readonly expected: string;
  readonly doc: string;
  readonly default: string | undefined;
  readonly hasDefault: HasDefault;
  /** Never printed: values are masked in error messages and logs. */
  readonly secret: boolean;

  constructor(init: {
    schema: z.ZodType<T>;
    expected: string;
    doc: string;
    default?: string | undefined;
    hasDefault: HasDefault;
    secret?: boolean;
  }) {
    this.schema = init.schema;
    this.expected = init.expected;
    this.doc = init.doc;
    this.default = init.default;
    this.hasDefault = init.hasDefault;
    this.secret = init.secret ?? false;
  }

  withDefault(value: string): EnvVar<T, true> {
    return new EnvVar({ ...this, default: value, hasDefault: true });
  }

  asSecret(): EnvVar<T, HasDefault> {
    return new EnvVar({ ...this, secret: true });
  }
}

const envVar = <T>(schema: z.ZodType<T>, expected: string, doc: string) =>
  new EnvVar({ schema, expected, doc, hasDefault: false });

const int = (min: number, max: number, doc: string) =>
  envVar(z.coerce.number().int().min(min).max(max), `an integer from ${min} to ${max}`, doc);

const oneOf = <const T extends readonly [string, ...string[]]>(values: T, doc: string) =>
  envVar(z.enum(values), `one of ${values.join(', ')}`, doc);

const text = (doc: string) => envVar(z.string().min(1), 'a non-empty string', doc);

const flag = (doc: string) =>
  envVar(
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
    'true or false',
    doc,
  );

const phoneNumber = (doc: string) =>
  envVar(z.string().regex(E164), 'an E.164 phone number such as +14255550123', doc);

function url(protocols: readonly string[], doc: string) {
  const hasProtocol = (value: string) => URL.canParse(value) && protocols.includes(new URL(value).protocol);
  return envVar(
    z.string().refine(hasProtocol),
    `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    doc,
  );
}

/**
 * Every environment variable rtvoice reads. The README's configuration table is checked against this list
 * by a test, so a variable cannot be added without being documented.
 */
export const ENV_VARS = {
  NODE_ENV: oneOf(
    ['development', 'production', 'test'],
    'Deployment environment; `production` switches logs to JSON and refuses AUTH_MODE=none.',
  ).withDefault('development'),
  HOST: text(
    'Address the HTTP/WebSocket server binds to. Unset: 127.0.0.1 with AUTH_MODE=none (this machine only), 0.0.0.0 otherwise.',
  ),
  PORT: int(0, 65535, 'Port of the HTTP/WebSocket server (0 picks a free port).').withDefault('8080'),
  LOG_LEVEL: oneOf(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'Lowest log level written.',
  ).withDefault('info'),
  LOG_FORMAT: oneOf(
    ['auto', 'json', 'pretty'],
    '`json` lines, `pretty` text, or `auto`: pretty on a terminal unless NODE_ENV=production.',
  ).withDefault('auto'),
  ACS_STREAMING_MODE: oneOf(
    ['media', 'transcription', 'voice_live'],
    'How calls are handled: `media` (VAD → STT → agent → TTS cascade on rtvoice), `transcription` (ACS recognises and speaks; phone calls only) or `voice_live`.',
  ).withDefault('media'),
  TRANSCRIPTION_VARIANT: oneOf(
    ['agent', 'listen'],
    'In transcription mode: `agent` answers callers (ACS speaks its replies), `listen` only transcribes (captions and notes of calls between people). A placed call may choose its own.',
  ).withDefault('agent'),
  BARGE_IN_MIN_SPEECH_MS: int(
    0,
    5_000,
    'Caller speech this long while the agent speaks interrupts it; shorter sounds (a cough, "mm-hm") do not.',
  ).withDefault('200'),
  EOU_SILENCE_MS: int(100, 5_000, 'Silence after caller speech that ends the caller’s turn.').withDefault(
    '250',
  ),
  EOU_UNFINISHED_SILENCE_MS: int(
    100,
    5_000,
    'Silence that ends the caller’s turn when what they said so far sounds unfinished ("my zip code is", three digits of five).',
  ).withDefault('1100'),
  OUTPUT_LEAD_MS: int(
    20,
    2_000,
    'How far ahead of playback agent audio is sent: more rides out network jitter, less stops faster on barge-in.',
  ).withDefault('160'),
  DTMF_INTERDIGIT_MS: int(100, 10_000, 'Keypad digits end after this pause, or on #.').withDefault('1500'),
  MAX_BAD_MESSAGES: int(
    1,
    10_000,
    'Consecutive malformed messages after which a media socket is closed with 1007.',
  ).withDefault('50'),
  REDIS_URL: url(
    ['redis:', 'rediss:'],
    'Redis for session state and cross-instance broadcasts. Unset: the embedded in-memory store (one instance).',
  ).asSecret(),
  SESSION_TTL_SECONDS: int(
    60,
    30 * 86_400,
    'How long a session is kept after its last change (refreshed on every write), in Redis or in memory.',
  ).withDefault('7200'),
  HISTORY_MAX_MESSAGES: int(
    2,
    10_000,
    'Messages kept per agent thread besides its system prompt (the latest).',
  ).withDefault('40'),
  HISTORY_MAX_CHARS: int(
    100,
    1_000_000,
    'Characters kept per agent thread besides its system prompt.',
  ).withDefault('16000'),
  MAX_CONNECTIONS: int(
    1,
    1_000_000,
    'WebSocket connections one instance holds; further upgrades get HTTP 503.',
  ).withDefault('1000'),
  WS_PING_INTERVAL_MS: int(
    0,
    600_000,
    'How often the server pings each WebSocket; one that misses two pings is closed (0 turns pings off).',
  ).withDefault('20000'),
  CONNECTION_QUEUE_SIZE: int(
    1,
    100_000,
    'Messages waiting for one slow dashboard or browser before the oldest are dropped.',
  ).withDefault('100'),
  AUTH_MODE: oneOf(
    ['none', 'apikey', 'entra'],
    'How callers, pages and operators authenticate: `none` (this machine only, unless ALLOW_UNAUTHENTICATED_REMOTE), `apikey` (API_KEYS and session tokens) or `entra` (Entra ID bearer tokens and session tokens).',
  ).withDefault('none'),
  ALLOW_UNAUTHENTICATED_REMOTE: flag(
    'With AUTH_MODE=none, allow HOST to be an address other machines reach: anyone who reaches the port can then read and delete every conversation.',
  ).withDefault('false'),
  METRICS_AUTH: oneOf(
    ['auto', 'public', 'apikey'],
    'Who may read /metrics: `public`, `apikey` (an unscoped API key) or `auto`: public when HOST is a loopback address, else an unscoped key.',
  ).withDefault('auto'),
  API_KEYS: text(
    'Comma-separated API keys for AUTH_MODE=apikey: `key` sees every session, `key:s1|s2` only those sessions.',
  ).asSecret(),
  ENTRA_TENANT_ID: text('With AUTH_MODE=entra: the Entra ID tenant whose tokens are accepted.'),
  ENTRA_AUDIENCE: text(
    'With AUTH_MODE=entra: comma-separated accepted token audiences (rtvoice’s app registration: its client id or `api://…` URI).',
  ),
  ENTRA_ALLOWED_CLIENT_IDS: text(
    'With AUTH_MODE=entra: comma-separated client (application) ids allowed to call rtvoice (`azp`/`appid`); unset: any client of the tenant.',
  ),
  ENTRA_ALLOWED_ROLES: text(
    'With AUTH_MODE=entra: comma-separated app roles of which a token needs one (`roles`); unset: no role needed.',
  ),
  ENTRA_OPENID_CONFIG_URL: url(
    ['https:', 'http:'],
    'With AUTH_MODE=entra: where the tenant’s issuer and keys are published. Unset: https://login.microsoftonline.com/<ENTRA_TENANT_ID>/v2.0/.well-known/openid-configuration.',
  ),
  SESSION_TOKEN_SECRET: text(
    'Secret that signs browser session tokens; set the same value on every instance (unset: random per process).',
  ).asSecret(),
  SESSION_TOKEN_TTL_SECONDS: int(30, 86_400, 'Lifetime of a browser session token.').withDefault('900'),
  STT_PROVIDER: oneOf(
    ['pocketsphinx', 'azure', 'null'],
    'Speech-to-text provider; `null` hears nothing (no VAD model either): for measuring the media path.',
  ).withDefault('pocketsphinx'),
  TTS_PROVIDER: oneOf(
    ['flite', 'espeak', 'azure', 'null'],
    'Text-to-speech provider; `null` says nothing.',
  ).withDefault('flite'),
  STT_POOL_SIZE: int(
    1,
    1000,
    'Most speech recognizers open at once: one per active call (pocketsphinx: one worker thread each).',
  ).withDefault('16'),
  STT_POOL_WARM: int(
    0,
    100,
    'Recognizers loaded before calls arrive and kept ready (pocketsphinx: about 0.4 s and 100 MB each).',
  ).withDefault('2'),
  STT_SESSION_HOLD_MS: int(
    0,
    600_000,
    'How long a released recognizer stays reserved for its session, so a reconnecting call gets its own back.',
  ).withDefault('30000'),
  TTS_POOL_SIZE: int(
    1,
    1000,
    'Most synthesizers in use at once; a call keeps one for its duration.',
  ).withDefault('16'),
  TTS_POOL_WARM: int(
    0,
    100,
    'Synthesizers started before calls arrive and kept ready; with flite, the greeting is also rendered ahead unless 0.',
  ).withDefault('2'),
  POOL_ACQUIRE_TIMEOUT_MS: int(
    10,
    60_000,
    'How long a call waits for a free pooled resource (recognizer, LLM client) before it fails.',
  ).withDefault('3000'),
  AZURE_SPEECH_KEY: text(
    'Azure Speech resource key, for STT_PROVIDER=azure or TTS_PROVIDER=azure.',
  ).asSecret(),
  AZURE_SPEECH_REGION: text('Azure Speech region, e.g. eastus.'),
  AZURE_SPEECH_ENDPOINT: url(
    ['https:', 'http:'],
    'Azure Speech endpoint overriding the region, e.g. a custom domain (needed for Entra ID tokens).',
  ),
  AZURE_SPEECH_RESOURCE_ID: text(
    'Resource id (/subscriptions/…/accounts/NAME) of the Azure Speech resource, for keyless (Entra ID) speech recognition.',
  ),
  AZURE_MANAGED_IDENTITY_CLIENT_ID: text(
    'Client id of the user-assigned managed identity that keyless Azure access uses (unset: DefaultAzureCredential picks).',
  ),
  REDIS_ENTRA_USERNAME: text(
    'With an Azure Managed Redis REDIS_URL: the identity’s object id; rtvoice then signs in with an Entra ID token as password, renewed before it expires.',
  ),
  AZURE_TTS_VOICE: text('Default Azure neural voice.').withDefault('en-US-AvaMultilingualNeural'),
  VOICE_LIVE_URL: url(
    ['wss:', 'ws:'],
    'Realtime speech-to-speech service for `voice_live` mode, with its model in the URL: Azure Voice Live, Azure OpenAI or OpenAI Realtime, or another rtvoice (`ws://host:port/v1/realtime`, offline).',
  ),
  VOICE_LIVE_API_KEY: text(
    'Key for VOICE_LIVE_URL (the `api-key` header for Azure hosts, a bearer token elsewhere); unset: keyless Entra ID for Azure hosts (*.azure.com), nothing elsewhere.',
  ).asSecret(),
  VOICE_LIVE_AUTH: oneOf(
    ['key', 'entra', 'none'],
    'How rtvoice authenticates to VOICE_LIVE_URL, when the default (VOICE_LIVE_API_KEY if set, else Entra ID for *.azure.com hosts, else nothing) does not fit: `entra` for an Azure resource behind a custom domain.',
  ),
  VOICE_LIVE_ROLLOVER_S: int(
    1,
    86_400,
    'Age (seconds) at which a realtime service session is replaced, at the next pause, by a new one seeded with the conversation; keep it under the service’s limit (Azure OpenAI 30 min, OpenAI 60 min). A session the service ends for its age is replaced at once.',
  ).withDefault('1680'),
  VOICE_LIVE_POOL_WARM: int(
    0,
    100,
    'Realtime service sessions connected ahead in voice_live mode, so a call does not wait for the handshake.',
  ).withDefault('1'),
  VOICE_LIVE_DIALECT: oneOf(
    ['ga', 'preview'],
    'Realtime protocol shape of VOICE_LIVE_URL: `ga` (OpenAI and Azure OpenAI `/v1/realtime`, rtvoice) or `preview` (Azure Voice Live, the Azure OpenAI preview).',
  ).withDefault('ga'),
  OPENAI_BASE_URL: url(
    ['http:', 'https:'],
    'Base URL of an OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp). With neither this nor an Azure endpoint, the offline flow agent answers.',
  ),
  OPENAI_API_KEY: text('API key for OPENAI_BASE_URL.').asSecret(),
  AZURE_OPENAI_ENDPOINT: url(
    ['https:', 'http:'],
    'Azure OpenAI endpoint, e.g. https://NAME.openai.azure.com.',
  ),
  AZURE_OPENAI_API_KEY: text('Azure OpenAI key; unset means keyless (Entra ID) authentication.').asSecret(),
  LLM_MODEL: text('Model (Azure: deployment) for agents whose YAML names none.').withDefault('gpt-4o-mini'),
  LLM_FIRST_CHUNK_TIMEOUT_MS: int(
    100,
    120_000,
    'How long the LLM may take to start answering before the request is retried or fails.',
  ).withDefault('10000'),
  LLM_IDLE_TIMEOUT_MS: int(
    100,
    120_000,
    'Longest pause between two streamed LLM chunks; a quieter stream counts as stalled and fails.',
  ).withDefault('5000'),
  AGENTS_DIR: text('Directory of agent YAML files, voices.yaml and prompt templates.').withDefault('agents'),
  AGENT_ENGINE: oneOf(
    ['auto', 'flow', 'llm'] as const,
    'Which engine answers: llm (prompts and tools), flow (offline state machines), or auto: llm when an LLM endpoint is set.',
  ).withDefault('auto'),
  ACS_CONNECTION_STRING: envVar(
    z.string().regex(/^endpoint=https?:\/\/[^;]+;accesskey=[^;]+$/i),
    'endpoint=https://<resource>.communication.azure.com/;accesskey=<key>',
    'Azure Communication Services connection string: rtvoice answers and places phone calls with it.',
  ).asSecret(),
  ACS_ENDPOINT: url(
    ['https:', 'http:'],
    'ACS endpoint for keyless access (managed identity or `az login`), instead of ACS_CONNECTION_STRING.',
  ),
  ACS_SOURCE_PHONE_NUMBER: phoneNumber('The ACS phone number outbound calls come from.'),
  ACS_TRANSFER_NUMBER: phoneNumber('Where an escalation to a person transfers the call.'),
  ACS_AUDIENCE: text(
    'The ACS resource’s immutable resource id: the audience of the tokens ACS signs its callbacks and media sockets with.',
  ),
  ACS_OPENID_CONFIG_URL: url(
    ['https:', 'http:'],
    'Where ACS publishes its token issuer and signing keys.',
  ).withDefault(
    'https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration',
  ),
  ACS_AUDIO_FORMAT: oneOf(
    ['pcm16KMono', 'pcm24KMono'],
    'Audio format ACS streams calls in (a call placed through the API may choose its own).',
  ).withDefault('pcm16KMono'),
  ACS_COGNITIVE_SERVICES_ENDPOINT: url(
    ['https:'],
    'Azure AI services endpoint connected to the ACS resource: ACS needs it to transcribe calls and speak text (transcription mode).',
  ),
  ACS_EVENTGRID_SECRET: text(
    'Secret that the Event Grid subscription puts in its webhook URL (`/api/v1/calls/answer?secret=…`); required with ACS unless AUTH_MODE=none.',
  ).asSecret(),
  BASE_URL: url(
    ['https:', 'http:'],
    'Public base URL of this server, which ACS calls back and streams media to (https in production; a dev tunnel for local use).',
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(
    ['http:', 'https:'],
    'OTLP/HTTP collector base URL; traces are exported only when it is set.',
  ),
  OTEL_SERVICE_NAME: text('`service.name` of exported traces.').withDefault('rtvoice'),
  READINESS_TIMEOUT_MS: int(
    50,
    30_000,
    'Time each readiness check may take before it counts as failed.',
  ).withDefault('1000'),
  SHUTDOWN_GRACE_MS: int(
    0,
    600_000,
    'On SIGTERM/SIGINT, how long active sessions may go on before they are closed.',
  ).withDefault('10000'),
  ENABLE_DOCS: flag('Serve the OpenAPI description and its UI at /docs.').withDefault('true'),
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

/** The parsed value of each variable; one with no default may be undefined. */
export type EnvValues = {
  [K in EnvVarName]: (typeof ENV_VARS)[K] extends EnvVar<infer T, true>
    ? T
    : (typeof ENV_VARS)[K] extends EnvVar<infer T, false>
      ? T | undefined
      : never;
};
