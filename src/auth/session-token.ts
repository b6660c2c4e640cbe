import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SessionTokenClaims {
  /** The session the bearer may watch or join. */
  readonly sid: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

const encode = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * Short-lived signed tokens a browser page gets from the server for one session:
 * `base64url(claims).base64url(HMAC-SHA256(claims))`. Every instance that shares the secret accepts them.
 */
export class SessionTokens {
  private readonly secret: Buffer;
  private readonly ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    this.secret = Buffer.from(secret);
    this.ttlSeconds = ttlSeconds;
  }

  issue(sessionId: string, now = Date.now()): { token: string; expiresAt: Date } {
    const claims: SessionTokenClaims = { sid: sessionId, exp: Math.floor(now / 1000) + this.ttlSeconds };
    const body = encode(JSON.stringify(claims));
    return { token: `${body}.${this.sign(body)}`, expiresAt: new Date(claims.exp * 1000) };
  }

  /** The claims of a valid, unexpired token; undefined for anything else. */
  verify(token: string, now = Date.now()): SessionTokenClaims | undefined {
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = JSON.parse(
        Buffer.from(body, 'base64url').toString('utf8'),
      ) as Partial<SessionTokenClaims>;
      if (typeof claims.sid !== 'string' || typeof claims.exp !== 'number') return undefined;
      return claims.exp * 1000 > now ? { sid: claims.sid, exp: claims.exp } : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return encode(createHmac('sha256', this.secret).update(body).digest());
  }
}
