import { randomUUID } from 'node:crypto';
import type { TokenIssuer } from './token-issuer.ts';

type Json = Record<string, unknown>;

/** A callback the simulator delivered, and how the server answered it. */
export interface Delivery {
  readonly event: Json;
  readonly status: number;
  readonly body: string;
  /** How long the server took to answer it. */
  readonly ms: number;
}

/** What a callback needs of its call. */
export interface CallbackTarget {
  readonly callId: string;
  readonly correlationId: string;
  readonly callbackUri: string;
}

/**
 * Call Automation callbacks as ACS delivers them: each event a CloudEvent in an array of one, POSTed to the
 * call's callback URI with a 5-minute token (unless the issuer is left out, to test refusals), one after
 * another per call. Every delivery and its answer is kept.
 */
export class CallbackDelivery {
  readonly deliveries: Delivery[] = [];
  private readonly issuer: TokenIssuer | undefined;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(issuer: TokenIssuer | undefined) {
    this.issuer = issuer;
  }

  /** One event of a call, `Microsoft.Communication.<type>`, with the common fields ACS fills in. */
  deliver(call: CallbackTarget, type: string, data: Json): Promise<Delivery> {
    const event = {
      id: randomUUID(),
      source: `calling/callConnections/${call.callId}`,
      type: `Microsoft.Communication.${type}`,
      data: {
        eventSource: `calling/callConnections/${call.callId}`,
        version: '2025-05-15',
        callConnectionId: call.callId,
        serverCallId: `server-${call.callId}`,
        correlationId: call.correlationId,
        publicEventType: `Microsoft.Communication.${type}`,
        ...data,
      },
      time: new Date().toISOString(),
      specversion: '1.0',
      datacontenttype: 'application/json',
      subject: `calling/callConnections/${call.callId}`,
    };
    return this.post(call, event);
  }

  /** Sends an event as it is (a redelivery), in order with the call's other callbacks. */
  post(call: CallbackTarget, event: Json): Promise<Delivery> {
    const previous = this.queues.get(call.callId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (this.issuer)
          headers['authorization'] = `Bearer ${await this.issuer.mint({ lifetimeSeconds: 300 })}`;
        // A server that is down gets status 0 (ACS would retry later); nothing throws in the background.
        const sent = performance.now();
        const answer = await fetch(call.callbackUri, {
          method: 'POST',
          headers,
          body: JSON.stringify([event]),
        })
          .then(async (response) => ({ status: response.status, body: await response.text() }))
          .catch((err: unknown) => ({ status: 0, body: String(err) }));
        const delivery = { event, ...answer, ms: performance.now() - sent };
        this.deliveries.push(delivery);
        return delivery;
      });
    this.queues.set(call.callId, next);
    return next;
  }
}
