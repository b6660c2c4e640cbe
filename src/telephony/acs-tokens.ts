import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { errorMessage } from '../errors.ts';

/** How far ACS's clock may be from ours. */
const CLOCK_TOLERANCE_S = 60;

/** Why a token was refused, for the refusal and the `rtvoice_auth_failures_total` reason. */
export interface TokenRefusal {
  readonly failure: 'missing' | 'bad_token';
  readonly reason: string;
}

export type TokenCheck = { readonly ok: true; readonly claims: JWTPayload } | ({ ok: false } & TokenRefusal);

interface OpenIdConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
}

/**
 * Verifies the JWTs ACS signs its callbacks and media-socket upgrades with: RS256, the issuer and keys its
 * OpenID configuration names, and the ACS resource's immutable id as audience. The configuration is
 * fetched once (again after a failure); jose's key set refetches the keys when a token names an unknown
 * `kid`, at most every 30 s.
 */
export class AcsTokenVerifier {
  private readonly audience: string;
  private readonly openIdConfigUrl: string;
  private readonly keysCooldownMs: number;
  private discovery: Promise<{ issuer: string; keys: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  constructor(options: { audience: string; openIdConfigUrl: string; keysCooldownMs?: number }) {
    this.audience = options.audience;
    this.openIdConfigUrl = options.openIdConfigUrl;
    this.keysCooldownMs = options.keysCooldownMs ?? 30_000;
  }

  /** Checks an `Authorization` header's value. */
  async verify(authorization: string | undefined): Promise<TokenCheck> {
    const token = authorization?.match(/^Bearer (.+)$/)?.[1];
    if (token === undefined)
      return { ok: false, failure: 'missing', reason: 'an ACS-signed bearer token is required' };
    let discovered;
    try {
      discovered = await this.discover();
    } catch (err) {
      this.discovery = undefined;
      return {
        ok: false,
        failure: 'bad_token',
        reason: `ACS signing keys unavailable: ${errorMessage(err)}`,
      };
    }
    try {
      const { payload } = await jwtVerify(token, discovered.keys, {
        algorithms: ['RS256'],
        issuer: discovered.issuer,
        audience: this.audience,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      return { ok: true, claims: payload };
    } catch (err) {
      return { ok: false, failure: 'bad_token', reason: `ACS token refused: ${describe(err)}` };
    }
  }

  private discover() {
    this.discovery ??= (async () => {
      const response = await fetch(this.openIdConfigUrl, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${this.openIdConfigUrl} answered ${response.status}`);
      const config = (await response.json()) as Partial<OpenIdConfiguration>;
      if (typeof config.issuer !== 'string' || typeof config.jwks_uri !== 'string')
        throw new Error(`${this.openIdConfigUrl} names no issuer and jwks_uri`);
      return {
        issuer: config.issuer,
        keys: createRemoteJWKSet(new URL(config.jwks_uri), {
          cooldownDuration: this.keysCooldownMs,
        }),
      };
    })();
    return this.discovery;
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `${err.claim} claim is wrong`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'signed with an unknown key';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (RS256 only)';
  return errorMessage(err);
}
