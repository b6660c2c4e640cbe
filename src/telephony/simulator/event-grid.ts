import { randomUUID } from 'node:crypto';

type Json = Record<string, unknown>;

const TOPIC = '/subscriptions/simulated/providers/microsoft.communication/communicationservices/simulated';

/** An ACS phone-number identifier. */
export const phone = (number: string) => ({
  kind: 'phoneNumber',
  rawId: `4:${number}`,
  phoneNumber: { value: number },
});

/**
 * Event Grid's side of incoming calls, in the Event Grid schema (PROTOCOLS.md §3.7-3.8): the subscription
 * handshake, once per webhook URL, then each `IncomingCall`.
 */
export class EventGridDelivery {
  private readonly validated = new Set<string>();

  /** Delivers an incoming call to `url`, validating the subscription first; resolves with the answer. */
  async incomingCall(
    url: string,
    call: { from: string; to: string; incomingCallContext: string },
  ): Promise<{ status: number; body: Json }> {
    if (!this.validated.has(url)) await this.validate(url);
    return post(url, 'Notification', {
      id: randomUUID(),
      topic: TOPIC,
      subject: `/caller/4:${call.from}/recipient/4:${call.to}`,
      data: {
        to: phone(call.to),
        from: phone(call.from),
        serverCallId: randomUUID(),
        callerDisplayName: 'Simulated Caller',
        incomingCallContext: call.incomingCallContext,
        correlationId: randomUUID(),
      },
      eventType: 'Microsoft.Communication.IncomingCall',
      dataVersion: '1.0',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    });
  }

  private async validate(url: string): Promise<void> {
    const code = randomUUID();
    const reply = await post(url, 'SubscriptionValidation', {
      id: randomUUID(),
      topic: TOPIC,
      subject: '',
      data: { validationCode: code, validationUrl: `https://eventgrid.invalid/validate?id=${code}` },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      metadataVersion: '1',
      dataVersion: '1',
    });
    if (reply.status !== 200 || reply.body['validationResponse'] !== code)
      throw new Error(`Event Grid validation failed: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
    this.validated.add(url);
  }
}

/** One delivery: an array of events, with Event Grid's headers. */
async function post(url: string, kind: string, event: Json): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'aeg-event-type': kind,
      'aeg-subscription-name': 'rtvoice-incoming-calls',
      'aeg-delivery-count': '0',
      'aeg-data-version': '1.0',
      'aeg-metadata-version': '1',
    },
    body: JSON.stringify([event]),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}
