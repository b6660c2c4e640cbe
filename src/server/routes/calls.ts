import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorMessage } from '../../errors.ts';
import { SESSION_ID, SESSION_ID_RULE } from '../../state/session.ts';
import { parseCallEvents, parseEventGrid } from '../../calls/call-events.ts';
import { E164 } from '../../phone-number.ts';
import type { Telephony } from '../../telephony/telephony.ts';
import { ACS_SIGNED, ADMIN, EVENT_GRID } from '../access-policy.ts';
import type { Services } from '../services.ts';

const CallId = z.string().regex(SESSION_ID, `a call connection id is ${SESSION_ID_RULE}`);
const tags = ['calls'];

const unavailable = (reply: FastifyReply) =>
  reply.code(503).send({
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'phone calls are off: set ACS_CONNECTION_STRING (or ACS_ENDPOINT), BASE_URL and ACS_AUDIENCE',
  });

/**
 * Phone calls through ACS Call Automation: placing calls, Event Grid's incoming calls, ACS's callbacks,
 * and the calls in progress. Registered whatever the configuration, so the API and its access policy do
 * not change with it; without ACS the call routes answer 503.
 */
export const callRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { telephony, log } = services;
  const withTelephony = async <T>(reply: FastifyReply, use: (telephony: Telephony) => Promise<T>) =>
    telephony ? use(telephony) : unavailable(reply);

  app.post(
    '/api/v1/calls/initiate',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Place an outbound phone call, answered by an agent',
        tags,
        body: z.object({
          target_number: z.string().regex(E164, 'target_number must be E.164, such as +14255550123'),
          session_id: z.string().regex(SESSION_ID, `session_id is ${SESSION_ID_RULE}`).optional(),
          streaming_mode: z.enum(['media', 'transcription', 'voice_live']).optional(),
          agent: z.string().min(1).max(100).optional(),
          audio_format: z.enum(['pcm16KMono', 'pcm24KMono']).optional(),
          transcription: z
            .enum(['agent', 'listen'])
            .optional()
            .describe(
              'In transcription mode: the agent answers (agent) or rtvoice only transcribes (listen)',
            ),
        }),
      },
    },
    async (request, reply) =>
      withTelephony(reply, async (calls) => {
        const { target_number, session_id, streaming_mode, agent, audio_format, transcription } =
          request.body;
        if (agent !== undefined && !services.orchestrator.agents.get(agent)) {
          return reply.code(400).send({
            statusCode: 400,
            error: 'Bad Request',
            message: `no agent "${agent}"; agents: ${services.orchestrator.agents
              .list()
              .map((a) => a.name)
              .join(', ')}`,
          });
        }
        try {
          const call = await calls.place({
            targetNumber: target_number,
            sessionId: session_id,
            streamingMode: streaming_mode,
            agent,
            audioFormat: audio_format,
            transcription,
          });
          return { call_connection_id: call.callId, session_id: call.sessionId, state: call.state };
        } catch (err) {
          request.log.error({ err: errorMessage(err) }, 'outbound call failed');
          return reply.code(502).send({
            statusCode: 502,
            error: 'Bad Gateway',
            message: `ACS did not place the call: ${errorMessage(err)}`,
          });
        }
      }),
  );

  // CloudEvents webhook validation (Event Grid's CloudEvents schema): the origin may deliver here.
  app.options(
    '/api/v1/calls/answer',
    { config: { access: EVENT_GRID }, schema: { hide: true } },
    async (request, reply) => {
      const origin = request.headers['webhook-request-origin'];
      return reply
        .header('WebHook-Allowed-Origin', typeof origin === 'string' ? origin : '*')
        .header('WebHook-Allowed-Rate', '*')
        .code(200)
        .send();
    },
  );

  app.post(
    '/api/v1/calls/answer',
    {
      config: { access: EVENT_GRID },
      schema: {
        summary: 'Event Grid webhook: the subscription handshake, and incoming calls to answer',
        tags,
        body: z.unknown(),
      },
    },
    async (request, reply) => {
      let delivery;
      try {
        delivery = parseEventGrid(request.body);
      } catch (err) {
        return reply.code(400).send({
          statusCode: 400,
          error: 'Bad Request',
          message: `not an Event Grid delivery: ${errorMessage(err).slice(0, 300)}`,
        });
      }
      if (delivery.kind === 'validation') return { validationResponse: delivery.validationCode };
      return withTelephony(reply, async (calls) => {
        if (delivery.ignored.length > 0) log.info({ types: delivery.ignored }, 'Event Grid events ignored');
        const answered = await Promise.all(
          delivery.calls.map((call) =>
            calls.answer(call).then(
              (record) => ({ call_connection_id: record.callId, session_id: record.sessionId }),
              (err: unknown) => {
                request.log.error({ err: errorMessage(err) }, 'answering an incoming call failed');
                return { error: errorMessage(err) };
              },
            ),
          ),
        );
        return { answered };
      });
    },
  );

  app.post(
    '/api/v1/calls/callbacks',
    {
      config: { access: ACS_SIGNED },
      schema: {
        summary: 'ACS Call Automation callbacks: one CloudEvent or an array',
        tags,
        body: z.unknown(),
      },
    },
    async (request, reply) =>
      withTelephony(reply, async (calls) => {
        const { events, problems } = parseCallEvents(request.body);
        if (problems.length > 0) request.log.warn({ problems }, 'callback events skipped');
        if (events.length === 0) {
          return reply.code(400).send({
            statusCode: 400,
            error: 'Bad Request',
            message: `no call event in the body: ${problems.join(' | ').slice(0, 300)}`,
          });
        }
        const outcomes: Record<string, number> = {};
        // In order, each on its own: one failing never stops the others or changes the answer.
        for (const event of events) {
          const outcome = await calls.handle(event).catch((err: unknown) => {
            request.log.error(
              { type: event.type, id: event.id, err: errorMessage(err) },
              'call event failed',
            );
            return 'failed' as const;
          });
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }
        return { received: events.length, ...outcomes };
      }),
  );

  app.get(
    '/api/v1/calls',
    {
      config: { access: ADMIN },
      schema: { summary: 'Phone calls in progress (with Redis, on every instance), newest first', tags },
    },
    async (_request, reply) => withTelephony(reply, async (calls) => ({ calls: await calls.active() })),
  );

  app.post(
    '/api/v1/calls/:id/hangup',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'End a phone call: its agent says goodbye, then the call ends',
        tags,
        params: z.object({ id: CallId }),
      },
    },
    async (request, reply) =>
      withTelephony(reply, async (calls) => {
        if (await calls.hangUp(request.params.id)) return reply.code(202).send({ ending: request.params.id });
        return reply.code(404).send({
          statusCode: 404,
          error: 'Not Found',
          message: `no call "${request.params.id}" in progress`,
        });
      }),
  );
};
