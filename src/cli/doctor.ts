import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { ConfigError, loadConfig, maskUrl, type Config } from '../config/config.ts';
import { AZURE_SCOPES, AzureCredentials } from '../azure-credentials.ts';
import { errorMessage } from '../errors.ts';
import { RealtimeService } from '../media/voice-live/realtime-service.ts';
import {
  aptInstallCommand,
  executable,
  PROVIDER_DEPENDENCIES,
  type SystemDependency,
} from '../speech/system-dependencies.ts';
import { RedisManager } from '../state/redis-manager.ts';
import { createLogger } from '../telemetry/logger.ts';

interface Finding {
  readonly ok: boolean;
  /** A problem that stops rtvoice from working as configured (others are advice). */
  readonly required: boolean;
  readonly what: string;
  readonly fix?: string;
}

const MIN_NODE_MAJOR = 22;

/** `rtvoice doctor`: checks this machine and prints, for each problem, the command that fixes it. */
export async function doctor(): Promise<number> {
  const findings: Finding[] = [checkNode()];
  let config: Config | undefined;
  try {
    config = loadConfig();
    findings.push({ ok: true, required: true, what: 'configuration is valid' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    findings.push({ ok: false, required: true, what: err.message.trimEnd() });
  }
  findings.push(...checkSpeech(config), checkRedisServerForTests());
  if (config)
    findings.push(
      ...authentication(config),
      ...transcription(config),
      await checkRedis(config),
      ...(await checkVoiceLive(config)),
      await checkPort(config),
    );

  for (const finding of findings) {
    const mark = finding.ok ? '✓' : finding.required ? '✗' : '!';
    process.stdout.write(`${mark} ${finding.what}\n`);
    if (!finding.ok && finding.fix) process.stdout.write(`    fix: ${finding.fix}\n`);
  }
  const blocking = findings.filter((finding) => !finding.ok && finding.required).length;
  process.stdout.write(
    blocking === 0
      ? '\nrtvoice is ready to run.\n'
      : `\n${blocking} problem(s) to fix before rtvoice runs as configured.\n`,
  );
  return blocking === 0 ? 0 : 1;
}

/** How each configured Azure client authenticates: a key, or Entra ID without one. */
function authentication(config: Config): Finding[] {
  const entra = new AzureCredentials({
    managedIdentityClientId: config.azure.managedIdentityClientId,
  }).describe();
  const clients: [string, boolean, string][] = [];
  if (config.llm.azureEndpoint !== undefined)
    clients.push(['Azure OpenAI', config.llm.azureApiKey !== undefined, 'AZURE_OPENAI_API_KEY']);
  if (config.speech.stt === 'azure' || config.speech.tts === 'azure')
    clients.push(['Azure Speech', config.azureSpeech.key !== undefined, 'AZURE_SPEECH_KEY']);
  if (config.telephony)
    clients.push([
      'ACS Call Automation',
      'connectionString' in config.telephony.acs,
      'ACS_CONNECTION_STRING',
    ]);
  if (config.redis.url !== undefined && config.redis.entraUsername !== undefined)
    clients.push(['Redis', false, 'REDIS_ENTRA_USERNAME']);
  return clients.map(([client, keyed, setting]) => ({
    ok: true,
    required: false,
    what: `${client} authenticates with ${keyed ? `a key (${setting})` : entra}`,
  }));
}

/** Transcription mode needs an Azure AI services resource on ACS's side, which only a real call shows. */
function transcription(config: Config): Finding[] {
  const telephony = config.telephony;
  if (telephony?.streamingMode !== 'transcription' || telephony.cognitiveServicesEndpoint !== undefined)
    return [];
  return [
    {
      ok: false,
      required: false,
      what: 'transcription mode: ACS_COGNITIVE_SERVICES_ENDPOINT is unset, so a real ACS resource can neither transcribe calls nor speak replies (the ACS simulator does not need it)',
      fix: 'connect an Azure AI services resource to the ACS resource and set ACS_COGNITIVE_SERVICES_ENDPOINT to its endpoint',
    },
  ];
}

function checkNode(): Finding {
  const major = Number(process.versions.node.split('.')[0]);
  return {
    ok: major >= MIN_NODE_MAJOR,
    required: true,
    what: `Node.js ${process.version} (${process.execPath})`,
    fix: 'run rtvoice through npm so the bundled Node 24 is used: npm ci && npx rtvoice doctor',
  };
}

function checkSpeech(config: Config | undefined): Finding[] {
  const inUse = new Set<string>(config ? [config.speech.stt, config.speech.tts] : []);
  return Object.entries(PROVIDER_DEPENDENCIES).flatMap(([provider, dependencies]) =>
    dependencies.map((dependency) =>
      dependencyFinding(
        dependency,
        `${provider} ${inUse.has(provider) ? '(configured)' : '(optional)'}`,
        inUse.has(provider),
      ),
    ),
  );
}

function dependencyFinding(dependency: SystemDependency, label: string, required: boolean): Finding {
  const found = dependency.locate();
  return {
    ok: found !== undefined,
    required,
    what: `${label}: ${dependency.description}${found ? ` at ${found}` : ' is missing'}`,
    fix: aptInstallCommand([dependency]),
  };
}

function checkRedisServerForTests(): Finding {
  return dependencyFinding(executable('redis-server', 'redis-server'), 'tests', false);
}

async function checkRedis(config: Config): Promise<Finding> {
  if (config.redis.url === undefined) {
    return {
      ok: true,
      required: false,
      what: 'REDIS_URL unset: sessions use the embedded in-memory store (one instance only)',
    };
  }
  const where = maskUrl(config.redis.url);
  const redis = new RedisManager(config.redis.url, createLogger({ level: 'silent', format: 'json' }));
  redis.start();
  try {
    await waitFor(() => redis.ping(), 2_000);
    return { ok: true, required: true, what: `Redis answers at ${where}` };
  } catch (err) {
    return {
      ok: false,
      required: true,
      what: `Redis at ${where} does not answer (${errorMessage(err)})`,
      fix: 'start it (redis-server --daemonize yes) or unset REDIS_URL to use the embedded store',
    };
  } finally {
    await redis.close();
  }
}

/** The realtime service of voice_live mode accepts a session with the configured credentials. */
async function checkVoiceLive(config: Config): Promise<Finding[]> {
  const service = config.voiceLive;
  if (!service) return [];
  const host = new URL(service.url).host;
  const auth = { key: 'its key', entra: 'an Entra ID token', none: 'no credentials' }[service.auth];
  const azure = new AzureCredentials({ managedIdentityClientId: config.azure.managedIdentityClientId });
  try {
    const session = await RealtimeService.connect(
      service,
      AbortSignal.timeout(5_000),
      azure.tokenProvider(AZURE_SCOPES.cognitiveServices),
    );
    session.close();
    return [
      { ok: true, required: true, what: `voice_live: the realtime service at ${host} accepts ${auth}` },
    ];
  } catch (err) {
    return [
      {
        ok: false,
        required: config.streamingMode === 'voice_live',
        what: `voice_live: the realtime service at ${host} did not take a session with ${auth} (${errorMessage(err)})`,
        fix:
          service.auth === 'entra'
            ? 'check VOICE_LIVE_URL, and that the identity has the Cognitive Services User (or OpenAI User) role on the resource, or set VOICE_LIVE_API_KEY'
            : 'check VOICE_LIVE_URL and VOICE_LIVE_API_KEY (and that the service is up)',
      },
    ];
  }
}

async function waitFor(attempt: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

function checkPort(config: Config): Promise<Finding> {
  const { host, port } = config.server;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        required: false,
        what: `port ${port} on ${host} is not free (${err.code ?? err.message})`,
        fix: `stop what uses it (ss -ltnp 'sport = :${port}') or set PORT to another port`,
      }),
    );
    probe.listen({ host, port }, () =>
      probe.close(() => resolve({ ok: true, required: true, what: `port ${port} on ${host} is free` })),
    );
  });
}
