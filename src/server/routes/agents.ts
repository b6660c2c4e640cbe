import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgentOverrides, type AgentDefinition } from '../../agents/agent-definition.ts';
import { errorMessage, RtvoiceError } from '../../errors.ts';
import { ADMIN, PRINCIPAL } from '../access-policy.ts';
import type { Services } from '../services.ts';

const Problem = z.object({ statusCode: z.number(), error: z.string(), message: z.string() });
const Voice = z.object({
  alias: z.string(),
  provider: z.string(),
  voice: z.string().nullable(),
  style: z.string().nullable(),
  rate: z.number(),
  language: z.string(),
});
const Agent = z.object({
  name: z.string(),
  description: z.string(),
  entry: z.boolean(),
  engine: z.enum(['llm', 'flow']),
  model: z.object({
    name: z.string(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    max_tokens: z.number().optional(),
  }),
  voice: Voice,
  tools: z.array(z.string()),
  handoffs: z.array(z.string()),
  greeting: z.string().nullable(),
  flow_states: z.array(z.string()).nullable(),
});
const AgentName = z.object({ name: z.string().min(1).max(64) });

/** The agents (`GET`), and runtime changes of an agent's model settings or voice (`PUT`, admin keys only). */
export const agentRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { orchestrator, config } = services;
  const view = (agent: AgentDefinition): z.infer<typeof Agent> => {
    const voice = orchestrator.voiceOf(agent);
    return {
      name: agent.name,
      description: agent.description,
      entry: agent.entry,
      engine: orchestrator.agents.engine,
      model: { ...agent.model, name: agent.model.name ?? config.llm.model },
      voice: { ...voice, voice: voice.voice ?? null, style: voice.style ?? null },
      tools: [...agent.tools],
      handoffs: [...agent.handoffs],
      greeting: agent.greeting ?? null,
      flow_states: agent.flow ? Object.keys(agent.flow.states) : null,
    };
  };
  const notFound = (reply: FastifyReply, name: string) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no agent "${name}"; agents: ${orchestrator.agents
        .list()
        .map((a) => a.name)
        .join(', ')}`,
    });

  app.get(
    '/api/v1/agents',
    {
      config: { access: PRINCIPAL },
      schema: {
        summary: 'The agents and the engine that runs them',
        tags: ['agents'],
        response: { 200: z.object({ entry: z.string(), agents: z.array(Agent) }) },
      },
    },
    () => ({ entry: orchestrator.agents.entry, agents: orchestrator.agents.list().map(view) }),
  );

  app.get(
    '/api/v1/agents/:name',
    {
      config: { access: PRINCIPAL },
      schema: {
        summary: 'One agent',
        tags: ['agents'],
        params: AgentName,
        response: { 200: Agent, 404: Problem },
      },
    },
    async (request, reply) => {
      const agent = orchestrator.agents.get(request.params.name);
      return agent ? view(agent) : notFound(reply, request.params.name);
    },
  );

  app.put(
    '/api/v1/agents/:name',
    {
      config: { access: ADMIN },
      schema: {
        summary: "Changes an agent's model settings or voice for calls from now on",
        tags: ['agents'],
        params: AgentName,
        body: AgentOverrides,
        response: { 200: Agent, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      try {
        const agent = orchestrator.agents.update(request.params.name, request.body);
        if (!agent) return notFound(reply, request.params.name);
        request.log.info({ agent: agent.name, change: request.body }, 'agent changed');
        return view(agent);
      } catch (err) {
        if (!(err instanceof RtvoiceError)) throw err;
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: errorMessage(err) });
      }
    },
  );
};
