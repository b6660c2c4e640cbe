import type { EntraConfig } from '../config/config.ts';
import type { Access } from './access.ts';
import { OpenIdVerifier } from './openid-verifier.ts';

/**
 * People and services authenticated by Entra ID (AUTH_MODE=entra): a bearer token of the tenant, for one
 * of rtvoice's audiences, from an allowed client and with an allowed app role when those are configured.
 * Such a principal may do everything an unscoped API key may.
 */
export class EntraTokens {
  private readonly config: EntraConfig;
  private readonly verifier: OpenIdVerifier;

  constructor(config: EntraConfig, options: { keysCooldownMs?: number } = {}) {
    this.config = config;
    this.verifier = new OpenIdVerifier({
      name: 'Entra ID',
      openIdConfigUrl: config.openIdConfigUrl,
      audience: config.audiences,
      ...options,
    });
  }

  async access(authorization: string | undefined): Promise<Access> {
    const check = await this.verifier.verify(authorization);
    if (!check.ok) return { kind: 'none', failure: check.failure, reason: check.reason };
    const { claims } = check;
    const refuse = (reason: string): Access => ({ kind: 'none', failure: 'bad_token', reason });
    if (claims['tid'] !== this.config.tenantId) return refuse('Entra ID token from another tenant');
    const client = [claims['azp'], claims['appid']].find((id) => typeof id === 'string') ?? '';
    const { allowedClientIds, allowedRoles } = this.config;
    if (allowedClientIds.length > 0 && !allowedClientIds.includes(client))
      return refuse(`Entra ID client ${client || '(none)'} is not allowed`);
    const roles = Array.isArray(claims['roles']) ? (claims['roles'] as unknown[]) : [];
    if (allowedRoles.length > 0 && !roles.some((role) => allowedRoles.includes(String(role))))
      return refuse(`Entra ID token has none of the roles ${allowedRoles.join(', ')}`);
    return { kind: 'all' };
  }
}
