import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { errorMessage } from '../errors.ts';

/** How far the token issuer's clock may be from ours. */
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

export interface OpenIdVerifierOptions {
  /** Whose tokens these are, for refusals: "ACS", "Entra ID". */
  readonly name: string;
  readonly openIdConfigUrl: string;
  /** Accepted `aud` values. */
  readonly audience: string | readonly string[];
  /** Least time between two fetches of the keys; 30 s. */
  readonly keysCooldownMs?: number;
}

/**
 * Verifies bearer JWTs of an OpenID issuer (ACS, Entra ID): RS256, the issuer and keys its OpenID
 * configuration names, one of the accepted audiences, and an expiry, with a minute of clock skew. The
 * configuration is fetched once (again after a failure); jose's key set fetches the keys again when a
 * token names an unknown `kid` (key rotation), at most once per cooldown.
 */
export class OpenIdVerifier {
  private readonly options: OpenIdVerifierOptions;
  private discovery: Promise<{ issuer: string; keys: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  constructor(options: OpenIdVerifierOptions) {
    this.options = options;
  }

  /** Checks an `Authorization` header's value. */
  async verify(authorization: string | undefined): Promise<TokenCheck> {
    const { name } = this.options;
    const token = authorization?.match(/^Bearer (.+)$/)?.[1];
    if (token === undefined)
      return { ok: false, failure: 'missing', reason: `a bearer token signed by ${name} is required` };
    let discovered;
    try {
      discovered = await this.discover();
    } catch (err) {
      this.discovery = undefined;
      return {
        ok: false,
        failure: 'bad_token',
        reason: `${name} signing keys unavailable: ${errorMessage(err)}`,
      };
    }
    try {
      const { payload } = await jwtVerify(token, discovered.keys, {
        algorithms: ['RS256'],
        issuer: discovered.issuer,
        audience: [this.options.audience].flat(),
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      return { ok: true, claims: payload };
    } catch (err) {
      return { ok: false, failure: 'bad_token', reason: `${name} token refused: ${describe(err)}` };
    }
  }

  private discover() {
    const { openIdConfigUrl, keysCooldownMs } = this.options;
    this.discovery ??= (async () => {
      const response = await fetch(openIdConfigUrl, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${openIdConfigUrl} answered ${response.status}`);
      const config = (await response.json()) as Partial<OpenIdConfiguration>;
      if (typeof config.issuer !== 'string' || typeof config.jwks_uri !== 'string')
        throw new Error(`${openIdConfigUrl} names no issuer and jwks_uri`);
      return {
        issuer: config.issuer,
        keys: createRemoteJWKSet(new URL(config.jwks_uri), { cooldownDuration: keysCooldownMs ?? 30_000 }),
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
