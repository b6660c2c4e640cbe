import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { WebSocket } from 'ws';
import {
  authorize,
  resolveAccess,
  sameKey,
  type Access,
  type AccessRule,
  type Refusal,
} from '../auth/access.ts';
import { single } from '../transports/single.ts';
import type { Services } from './services.ts';

/** Who may use a route, declared by the route itself as `config: { access }`. */
export interface RoutePolicy {
  readonly rule: AccessRule;
  /** For `session`: the session the request names (from its path, query, headers or body). */
  readonly session?: (request: FastifyRequest) => string | undefined;
  /** Also admits ACS by the token it signs (media sockets), as a principal for every session. */
  readonly orAcs?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route: start-up fails without it. */
    access?: RoutePolicy;
  }
}

export const PUBLIC: RoutePolicy = { rule: 'public' };
export const PRINCIPAL: RoutePolicy = { rule: 'principal' };
export const ADMIN: RoutePolicy = { rule: 'admin' };
export const ACS_SIGNED: RoutePolicy = { rule: 'acs' };
export const EVENT_GRID: RoutePolicy = { rule: 'eventgrid' };
export const forSession = (
  session: (request: FastifyRequest) => string | undefined,
  options: { orAcs?: boolean } = {},
): RoutePolicy => ({ rule: 'session', session, ...options });

const EVERYTHING: Access = { kind: 'all' };

/** One registered route and its policy, as the running server enforces it. */
export interface RouteAccess {
  readonly method: string;
  readonly url: string;
  readonly websocket: boolean;
  readonly rule: AccessRule;
}

/** WebSocket close codes of a refused upgrade, mirroring HTTP 401 and 403. */
export const ACCESS_CLOSE = { unauthenticated: 4001, forbidden: 4003 } as const;

const queryOf = (request: FastifyRequest) => (request.query ?? {}) as Record<string, unknown>;

const grants = new WeakMap<FastifyRequest, Access>();
const refusals = new WeakMap<FastifyRequest, Refusal>();

/** Who the request is; routes that filter what they show (the session list) read it. */
export function accessOf(request: FastifyRequest): Access {
  const access = grants.get(request);
  if (!access) throw new Error(`no access was resolved for ${request.method} ${request.url}`);
  return access;
}

export interface AccessPolicyOptions {
  /** Prefixes of third-party plugins' routes (which declare nothing) that are public, e.g. `/docs`. */
  readonly publicUnder: readonly string[];
}

/**
 * The one place access is enforced. Every route declares a `RoutePolicy`; a route without one stops
 * start-up. Credentials are resolved once per request (onRequest): a request without a principal is
 * refused there (401), before its body is read. The route's rule is applied once the request is parsed
 * (preHandler), so a rule can look at the session named in the path, query or body (403).
 * WebSocket upgrades are accepted and then closed with 4001 or 4003 and the reason, which a browser,
 * unlike an HTTP status on a failed upgrade, can show. Must be installed before @fastify/websocket,
 * so that it wraps WebSocket handlers before that plugin takes them.
 * Returns the table of routes and their rules, filled as routes register.
 */
