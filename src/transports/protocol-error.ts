import { RtvoiceError } from '../errors.ts';

/**
 * A message a peer sent that does not follow its wire protocol. The codecs return these instead of throwing,
 * because bad input from a carrier or a browser is an expected event that the transport logs, counts and
 * usually skips; `reason` is the short machine-readable cause, `message` the detail for a person.
 */
export class ProtocolError<Reason extends string = string> extends RtvoiceError {
  readonly reason: Reason;

  constructor(code: string, reason: Reason, message: string) {
    super(code, message);
    this.reason = reason;
  }
}
