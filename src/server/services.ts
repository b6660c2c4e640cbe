import type { Config } from '../config/config.ts';
import { createOrchestrator } from '../agents/create-orchestrator.ts';
import type { Orchestrator } from '../agents/orchestrator.ts';
import { randomBytes } from 'node:crypto';
import { parseApiKeys, type ApiKey, type AuthMode } from '../auth/access.ts';
import { EntraTokens } from '../auth/entra.ts';
import { OpenIdVerifier } from '../auth/openid-verifier.ts';
import { SessionTokens } from '../auth/session-token.ts';
import { Bus } from '../connections/bus.ts';
import { ConnectionManager } from '../connections/connection-manager.ts';
import { RtvoiceError } from '../errors.ts';
import { primeGreeting } from '../media/cascade/prime-greeting.ts';
import { AZURE_SCOPES, AzureCredentials } from '../azure-credentials.ts';
import type { TokenCredential } from '@azure/identity';
import { RealtimeSessionPool } from '../media/voice-live/session-pool.ts';
import { Telephony } from '../telephony/telephony.ts';
import { SpeechServices } from '../speech/speech-services.ts';
import { RedisManager } from '../state/redis-manager.ts';
import { SessionMemory } from '../state/session-memory.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Metrics } from '../telemetry/metrics.ts';
import { createReadinessChecks } from './checks.ts';
import type { ReadinessCheck } from './readiness.ts';

/** What the server is built from: created once, passed explicitly, closed once. */
export interface Services {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly connections: ConnectionManager;
  /** Broadcasts to connections on every instance. */
  readonly bus: Bus;
  readonly auth: {
    readonly mode: AuthMode;
    readonly keys: readonly ApiKey[];
    readonly tokens: SessionTokens;
    /** Verifies what ACS signs; undefined without ACS_AUDIENCE. */
    readonly acsTokens: OpenIdVerifier | undefined;
    readonly eventGridSecret: string | undefined;
    /** Entra ID bearer tokens, with AUTH_MODE=entra. */
    readonly entra: EntraTokens | undefined;
  };
  readonly redis: RedisManager | undefined;
  readonly sessions: SessionMemory;
  /** Undefined when the machine lacks the configured providers' libraries (readiness names them). */
  readonly speech: SpeechServices | undefined;
  readonly readinessChecks: readonly ReadinessCheck[];
  /** The agents and the engine that runs them. */
  readonly orchestrator: Orchestrator;
  /** Phone calls through ACS Call Automation; undefined without ACS configured. */
  readonly telephony: Telephony | undefined;
  /** Entra ID tokens for Azure services used without keys. */
  readonly azure: AzureCredentials;
  /** voice_live mode's service sessions connected ahead; undefined without VOICE_LIVE_URL. */
  readonly voiceLiveSessions: RealtimeSessionPool | undefined;
}

export interface ServiceOptions {
  /** Replaces DefaultAzureCredential for keyless Azure access (tests: a local issuer standing in for Entra ID). */
  readonly azureCredential?: TokenCredential;
}

