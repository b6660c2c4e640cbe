import { envelope, type Envelope, type EnvelopeType } from '../../connections/envelope.ts';
import { errorMessage } from '../../errors.ts';
import type { Logger } from '../../telemetry/logger.ts';

export type Publish = (type: EnvelopeType, payload: Record<string, unknown>) => void;

/** Publishes a call's envelopes through its transport; one that cannot be sent is logged, not thrown. */
export function publisher(
  publish: (message: Envelope) => void,
  ids: { sessionId: string; callId: string | undefined },
  log: Logger,
): Publish {
  return (type, payload) => {
    try {
      publish(envelope(type, { ...ids, sender: 'rtvoice' }, payload));
    } catch (err) {
      log.warn({ err: errorMessage(err), type }, 'envelope not published');
    }
  };
}
