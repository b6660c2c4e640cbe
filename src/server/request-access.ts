import type { FastifyRequest } from 'fastify';
import { resolveAccess, type Access } from '../auth/access.ts';
import type { Services } from './services.ts';

/** What a request may see, from its API key (`x-api-key` or `Authorization: Bearer`) or a session token. */
export function requestAccess(services: Services, request: FastifyRequest, sessionToken?: string): Access {
  const header = request.headers['x-api-key'];
  const bearer = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
  const { mode, keys, tokens } = services.auth;
  return resolveAccess(mode, keys, tokens, {
    apiKey: (Array.isArray(header) ? header[0] : header) ?? bearer,
    sessionToken,
  });
}
