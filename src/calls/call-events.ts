import { z } from 'zod';
import { SESSION_ID } from '../state/session.ts';

const PREFIX = 'Microsoft.Communication.';

/** One Call Automation callback (a CloudEvent 1.0), reduced to what rtvoice reads. */
export interface CallEvent {
  readonly id: string;
  /** Without the `Microsoft.Communication.` prefix: `CallConnected`, `CallDisconnected`, … */
  readonly type: string;
  readonly callId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const CloudEvent = z.object({
  id: z.string().min(1).max(200),
  type: z.string().startsWith(PREFIX).max(200),
  data: z.looseObject({ callConnectionId: z.string().regex(SESSION_ID) }),
});

/**
 * Reads a callback body: one CloudEvent or an array of them (ACS sends arrays). Unknown fields are
 * ignored; an element that is not an event ACS could send is reported and skipped.
 */
export function parseCallEvents(body: unknown): { events: CallEvent[]; problems: string[] } {
  const items = Array.isArray(body) ? body : [body];
  const events: CallEvent[] = [];
  const problems: string[] = [];
  items.forEach((item, index) => {
    const parsed = CloudEvent.safeParse(item);
    if (!parsed.success) {
      problems.push(`event ${index}: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`);
      return;
    }
    const { id, type, data } = parsed.data;
    events.push({ id, type: type.slice(PREFIX.length), callId: data.callConnectionId, data });
  });
  return { events, problems };
}

const Identifier = z.looseObject({ rawId: z.string().optional() });

const EventGridEvent = z.object({
  id: z.string(),
  eventType: z.string(),
  data: z.looseObject({}),
});

/** What an incoming call gives rtvoice to answer it with. */
export interface IncomingCall {
  readonly incomingCallContext: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly correlationId: string | undefined;
}

const IncomingCallData = z.looseObject({
  incomingCallContext: z.string().min(1),
  from: Identifier.optional(),
  to: Identifier.optional(),
  correlationId: z.string().optional(),
});

/** An Event Grid delivery (Event Grid schema): a subscription handshake, or incoming calls. */
export type EventGridDelivery =
  | { readonly kind: 'validation'; readonly validationCode: string }
  | { readonly kind: 'calls'; readonly calls: IncomingCall[]; readonly ignored: string[] };

/** Reads an Event Grid webhook body; throws with what is wrong when it is not one. */
export function parseEventGrid(body: unknown): EventGridDelivery {
  const events = z
    .array(EventGridEvent)
    .min(1)
    .parse(Array.isArray(body) ? body : [body]);
  const validation = events.find((e) => e.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent');
  if (validation) {
    const code = z.object({ validationCode: z.string().min(1) }).parse(validation.data).validationCode;
    return { kind: 'validation', validationCode: code };
  }
  const calls: IncomingCall[] = [];
  const ignored: string[] = [];
  for (const event of events) {
    if (event.eventType !== `${PREFIX}IncomingCall`) {
      ignored.push(event.eventType);
      continue;
    }
    const data = IncomingCallData.parse(event.data);
    calls.push({
      incomingCallContext: data.incomingCallContext,
      from: phoneOf(data.from?.rawId),
      to: phoneOf(data.to?.rawId),
      correlationId: data.correlationId,
    });
  }
  return { kind: 'calls', calls, ignored };
}

/** `4:+1425…` is a phone number; other raw ids (ACS users, Teams) are kept as they are. */
export function phoneOf(rawId: string | undefined): string | undefined {
  return rawId?.startsWith('4:') ? rawId.slice(2) : rawId;
}
