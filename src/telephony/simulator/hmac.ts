import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** How old a signed request may be. */
const MAX_AGE_MS = 15 * 60_000;

/**
 * Checks an ACS access-key (HMAC-SHA256) signature, as ACS does: the body's hash, the signed headers
 * (`x-ms-date` or `date`, `host`, `x-ms-content-sha256`) and the signature over
 * `METHOD\npathAndQuery\nvalues`. Returns what is wrong, or undefined when the request is genuine.
 */
export function hmacProblem(
  request: { method: string; url: string; headers: IncomingHttpHeaders },
  body: Buffer,
  accessKey: string,
): string | undefined {
  const match = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/.exec(
    request.headers.authorization ?? '',
  );
  if (!match) return 'no HMAC-SHA256 authorization';
  const signedHeaders = match[1]!.split(';');
  const contentHash = createHash('sha256').update(body).digest('base64');
  if (request.headers['x-ms-content-sha256'] !== contentHash)
    return 'x-ms-content-sha256 does not match the body';
  const values = signedHeaders.map((name) => request.headers[name.toLowerCase()]);
  if (values.some((value) => typeof value !== 'string')) return 'a signed header is missing';
  const date = Date.parse(String(request.headers['x-ms-date'] ?? request.headers.date));
  if (!Number.isFinite(date) || Math.abs(Date.now() - date) > MAX_AGE_MS) return 'the request date is stale';
  const toSign = `${request.method}\n${request.url}\n${values.join(';')}`;
  const expected = createHmac('sha256', Buffer.from(accessKey, 'base64')).update(toSign).digest();
  const given = Buffer.from(match[2]!, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? undefined
    : 'signature mismatch';
}
