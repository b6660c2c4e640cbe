import { AZURE_SCOPES, AzureCredentials } from '../azure-credentials.ts';
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/config.ts';
import { LlmClientPool } from '../llm/client-pool.ts';
import { createOpenAiClient } from '../llm/openai-client.ts';
import type { Logger } from '../telemetry/logger.ts';
import { AgentSet } from './agent-set.ts';
import { INSURANCE_TOOLS } from './demo/insurance-tools.ts';
import { FlowRunner } from './flow/flow-runner.ts';
import { LlmRunner } from './llm-runner.ts';
import { Orchestrator } from './orchestrator.ts';
import type { AgentRunner } from './runner.ts';
import { ToolRegistry } from './tools/tool-registry.ts';

/** The agents shipped with rtvoice (the insurance demo); AGENTS_DIR=agents means these. */
const PACKAGED_AGENTS = fileURLToPath(new URL('../../agents', import.meta.url));

/** Loads the configured agents and the engine that runs them. */
export async function createOrchestrator(
  config: Config,
  log: Logger,
  tools = new ToolRegistry(INSURANCE_TOOLS),
  azure?: AzureCredentials,
): Promise<Orchestrator> {
  const dir =
    config.agents.dir === 'agents'
      ? PACKAGED_AGENTS
      : isAbsolute(config.agents.dir)
        ? config.agents.dir
        : resolve(config.agents.dir);
  const agents = await AgentSet.load(dir, config.agents.engine, tools);
  const runner: AgentRunner =
    config.agents.engine === 'llm'
      ? new LlmRunner({
          clients: new LlmClientPool([llmClient(config, log, azure)]),
          defaultModel: config.llm.model,
        })
      : new FlowRunner();
  log.info({ engine: config.agents.engine, agents: agents.list().map((a) => a.name), dir }, 'agents loaded');
  return new Orchestrator({ agents, tools, runner, log, ttsProvider: config.speech.tts });
}

/** Azure OpenAI without a key authenticates with Entra ID tokens from `azure` (DefaultAzureCredential by default). */
function llmClient(config: Config, log: Logger, azure = new AzureCredentials()) {
  const tokenProvider = azure.tokenProvider(AZURE_SCOPES.cognitiveServices);
  const timeouts = { firstChunkMs: config.llm.firstChunkTimeoutMs, idleMs: config.llm.idleTimeoutMs };
  if (config.llm.azureEndpoint !== undefined) {
    return createOpenAiClient({
      provider: 'azure',
      endpoint: config.llm.azureEndpoint,
      ...(config.llm.azureApiKey !== undefined ? { apiKey: config.llm.azureApiKey } : { tokenProvider }),
      timeouts,
      logger: log,
    });
  }
  return createOpenAiClient({
    provider: 'openai',
    ...(config.llm.openaiBaseUrl !== undefined ? { baseUrl: config.llm.openaiBaseUrl } : {}),
    ...(config.llm.openaiApiKey !== undefined ? { apiKey: config.llm.openaiApiKey } : {}),
    timeouts,
    logger: log,
  });
}
