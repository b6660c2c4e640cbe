/** A query or header value, when it is one non-empty string (the first of repeated ones). */
export function single(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}
