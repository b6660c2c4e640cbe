import type { Config } from '../config/config.ts';
import type { ConnectionManager } from '../connections/connection-manager.ts';
import { describeMissing, missingDependencies } from '../speech/system-dependencies.ts';
import type { SpeechServices } from '../speech/speech-services.ts';
import type { RedisManager } from '../state/redis-manager.ts';
import { urlUnder } from '../url.ts';
import type { ReadinessCheck } from './readiness.ts';

/** One readiness check per dependency the configuration uses. */
export function createReadinessChecks(
  config: Config,
  redis: RedisManager | undefined,
  speech: SpeechServices | undefined,
  connections: ConnectionManager,
): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    {
      name: 'shutdown',
      run: () =>
        connections.isDraining
          ? Promise.reject(new Error('shutting down: not taking new sessions'))
          : Promise.resolve(),
    },
    speechCheck([config.speech.stt, config.speech.tts], speech),
  ];
  if (redis) checks.push({ name: 'redis', run: () => redis.ping() });
  const llm = llmProbe(config);
  if (llm) checks.push(llm);
  return checks;
}

/** The configured providers' libraries are installed and the warm recognizers are loaded. */
function speechCheck(providers: readonly string[], speech: SpeechServices | undefined): ReadinessCheck {
  return {
    name: 'speech',
    run: () => {
      const missing = missingDependencies(providers);
      if (missing.length > 0) return Promise.reject(new Error(describeMissing(missing)));
      const problem = speech?.problem();
      return problem === undefined ? Promise.resolve() : Promise.reject(new Error(problem));
    },
  };
}

/** The LLM server must answer its model list; 401/403 mean a wrong key, 5xx a broken server. */
function llmProbe(config: Config): ReadinessCheck | undefined {
  const { azureEndpoint, azureApiKey, openaiBaseUrl, openaiApiKey } = config.llm;
  const target = azureEndpoint
    ? {
        url: urlUnder(azureEndpoint, 'openai/models?api-version=2024-10-21'),
        headers: apiKeyHeader(azureApiKey),
      }
    : openaiBaseUrl
      ? { url: urlUnder(openaiBaseUrl, 'models'), headers: bearerHeader(openaiApiKey) }
      : undefined;
  if (!target) return undefined;
  return {
    name: 'llm',
    run: async (signal) => {
      const response = await fetch(target.url, { headers: target.headers, signal });
      await response.body?.cancel();
      if (response.status === 401 || response.status === 403) {
        throw new Error(`${target.url.origin} refused the credentials (HTTP ${response.status})`);
      }
      if (response.status >= 500) throw new Error(`${target.url.origin} answered HTTP ${response.status}`);
    },
  };
}

const apiKeyHeader = (key: string | undefined): Record<string, string> => (key ? { 'api-key': key } : {});
const bearerHeader = (key: string | undefined): Record<string, string> =>
  key ? { authorization: `Bearer ${key}` } : {};