export function enforceAccessPolicy(
  app: FastifyInstance,
  services: Services,
  options: AccessPolicyOptions,
): readonly RouteAccess[] {
  const table: RouteAccess[] = [];
  const socketRoutes = new Set<string>();
  const isWebSocketUpgrade = (request: FastifyRequest) =>
    request.headers.upgrade?.toLowerCase() === 'websocket' &&
    socketRoutes.has(`${request.method} ${request.routeOptions.url}`);
  const { mode, keys, tokens, acsTokens, eventGridSecret, entra } = services.auth;
  const { authFailures } = services.metrics;

  app.addHook('onRoute', (route) => {
    if (!route.config?.access && options.publicUnder.some((prefix) => route.url.startsWith(prefix))) {
      route.config = { ...route.config, access: PUBLIC };
    }
    const policy = route.config?.access;
    const methods = [route.method].flat();
    if (!policy) {
      throw new Error(
        `route ${methods.join(',')} ${route.url} declares no access policy (config.access: PUBLIC, PRINCIPAL, ADMIN or forSession)`,
      );
    }
    const websocket = route.websocket === true && methods.includes('GET');
    for (const method of methods) {
      table.push({ method, url: route.url, websocket, rule: policy.rule });
      if (websocket) socketRoutes.add(`${method} ${route.url}`);
    }
    if (websocket) route.handler = refusingSocket(route.handler);
  });

  const refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal, failure: string) => {
    const route = request.routeOptions.url ?? 'unmatched';
    authFailures.inc({ route, reason: failure });
    request.log.warn({ route, reason: failure, ip: request.ip }, `access refused: ${refusal.reason}`);
    if (isWebSocketUpgrade(request)) {
      refusals.set(request, refusal);
      return;
    }
    return reply.code(refusal.status).send({
      statusCode: refusal.status,
      error: refusal.status === 401 ? 'Unauthorized' : 'Forbidden',
      message: refusal.reason,
    });
  };

  app.addHook('onRequest', async (request, reply) => {
    const policy = request.routeOptions.config.access;
    if (!policy) return; // unmatched: the not-found handler answers
    if (policy.rule === 'acs' || (policy.orAcs && acsTokens)) {
      const check = acsTokens
        ? await acsTokens.verify(request.headers.authorization)
        : ({ ok: false, failure: 'unsupported', reason: 'ACS is not configured (ACS_AUDIENCE)' } as const);
      if (check.ok) return void grants.set(request, EVERYTHING);
      // A JWT that fails is a forged or stale ACS token, refused whatever AUTH_MODE admits otherwise.
      if (policy.rule === 'acs' || isJwt(request.headers.authorization))
        return refuse(request, reply, { status: 401, reason: check.reason }, check.failure);
    }
    if (policy.rule === 'eventgrid' && eventGridSecret !== undefined) {
      const secret = single(queryOf(request).secret);
      if (secret !== undefined && sameKey(secret, eventGridSecret))
        return void grants.set(request, EVERYTHING);
      const failure = secret === undefined ? 'missing' : 'unknown_key';
      return refuse(
        request,
        reply,
        { status: 401, reason: 'the Event Grid secret is missing or wrong' },
        failure,
      );
    }
    const header = single(request.headers['x-api-key']);
    const bearer = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    // Browsers cannot set headers on a WebSocket, so sockets may carry a session token in the query.
    const sessionToken = isWebSocketUpgrade(request) ? single(queryOf(request).token) : undefined;
    // Entra ID tokens are JWTs; session tokens and keys are not.
    const access =
      entra && sessionToken === undefined && isJwt(request.headers.authorization)
        ? await entra.access(request.headers.authorization)
        : resolveAccess(mode, keys, tokens, { apiKey: header, bearer, sessionToken });
    grants.set(request, access);
    // Which session a request names is known once it is parsed; that it has a principal is known now.
    const refusal = authorize(access, ruleOnArrival(policy.rule));
    if (refusal)
      return refuse(request, reply, refusal, access.kind === 'none' ? access.failure : 'forbidden');
  });

  app.addHook('preHandler', async (request, reply) => {
    const policy = request.routeOptions.config.access;
    if (policy?.rule !== 'session' || refusals.has(request)) return;
    const refusal = authorize(accessOf(request), 'session', policy.session?.(request));
    if (refusal) return refuse(request, reply, refusal, 'forbidden');
  });

  return table;
}

/** A bearer JWT (three dot-separated parts); session tokens and API keys are not. */
const isJwt = (authorization: string | undefined) =>
  /^Bearer [\w-]*\.[\w-]*\.[\w-]*$/.test(authorization ?? '');

/** The rule applied before the body is read: the session is checked later; the Event Grid fallback is admin. */
function ruleOnArrival(rule: AccessRule): AccessRule {
  if (rule === 'session') return 'principal';
  if (rule === 'eventgrid') return 'admin';
  return rule;
}

type WebSocketHandler = (this: FastifyInstance, socket: WebSocket, request: FastifyRequest) => unknown;

/** Wraps a WebSocket route's handler: a refused request has its socket closed with the reason. */
function refusingSocket(handler: RouteOptions['handler']): RouteOptions['handler'] {
  const serve = handler as unknown as WebSocketHandler;
  const wrapped: WebSocketHandler = function (socket, request) {
    const refusal = refusals.get(request);
    if (!refusal) return serve.call(this, socket, request);
    const code = refusal.status === 401 ? ACCESS_CLOSE.unauthenticated : ACCESS_CLOSE.forbidden;
    socket.close(code, refusal.reason.slice(0, 120));
    return undefined;
  };
  return wrapped as unknown as RouteOptions['handler'];
}