/** Builds every service; fails (before anything listens) when the agents' YAML is invalid. */
export async function createServices(
  config: Config,
  log: Logger,
  options: ServiceOptions = {},
): Promise<Services> {
  const azure = new AzureCredentials({
    managedIdentityClientId: config.azure.managedIdentityClientId,
    ...(options.azureCredential ? { credential: options.azureCredential } : {}),
  });
  const orchestrator = await createOrchestrator(config, log, undefined, azure);
  const redis = createRedis(config, azure, log);
  const metrics = new Metrics();
  const speech = createSpeech(config, metrics, azure, log);
  const connections = new ConnectionManager(config.connections, metrics.registry);
  const bus = new Bus(connections, redis, log);
  const sessions = new SessionMemory(config, redis, metrics.registry, log);
  return {
    config,
    log,
    metrics,
    connections,
    bus,
    auth: {
      mode: config.auth.mode,
      keys: parseApiKeys(config.auth.apiKeys),
      tokens: new SessionTokens(
        config.auth.sessionTokenSecret ?? randomBytes(32).toString('hex'),
        config.auth.sessionTokenTtlSeconds,
      ),
      acsTokens: config.acsTokens && new OpenIdVerifier({ name: 'ACS', ...config.acsTokens }),
      eventGridSecret: config.telephony?.eventGridSecret,
      entra: config.auth.entra && new EntraTokens(config.auth.entra),
    },
    redis,
    sessions,
    speech,
    readinessChecks: createReadinessChecks(config, redis, speech, connections),
    orchestrator,
    telephony:
      config.telephony &&
      new Telephony({
        config: config.telephony,
        sessions,
        bus,
        redis,
        log,
        credential: azure.asTokenCredential(),
        localeOf: (agent) => {
          const agents = orchestrator.agents;
          const definition =
            (agent !== undefined ? agents.get(agent) : undefined) ?? agents.get(agents.entry)!;
          return orchestrator.voiceOf(definition, 'azure').language;
        },
      }),
    azure,
    voiceLiveSessions:
      config.voiceLive &&
      new RealtimeSessionPool(
        config.voiceLive,
        config.voiceLive.poolWarm,
        log,
        azure.tokenProvider(AZURE_SCOPES.cognitiveServices),
      ),
  };
}

/** Redis; with REDIS_ENTRA_USERNAME (Azure Managed Redis), signed in with Entra ID tokens as password. */
function createRedis(config: Config, azure: AzureCredentials, log: Logger): RedisManager | undefined {
  const { url, entraUsername } = config.redis;
  if (url === undefined) return undefined;
  if (entraUsername === undefined) return new RedisManager(url, log);
  const credentials = async () => {
    const { token, expiresAt } = await azure.token(AZURE_SCOPES.redis);
    return { username: entraUsername, password: token, expiresAt };
  };
  return new RedisManager({ url, credentials }, log);
}

function createSpeech(
  config: Config,
  metrics: Metrics,
  azure: AzureCredentials,
  log: Logger,
): SpeechServices | undefined {
  try {
    const keyless = config.azureSpeech.key === undefined;
    const token = keyless ? azure.tokenProvider(AZURE_SCOPES.cognitiveServices) : undefined;
    return new SpeechServices(config, metrics.pools, token);
  } catch (err) {
    if (!(err instanceof RtvoiceError && err.code === 'SPEECH_DEPENDENCY_MISSING')) throw err;
    log.error({ err: err.message }, 'speech stack unavailable: calls cannot be served until it is installed');
    return undefined;
  }
}

/** Starts what runs in the background: Redis connecting, the bus listening, metric sampling. */
export function startServices(services: Services): void {
  services.metrics.start();
  services.redis?.start();
  services.bus
    .start()
    .catch((err: unknown) => services.log.error({ err }, 'bus could not subscribe to Redis'));
  services.telephony
    ?.start()
    .catch((err: unknown) => services.log.error({ err }, 'telephony could not subscribe to Redis'));
  const { speech, orchestrator, config, log } = services;
  // Only flite keeps what it rendered: priming another synthesizer would cost a synthesis for nothing.
  // With TTS_POOL_WARM=0 nothing is made ahead, the greeting included.
  const primes = config.speech.tts === 'flite' && config.speech.synthesizerPool.warmSize > 0;
  const prime = primes ? () => primeGreeting(orchestrator, log) : undefined;
  speech?.warm(log, prime);
  services.voiceLiveSessions?.start();
}

export async function closeServices(services: Services): Promise<void> {
  services.metrics.stop();
  services.voiceLiveSessions?.close();
  await Promise.all([services.bus.stop(), services.telephony?.stop()]);
  await Promise.all([services.redis?.close(), services.speech?.close()]);
}
