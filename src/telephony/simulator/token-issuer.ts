import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** ACS's real issuer: the simulator signs as ACS does, with keys of its own. */
export const ACS_ISSUER = 'https://acscallautomation.communication.azure.com';

/** What a minted token may differ in, for tests of refusals. */
export interface MintOptions {
  readonly lifetimeSeconds: number;
  readonly audience?: string;
  readonly issuer?: string;
  /** Seconds from now the token was issued (negative: in the past). */
  readonly issuedAtOffset?: number;
  /** More claims (Entra ID: `tid`, `azp`, `roles`). */
  readonly claims?: Record<string, unknown>;
}

/** An RS256 signer with an OpenID configuration and a JWKS, like ACS's (or, with another issuer, Entra ID's). */
export class TokenIssuer {
  readonly audience: string;
  readonly issuer: string;
  private signing: SigningKey;
  /** Every key published, the retired ones too (as ACS keeps them until their tokens expire). */
  private readonly published: JWK[] = [];

  private constructor(audience: string, issuer: string, first: SigningKey) {
    this.audience = audience;
    this.issuer = issuer;
    this.signing = first;
    this.published.push(first.jwk);
  }

  static async create(audience: string, issuer = ACS_ISSUER): Promise<TokenIssuer> {
    return new TokenIssuer(audience, issuer, await newSigningKey());
  }

  get kid(): string {
    return this.signing.kid;
  }

  /** Signs with a new key from now on, published under a new key id. */
  async rotate(): Promise<void> {
    this.signing = await newSigningKey();
    this.published.push(this.signing.jwk);
  }

  /** A signed token; ACS gives callbacks 5 minutes and media sockets 24 hours. */
  mint(options: MintOptions, kid = this.signing.kid, key = this.signing.privateKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000) + (options.issuedAtOffset ?? 0);
    return new SignJWT({ ...options.claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + options.lifetimeSeconds)
      .sign(key);
  }

  /** Signed by a key that is not published, under the published key's id: a forgery. */
  async forge(options: MintOptions): Promise<string> {
    const { privateKey } = await generateKeyPair('RS256');
    return this.mint(options, this.signing.kid, privateKey);
  }

  /** The same claims with `alg: none` and no signature. */
  unsigned(): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: this.issuer, aud: this.audience, iat: now, exp: now + 300 })}.`;
  }

  /** The OpenID configuration, naming `jwksUrl` as where the keys are. */
  openIdConfiguration(jwksUrl: string): Record<string, unknown> {
    return { issuer: this.issuer, jwks_uri: jwksUrl };
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half, as the JWKS publishes it. */
  readonly jwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}
