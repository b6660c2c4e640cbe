import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallAutomationClient } from '@azure/communication-call-automation';
import type { TokenCredential } from '@azure/identity';
import type { EndReason } from '../agents/tools/tool.ts';
import type { StreamingMode, TelephonyConfig } from '../config/config.ts';
import type { Bus } from '../connections/bus.ts';
import { envelope } from '../connections/envelope.ts';
import { errorMessage } from '../errors.ts';
import type { CallMedia, HandOverOptions, MediaLink, TranscriptionVariant } from '../media/call-context.ts';
import type { MemoManager } from '../state/memo-manager.ts';
import type { RedisManager } from '../state/redis-manager.ts';
import type { SessionStore } from '../state/session-store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { acsCallMedia } from './call-media.ts';
import { createClient, streamingOptions, type AudioFormat } from './call-setup.ts';
import type { CallEvent, IncomingCall } from '../calls/call-events.ts';
import {
  applyCallEvent,
  CALL_RECORD_KEY,
  HANDLED_EVENTS,
  isOver,
  type CallRecord,
} from '../calls/call-records.ts';
import { ActiveCalls } from './active-calls.ts';
import { EventLedger } from './event-ledger.ts';

/** Between instances: a call's events and its end, for the instance whose handler serves the call. */
const SIGNAL_CHANNEL = 'rtvoice-telephony:call-signal';
/** What the agent says when the API hangs up a call. */
const FAREWELL = 'Thank you for calling. Goodbye.';
/** What the caller hears when rtvoice can no longer hear or speak to them, before a person takes over. */
export const TROUBLE_MESSAGE =
  "I'm sorry, I'm having trouble hearing you. Let me connect you with a colleague.";
/** About how long a character takes to say (15 a second): an apology is let play out before the transfer. */
const SPOKEN_MS_PER_CHAR = 65;
/** A failed transcription is restarted this many times per call before the call is handed over. */
const TRANSCRIPTION_RESTARTS = 1;

/** What an outbound call asks for. */
export interface PlaceCall {
  readonly targetNumber: string;
  readonly sessionId?: string | undefined;
  readonly streamingMode?: StreamingMode | undefined;
  readonly agent?: string | undefined;
  /** Overrides ACS_AUDIO_FORMAT for this call. */
  readonly audioFormat?: AudioFormat | undefined;
  /** Overrides TRANSCRIPTION_VARIANT for a call in transcription mode. */
  readonly transcription?: TranscriptionVariant | undefined;
}

/** A message on SIGNAL_CHANNEL: the call ended, or an event for its handler. */
type CallSignal = { readonly callId: string } & ({ readonly ended: true } | { readonly event: CallEvent });

export type EventOutcome = 'applied' | 'duplicate' | 'unknown_call' | 'unhandled';

interface TelephonyDeps {
  readonly config: TelephonyConfig;
  readonly sessions: { readonly store: SessionStore; load(sessionId: string): Promise<MemoManager> };
  readonly bus: Bus;
  readonly redis: RedisManager | undefined;
  readonly log: Logger;
  /** For ACS_ENDPOINT (keyless): Entra ID. */
  readonly credential: TokenCredential;
  /** The language ACS transcribes a call in: its first agent's (`agent`: the one a placed call asks for). */
  readonly localeOf: (agent: string | undefined) => string;
}

/**
 * Phone calls through ACS Call Automation: answers incoming calls and places outbound ones with
 * bidirectional media streaming to this server, applies ACS's callbacks to each call's record (kept in
 * its session), ends the media handler when the call ends, and carries out the agent's hang-up or
 * transfer to a person.
 */
export class Telephony {
  readonly client: CallAutomationClient;
  private readonly deps: TelephonyDeps;
  private readonly log: Logger;
  private readonly ledger: EventLedger;
  private readonly calls: ActiveCalls;
  private readonly links = new Map<string, MediaLink>();
  /** Updates of one call run one after another, so none is lost to a concurrent one. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(deps: TelephonyDeps) {
    this.deps = deps;
    this.log = deps.log.child({ component: 'telephony' });
    this.ledger = new EventLedger(deps.redis);
    this.calls = new ActiveCalls(deps.redis, deps.sessions.store, this.log);
    this.client = createClient(deps.config, deps.credential);
  }

  /** Hears from other instances which calls ended and what happened on them, for handlers that run here. */
  async start(): Promise<void> {
    if (!this.deps.redis || this.unsubscribe) return;
    this.unsubscribe = await this.deps.redis.subscribe(SIGNAL_CHANNEL, (message) => {
      let signal: CallSignal;
      try {
        signal = JSON.parse(message) as CallSignal;
      } catch {
        return;
      }
      const link = this.links.get(signal.callId);
      if (!link) return;
      if ('event' in signal) link.event(signal.event);
      else void link.terminate('call disconnected');
    });
  }

