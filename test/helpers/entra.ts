import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenIssuer, type MintOptions } from '../../src/telephony/simulator/token-issuer.ts';

/** A local stand-in for an Entra ID tenant: its OpenID configuration, its keys, and tokens it signs. */
export async function startEntraIssuer(audience = `api://rtvoice-${randomUUID()}`) {
  const tenantId = randomUUID();
  const issuer = await TokenIssuer.create(audience, `https://login.microsoftonline.com/${tenantId}/v2.0`);
  const server = createServer((request, response) => {
    const body =
      request.url === '/keys'
        ? issuer.jwks()
        : request.url === '/.well-known/openid-configuration'
          ? issuer.openIdConfiguration(`${url}/keys`)
          : undefined;
    response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    tenantId,
    audience,
    issuer,
    /** A token of this tenant for `client`, with `roles`; `options` may change anything. */
    token: (client: string, roles: string[] = [], options: Partial<MintOptions> = {}) =>
      issuer.mint({
        lifetimeSeconds: 3600,
        ...options,
        claims: { tid: tenantId, azp: client, roles, ...options.claims },
      }),
    serverEnv: (env: Record<string, string> = {}) => ({
      AUTH_MODE: 'entra',
      ENTRA_TENANT_ID: tenantId,
      ENTRA_AUDIENCE: audience,
      ENTRA_OPENID_CONFIG_URL: `${url}/.well-known/openid-configuration`,
      ...env,
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
