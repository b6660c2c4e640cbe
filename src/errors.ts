/**
 * The base of every error rtvoice raises on purpose. `code` is stable and machine-readable;
 * edges map it to an HTTP status or a WebSocket close code, and `message` is written for a person.
 */
export class RtvoiceError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Text of any thrown value, for logs and error replies. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