  /** ACS's media operations on a call (play, cancel, transcription). */
  media(callId: string): CallMedia {
    return acsCallMedia(this.client, callId);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Calls in progress, newest first: with Redis those of every instance, without it this instance's. */
  active(): Promise<CallRecord[]> {
    return this.calls.list();
  }

  /** Answers an incoming call (Event Grid) in a new session, streaming its audio here. */
  async answer(call: IncomingCall): Promise<CallRecord> {
    const sessionId = randomUUID();
    const answered = await this.client.answerCall(call.incomingCallContext, this.callbackUrl(sessionId), {
      ...streamingOptions(this.deps.config, sessionId, {
        mode: this.deps.config.streamingMode,
        locale: this.deps.localeOf(undefined),
      }),
      operationContext: sessionId,
    });
    return this.begin(sessionId, {
      callId: connectionIdOf(answered.callConnectionProperties),
      sessionId,
      direction: 'inbound',
      state: 'connecting',
      from: call.from,
      to: call.to,
      participants: [],
      createdAt: new Date().toISOString(),
    });
  }

  /** Places an outbound call from ACS_SOURCE_PHONE_NUMBER. */
  async place(request: PlaceCall): Promise<CallRecord> {
    const { sourceNumber } = this.deps.config;
    if (sourceNumber === undefined)
      throw new Error('ACS_SOURCE_PHONE_NUMBER is not set: outbound calls need it');
    const sessionId = request.sessionId ?? randomUUID();
    const memo = await this.deps.sessions.load(sessionId);
    try {
      if (request.streamingMode) memo.setContext('streaming_mode', request.streamingMode);
      if (request.transcription) memo.setContext('transcription_variant', request.transcription);
      if (request.agent) memo.setContext('active_agent', request.agent);
      await memo.flush(2_000);
    } finally {
      memo.dispose();
    }
    const created = await this.client.createCall(
      {
        targetParticipant: { phoneNumber: request.targetNumber },
        sourceCallIdNumber: { phoneNumber: sourceNumber },
      },
      this.callbackUrl(sessionId),
      {
        ...streamingOptions(this.deps.config, sessionId, {
          mode: request.streamingMode ?? this.deps.config.streamingMode,
          requested: request.streamingMode !== undefined,
          audioFormat: request.audioFormat,
          locale: this.deps.localeOf(request.agent),
        }),
        operationContext: sessionId,
      },
    );
    return this.begin(sessionId, {
      callId: connectionIdOf(created.callConnectionProperties),
      sessionId,
      direction: 'outbound',
      state: 'connecting',
      from: sourceNumber,
      to: request.targetNumber,
      participants: [],
      createdAt: new Date().toISOString(),
    });
  }

  /** Applies one callback event to its call; a redelivered event is not applied again. */
  async handle(event: CallEvent): Promise<EventOutcome> {
    if (!HANDLED_EVENTS.has(event.type)) {
      this.log.info(
        { type: event.type, call_connection_id: event.callId },
        'call event not handled; acknowledged',
      );
      return 'unhandled';
    }
    if (!(await this.ledger.claim(event.id))) return 'duplicate';
    const sessionId = await this.deps.sessions.store.sessionForCall(event.callId);
    if (sessionId === undefined) {
      this.log.warn(
        { type: event.type, call_connection_id: event.callId },
        'call event for a call rtvoice does not know',
      );
      return 'unknown_call';
    }
    const now = new Date().toISOString();
    const { before, after } = await this.update(event.callId, sessionId, (record) =>
      applyCallEvent(record, event, now),
    );
    this.publish(after, { event: 'call_update', call_event: event.type, state: after.state });
    if (event.type === 'CallTransferFailed') {
      this.log.warn(
        { call_connection_id: event.callId, detail: after.transfer?.detail },
        'transfer failed; hanging up',
      );
      await this.hangUpNow(event.callId, sessionId, 'transfer failure');
    }
    if (isOver(after) && !isOver(before)) await this.ended(after);
    // Not awaited: the callback is answered at once, while the call is rescued.
    else if (event.type === 'TranscriptionFailed')
      void this.transcriptionFailed(after).catch((err: unknown) =>
        this.log.error(
          { call_connection_id: event.callId, err: errorMessage(err) },
          'transcription rescue failed',
        ),
      );
    else await this.toHandler({ callId: event.callId, event });
    return 'applied';
  }

  /** Registers the media handler of a call running here; returns its unregistration. */
  attach(callId: string, link: MediaLink): () => void {
    this.links.set(callId, link);
    return () => {
      if (this.links.get(callId) === link) this.links.delete(callId);
    };
  }

  /**
   * Ends a call from the API: its agent says goodbye first when its media runs here; otherwise ACS ends
   * it at once. False when the call is unknown or over.
   */
  async hangUp(callId: string): Promise<boolean> {
    const sessionId = await this.deps.sessions.store.sessionForCall(callId);
    if (sessionId === undefined) return false;
    const record = (await this.deps.sessions.store.load(sessionId))?.corememory[CALL_RECORD_KEY] as
      CallRecord | undefined;
    if (!record || isOver(record)) return false;
    await this.update(callId, sessionId, (current) => ({ ...current, hangUpBy: 'api' }));
    const link = this.links.get(callId);
    if (link) link.farewell(FAREWELL);
    else await this.hangUpNow(callId, sessionId, 'api');
    return true;
  }

  /**
   * The agent ended the call: an escalation transfers it to ACS_TRANSFER_NUMBER when one is set,
   * anything else hangs up for everyone.
   */
  async endByAgent(callId: string, sessionId: string, reason: EndReason): Promise<void> {
    const target = this.deps.config.transferNumber;
    if (reason === 'completed' || target === undefined) {
      await this.hangUpNow(callId, sessionId, 'agent');
      return;
    }
    await this.update(callId, sessionId, (record) => ({
      ...record,
      state: 'transferring',
      transfer: { target, status: 'requested' },
    }));
    try {
      await this.client
        .getCallConnection(callId)
        .transferCallToParticipant({ phoneNumber: target }, { operationContext: `escalation:${reason}` });
      this.log.info({ call_connection_id: callId, reason }, 'call transferred to a person');
    } catch (err) {
      this.log.error(
        { call_connection_id: callId, err: errorMessage(err) },
        'transfer request failed; hanging up',
      );
      await this.update(callId, sessionId, (record) => ({
        ...record,
        transfer: { target, status: 'failed', detail: errorMessage(err) },
      }));
      await this.hangUpNow(callId, sessionId, 'transfer failure');
    }
  }

  /**
   * rtvoice can no longer hear or speak to the caller: the caller hears why (when ACS can still play),
   * then goes to ACS_TRANSFER_NUMBER, or the call ends. Never a silent line.
   */
  async handOver(callId: string, sessionId: string, why: string, options: HandOverOptions): Promise<void> {
    this.log.error({ call_connection_id: callId, why }, 'handing the call to a person');
    this.deps.bus.publish(
      envelope('error', { sessionId, callId }, { message: 'the call is handed to a person', detail: why }),
    );
    if (options.apologize) {
      const asked = await this.media(callId)
        .play({ text: TROUBLE_MESSAGE, voice: options.voice, operationContext: 'rtvoice-trouble' })
        .then(() => true)
        .catch(() => false);
      if (asked) await sleep(TROUBLE_MESSAGE.length * SPOKEN_MS_PER_CHAR);
    }
    await this.endByAgent(callId, sessionId, 'human_handoff');
  }

  /**
   * ACS stopped transcribing a call in transcription mode: it is asked to start again (ACS opens a new
   * transcription socket, and the conversation goes on); if that fails too, an agent's call is handed to a
   * person, and a listen-only call goes on untranscribed (its watchers are told).
   */
  private async transcriptionFailed(record: CallRecord): Promise<void> {
    const { callId, sessionId } = record;
    const context = (await this.deps.sessions.store.load(sessionId))?.corememory ?? {};
    const restarts = record.transcriptionRestarts ?? 0;
    if (restarts < TRANSCRIPTION_RESTARTS) {
      await this.update(callId, sessionId, (current) => ({
        ...current,
        transcriptionRestarts: restarts + 1,
      }));
      const agent = typeof context['active_agent'] === 'string' ? context['active_agent'] : undefined;
      try {
        await this.media(callId).startTranscription(this.deps.localeOf(agent));
        this.log.warn({ call_connection_id: callId }, 'transcription failed; restarted');
        return;
      } catch (err) {
        this.log.error({ call_connection_id: callId, err: errorMessage(err) }, 'transcription not restarted');
      }
    }
    const why = `ACS cannot transcribe the call: ${record.transcription?.details ?? 'failed'}`;
    const variant = context['transcription_variant'] ?? this.deps.config.transcriptionVariant;
    if (variant === 'listen') {
      this.publish(record, { event: 'transcription_lost', detail: why });
      return;
    }
    await this.handOver(callId, sessionId, why, { apologize: true });
  }

  /** Ends the call for everyone, noting who asked (the first to ask is kept). */
  private async hangUpNow(
    callId: string,
    sessionId: string,
    by: NonNullable<CallRecord['hangUpBy']>,
  ): Promise<void> {
    await this.update(callId, sessionId, (record) => ({ ...record, hangUpBy: record.hangUpBy ?? by }));
    try {
      await this.client.getCallConnection(callId).hangUp(true);
    } catch (err) {
      this.log.warn(
        { call_connection_id: callId, err: errorMessage(err) },
        'hang-up failed (the call may be over)',
      );
    }
  }

  private async begin(sessionId: string, record: CallRecord): Promise<CallRecord> {
    await this.deps.sessions.store.mapCall(record.callId, sessionId);
    const { after } = await this.update(record.callId, sessionId, () => record);
    this.publish(after, { event: 'call_update', call_event: 'created', state: after.state });
    this.log.info(
      { call_connection_id: record.callId, session_id: sessionId, direction: record.direction },
      'call started',
    );
    return after;
  }

  /** The call is over: its media handler (here or on another instance) ends and releases everything. */
  private async ended(record: CallRecord): Promise<void> {
    this.log.info(
      { call_connection_id: record.callId, session_id: record.sessionId, reason: record.endReason },
      'call ended',
    );
    await this.toHandler({ callId: record.callId, ended: true }, record);
    this.publish(record, { event: 'call_ended', reason: record.endReason ?? null, state: record.state });
  }

  /** Gives a call's handler an event or its end: here if it runs here, else through Redis to its instance. */
  private async toHandler(signal: CallSignal, record?: CallRecord): Promise<void> {
    const link = this.links.get(signal.callId);
    if (!link) {
      await this.deps.redis?.publish(SIGNAL_CHANNEL, JSON.stringify(signal)).catch(() => undefined);
      return;
    }
    if ('event' in signal) link.event(signal.event);
    else await link.terminate(`call ${record?.state ?? 'ended'}: ${record?.endReason ?? ''}`.trim());
  }

  /** Changes a call's record in its session, one change at a time per call. */
  private update(
    callId: string,
    sessionId: string,
    change: (record: CallRecord) => CallRecord,
  ): Promise<{ before: CallRecord; after: CallRecord }> {
    const previous = this.queues.get(callId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const memo = await this.deps.sessions.load(sessionId);
        try {
          const stored =
            memo.getContext<CallRecord>(CALL_RECORD_KEY) ??
            this.calls.get(callId) ??
            unknownCall(callId, sessionId);
          const after = change(stored);
          memo.setContext(CALL_RECORD_KEY, after);
          await memo.flush(2_000);
          await this.calls.index(after);
          return { before: stored, after };
        } finally {
          memo.dispose();
        }
      });
    this.queues.set(callId, next);
    void next
      .finally(() => {
        if (this.queues.get(callId) === next) this.queues.delete(callId);
      })
      .catch(() => undefined);
    return next;
  }

  private publish(record: CallRecord, payload: Record<string, unknown>): void {
    this.deps.bus.publish(envelope('event', { sessionId: record.sessionId, callId: record.callId }, payload));
  }

  private callbackUrl(sessionId: string): string {
    return `${this.deps.config.baseUrl}/api/v1/calls/callbacks?session_id=${encodeURIComponent(sessionId)}`;
  }
}

function connectionIdOf(properties: { callConnectionId?: string | undefined }): string {
  if (!properties.callConnectionId) throw new Error('ACS answered without a call connection id');
  return properties.callConnectionId;
}

/** A record for an event about a call whose record is missing (its session expired, or was deleted). */
function unknownCall(callId: string, sessionId: string): CallRecord {
  return {
    callId,
    sessionId,
    direction: 'inbound',
    state: 'connecting',
    participants: [],
    createdAt: new Date().toISOString(),
  };
}
