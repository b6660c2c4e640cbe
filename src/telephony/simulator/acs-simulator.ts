import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pcm16 } from '../../audio/pcm.ts';
import type { SimulatedCaller } from '../../load/simulated-caller.ts';
import { createStt, createTts } from '../../speech/providers.ts';
import { DTMF_TONES } from '../../calls/call-records.ts';
import type { SttProvider, TtsProvider } from '../../speech/types.ts';
import { CallbackDelivery, type Delivery } from './callback-delivery.ts';
import { CallSpeaker } from './call-speaker.ts';
import { EventGridDelivery, phone } from './event-grid.ts';
import { hmacProblem } from './hmac.ts';
import { TokenIssuer } from './token-issuer.ts';
import { CallTranscriber } from './call-transcriber.ts';
import { openPhoneLine, socketHeaders } from './phone-line.ts';
import type { TranscriptionLine } from './transcription-line.ts';

type Json = Record<string, unknown>;

const SUCCESS = { code: 200, subCode: 0, message: 'Action completed successfully.' };

/** ACS's names of the keypad tones, by key. */
const TONE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DTMF_TONES).map(([name, key]) => [key, name]),
);
/** One call the simulated ACS carries. */
export interface SimulatedCall {
  readonly callId: string;
  readonly correlationId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  readonly callbackUri: string;
  readonly mediaStreaming: Json | undefined;
  /** transcriptionOptions of the answer or create request (transcription mode). */
  readonly transcriptionOptions: Json | undefined;
  /** Transcription mode: ACS's transcription of the call and its socket to the server. */
  readonly transcriber: CallTranscriber | undefined;
  state: 'connecting' | 'connected' | 'transferred' | 'disconnected';
  /** Where the agent transferred the call. */
  transferredTo?: string;
  /** The server asked for the caller's keypad tones (startContinuousDtmfRecognition). */
  keypadHeard?: boolean;
  /** Keypad tones reported so far (their sequence ids). */
  tones?: number;
  /** The phone line: the media socket ACS opened to the server, as a simulated caller. */
  line?: SimulatedCaller;
  readonly lineOpened: Promise<SimulatedCaller>;
  /** ACS's text to speech on the call (`play`). */
  readonly speaker: CallSpeaker;
}

export type { Delivery } from './callback-delivery.ts';

export interface AcsSimulatorOptions {
  /** The ACS resource's immutable id (ACS_AUDIENCE); random by default. */
  readonly audience?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** How long an outbound call rings before it is answered. */
  readonly ringMs?: number;
  /** Whether media sockets and callbacks carry tokens (false: test the server's refusals). */
  readonly signTokens?: boolean;
  /** Agent audio each phone line hears, as it arrives (plays too, at 16 kHz, when they start). */
  readonly onAgentAudio?: (callId: string, samples: Pcm16) => void;
  /** Transcription mode: silence after speech before a Final result (ACS's segmentation; simulated). */
  readonly endSilenceMs?: number;
  /** Plays complete this many times faster than their audio lasts (tests; 1, the default, is faithful). */
  readonly playbackSpeed?: number;
}

interface CallWaiter {
  resolve(line: SimulatedCaller): void;
  reject(err: Error): void;
}

/**
 * A local stand-in for Azure Communication Services, faithful to ../shared/reference/PROTOCOLS.md §1, §3, §4:
 * the Call Automation REST operations the official SDK calls (access-key HMAC verified), an RS256 token
 * issuer with its OpenID configuration and JWKS, Event Grid delivery of incoming calls (after the
 * validation handshake), signed CloudEvent callbacks, and a phone line: the media socket to the server,
 * as a simulated caller that speaks WAV audio at real-time pace and hears the agent.
 */
export class AcsSimulator {
  readonly accessKey = randomBytes(32).toString('base64');
  readonly issuer: TokenIssuer;
  readonly calls = new Map<string, SimulatedCall>();
  private readonly callbacks: CallbackDelivery;
  /** REST requests refused for a bad signature. */
  readonly refusedRequests: string[] = [];
  private readonly options: AcsSimulatorOptions;
  private readonly server: Server;
  private readonly incoming = new Map<string, { from: string; to: string }>();
  private readonly eventGrid = new EventGridDelivery();
  private readonly waiters = new Map<string, CallWaiter>();
  private tts: TtsProvider | undefined;
  private failingPlays = 0;
  private stt: SttProvider | undefined;
  private baseUrl = '';

  private constructor(options: AcsSimulatorOptions, issuer: TokenIssuer) {
    this.options = options;
    this.issuer = issuer;
    this.callbacks = new CallbackDelivery(options.signTokens === false ? undefined : issuer);
    this.server = createServer((request, response) => void this.serve(request, response));
  }

  static async start(options: AcsSimulatorOptions = {}): Promise<AcsSimulator> {
    const simulator = new AcsSimulator(options, await TokenIssuer.create(options.audience ?? randomUUID()));
    await new Promise<void>((resolve) => simulator.server.listen(options.port ?? 0, '127.0.0.1', resolve));
    simulator.baseUrl = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
    return simulator;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** The environment a server needs to use this simulator as its ACS. */
  serverEnv(baseUrl: string): Record<string, string> {
    return {
      ACS_CONNECTION_STRING: `endpoint=${this.baseUrl}/;accesskey=${this.accessKey}`,
      ACS_AUDIENCE: this.issuer.audience,
      ACS_OPENID_CONFIG_URL: `${this.baseUrl}/calling/.well-known/acsopenidconfiguration`,
      BASE_URL: baseUrl,
    };
  }

  /**
   * A phone rings: Event Grid delivers IncomingCall to `answerUrl` (validating the subscription first,
   * once per URL). Resolves with the server's answer; the call is then waited for with `answered`.
   */
  async ringIn(
    answerUrl: string,
    call: { from: string; to: string },
  ): Promise<{ status: number; body: Json }> {
    const context = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${randomBytes(24).toString('base64url')}.`;
    this.incoming.set(context, call);
    return this.eventGrid.incomingCall(answerUrl, { ...call, incomingCallContext: context });
  }

  /** The phone line of a call, once ACS has connected its media socket to the server. */
  lineOf(callId: string): Promise<SimulatedCaller> {
    const call = this.calls.get(callId);
    if (!call) throw new Error(`no call ${callId}`);
    return call.lineOpened;
  }

  /** The transcription socket ACS opened for a call (transcription mode), once it is open. */
  transcriptionOf(callId: string): Promise<TranscriptionLine> {
    return this.transcriberOf(callId).opened();
  }

  /** The next `count` plays fail (a TTS failure, as ACS reports it: PlayFailed), on whichever calls. */
  failNextPlays(count: number): void {
    this.failingPlays += count;
  }

  /**
   * The caller presses keys on a call whose keypad the server listens to (transcription mode): one
   * ContinuousDtmfRecognitionToneReceived each. On the media socket, keys go as DtmfData instead.
   */
  async pressKeys(callId: string, digits: string): Promise<void> {
    const call = this.calls.get(callId);
    if (!call?.keypadHeard) throw new Error(`call ${callId} does not report keypad tones`);
    for (const digit of digits) {
      call.tones = (call.tones ?? 0) + 1;
      await this.deliver(call, 'ContinuousDtmfRecognitionToneReceived', {
        tone: TONE_NAMES[digit] ?? digit,
        sequenceId: call.tones,
        resultInformation: SUCCESS,
      });
    }
  }

  /** ACS's transcription breaks down: its socket closes and TranscriptionFailed is delivered. */
  failTranscription(callId: string): Promise<void> {
    return this.transcriberOf(callId).fail('speechServicesConnectionError');
  }

  private transcriberOf(callId: string): CallTranscriber {
    const transcriber = this.calls.get(callId)?.transcriber;
    if (!transcriber) throw new Error(`no call ${callId} in transcription mode`);
    return transcriber;
  }

  /** The caller hangs up: the media socket closes (unless `keepSocket`), then CallDisconnected. */
  async callerHangsUp(callId: string, options: { keepSocket?: boolean } = {}): Promise<void> {
    const call = this.calls.get(callId);
    if (!call) throw new Error(`no call ${callId}`);
    if (!options.keepSocket) await call.line?.hangup();
    await this.disconnect(call);
  }

  /** Delivers a callback event of a call now (in order with the call's other callbacks). */
  send(callId: string, type: string, data: Json = {}): Promise<Delivery> {
    const call = this.calls.get(callId);
    if (!call) throw new Error(`no call ${callId}`);
    return this.deliver(call, type, data);
  }

  /** Delivers an event again, exactly as it was delivered before (ACS retries). */
  redeliver(delivery: Delivery): Promise<Delivery> {
    const call = this.calls.get(String((delivery.event['data'] as Json)['callConnectionId']));
    if (!call) throw new Error('no such call');
    return this.callbacks.post(call, delivery.event);
  }

  /** Every callback delivered, and how the server answered it. */
  get deliveries(): readonly Delivery[] {
    return this.callbacks.deliveries;
  }

  deliveriesOf(callId: string): Delivery[] {
    return this.deliveries.filter((d) => (d.event['data'] as Json)['callConnectionId'] === callId);
  }

  async close(): Promise<void> {
    for (const call of this.calls.values()) {
      call.line?.hangup().catch(() => undefined);
      call.transcriber?.closeLine();
      call.speaker.cancelAll();
    }
    await Promise.all([this.tts?.close(), this.stt?.close()]);
    for (const waiter of this.waiters.values()) waiter.reject(new Error('simulator closed'));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const send = (status: number, payload?: unknown) => {
      response.writeHead(status, payload === undefined ? {} : { 'content-type': 'application/json' });
      response.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const url = new URL(request.url ?? '/', this.baseUrl);
    if (request.method === 'GET' && url.pathname === '/calling/.well-known/acsopenidconfiguration')
      return send(200, this.issuer.openIdConfiguration(`${this.baseUrl}/calling/keys`));
    if (request.method === 'GET' && url.pathname === '/calling/keys') return send(200, this.issuer.jwks());
    const problem = hmacProblem(
      { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers },
      body,
      this.accessKey,
    );
    if (problem) {
      this.refusedRequests.push(`${request.method} ${url.pathname}: ${problem}`);
      return send(401, { error: { code: 'Unauthorized', message: problem } });
    }
    try {
      const json = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Json) : {};
      const path = url.pathname;
      if (request.method === 'POST' && path === '/calling/callConnections:answer')
        return send(200, this.answer(json));
      if (request.method === 'POST' && path === '/calling/callConnections')
        return send(201, this.create(json));
      const match = /^\/calling\/callConnections\/([^/:]+)(?::(\w+))?$/.exec(path);
      const call = match ? this.calls.get(decodeURIComponent(match[1]!)) : undefined;
      if (!match || !call) return send(404, { error: { code: 'NotFound', message: `no ${path}` } });
      const action = request.method === 'DELETE' ? 'hangUp' : match[2];
      if (action === 'hangUp' || action === 'terminate') {
        send(204);
        return void this.disconnect(call, { closeLine: true });
      }
      if (action === 'transferToParticipant') {
        const target = (json['targetParticipant'] as { phoneNumber?: { value?: string } } | undefined)
          ?.phoneNumber?.value;
        send(202, { operationContext: json['operationContext'] });
        return void this.transfer(call, target ?? 'unknown', json['operationContext']);
      }
      if (request.method === 'GET' && action === undefined) return send(200, this.properties(call));
      if (action === 'play') {
        call.speaker.play(json);
        return send(202, { operationContext: json['operationContext'] });
      }
      if (action === 'startContinuousDtmfRecognition') {
        call.keypadHeard = true;
        return send(200, {});
      }
      if (action === 'cancelAllMediaOperations') {
        call.speaker.cancelAll();
        return send(202, { operationContext: json['operationContext'] });
      }
      if (
        action === 'startTranscription' ||
        action === 'stopTranscription' ||
        action === 'updateTranscription'
      ) {
        if (!call.transcriber) throw new Error('the call was not set up with transcriptionOptions');
        send(202, {});
        return void call.transcriber.request(action, json);
      }
      return send(400, {
        error: { code: 'BadRequest', message: `the simulator does not implement ${action}` },
      });
    } catch (err) {
      return send(400, { error: { code: 'BadRequest', message: String(err) } });
    }
  }

  private answer(request: Json): Json {
    const context = String(request['incomingCallContext']);
    const ringing = this.incoming.get(context);
    if (!ringing) throw new Error('incomingCallContext is unknown or was answered already');
    this.incoming.delete(context);
    const call = this.newCall('inbound', ringing.from, ringing.to, request);
    void this.connect(call);
    return this.properties(call);
  }

  private create(request: Json): Json {
    const target = (request['targets'] as { phoneNumber?: { value?: string } }[] | undefined)?.[0]
      ?.phoneNumber?.value;
    const source = (request['sourceCallerIdNumber'] as { value?: string } | undefined)?.value;
    if (!target || !source)
      throw new Error('createCall needs a phone number target and sourceCallerIdNumber');
    const call = this.newCall('outbound', source, target, request);
    setTimeout(() => void this.connect(call), this.options.ringMs ?? 100);
    return this.properties(call);
  }

  private newCall(direction: 'inbound' | 'outbound', from: string, to: string, request: Json): SimulatedCall {
    const callId = randomUUID();
    let waiter!: CallWaiter;
    const lineOpened = new Promise<SimulatedCaller>((resolve, reject) => (waiter = { resolve, reject }));
    lineOpened.catch(() => undefined);
    this.waiters.set(callId, waiter);
    const correlationId = randomUUID();
    const transcriptionOptions = request['transcriptionOptions'] as Json | undefined;
    const call: SimulatedCall = {
      callId,
      correlationId,
      direction,
      from,
      to,
      callbackUri: String(request['callbackUri']),
      mediaStreaming: request['mediaStreamingOptions'] as Json | undefined,
      transcriptionOptions,
      transcriber:
        transcriptionOptions &&
        new CallTranscriber({
          callId,
          correlationId,
          participantRawId: `4:${direction === 'inbound' ? from : to}`,
          options: transcriptionOptions,
          socketHeaders: () => this.socketHeaders(call),
          recognizer: () => (this.stt ??= createStt('pocketsphinx')),
          endSilenceMs: this.options.endSilenceMs,
          connected: () => call.state === 'connected',
          report: (type, data) => this.deliver(call, type, data),
        }),
      state: 'connecting',
      lineOpened,
      speaker: new CallSpeaker({
        tts: (this.tts ??= createTts('flite')),
        report: (type, data) => this.deliver(call, type, data),
        onAudio: this.options.onAgentAudio && ((samples) => this.options.onAgentAudio!(callId, samples)),
        speed: this.options.playbackSpeed,
        fails: () => this.failingPlays > 0 && this.failingPlays-- > 0,
      }),
    };
    this.calls.set(callId, call);
    return call;
  }

  private properties(call: SimulatedCall): Json {
    const caller = phone(call.direction === 'inbound' ? call.from : call.to);
    return {
      callConnectionId: call.callId,
      serverCallId: `server-${call.callId}`,
      correlationId: call.correlationId,
      callConnectionState: call.state,
      callbackUri: call.callbackUri,
      targets: [caller],
      source: phone(call.direction === 'inbound' ? call.to : call.from),
      answeredBy: { id: '8:acs:simulated-bot' },
      mediaStreamingSubscription: { id: randomUUID(), state: 'inactive', subscribedContentTypes: ['audio'] },
    };
  }

  /** The call is up: CallConnected, participants, then the media socket and MediaStreamingStarted. */
  private async connect(call: SimulatedCall): Promise<void> {
    call.state = 'connected';
    await this.deliver(call, 'CallConnected', { resultInformation: SUCCESS });
    await this.deliver(call, 'ParticipantsUpdated', {
      sequenceNumber: 1,
      participants: [
        {
          identifier: phone(call.direction === 'inbound' ? call.from : call.to),
          isMuted: false,
          isOnHold: false,
        },
        {
          identifier: { kind: 'communicationUser', rawId: '8:acs:simulated-bot' },
          isMuted: false,
          isOnHold: false,
        },
      ],
    });
    if (call.transcriptionOptions?.['startTranscription'] === true) await call.transcriber?.start();
    const streaming = call.mediaStreaming;
    if (!streaming || streaming['startMediaStreaming'] !== true) return;
    const waiter = this.waiters.get(call.callId)!;
    try {
      const line = await openPhoneLine(
        call,
        streaming,
        await this.socketHeaders(call),
        this.options.onAgentAudio,
      );
      call.line = line;
      waiter.resolve(line);
      await this.deliver(call, 'MediaStreamingStarted', {
        mediaStreamingUpdate: {
          contentType: 'Audio',
          mediaStreamingStatus: 'mediaStreamingStarted',
          mediaStreamingStatusDetails: 'subscriptionStarted',
        },
      });
    } catch (err) {
      waiter.reject(err instanceof Error ? err : new Error(String(err)));
      await this.deliver(call, 'MediaStreamingFailed', {
        resultInformation: {
          code: 500,
          subCode: 8603,
          message: 'Action failed, not able to establish websocket connection.',
        },
        mediaStreamingUpdate: {
          contentType: 'Audio',
          mediaStreamingStatus: 'mediaStreamingFailed',
          mediaStreamingStatusDetails: 'streamConnectionUnsuccessful',
        },
      });
    }
  }

  /** The headers ACS opens its sockets to the server with: the call's ids and a day-long token. */
  private socketHeaders(call: SimulatedCall): Promise<Record<string, string>> {
    return socketHeaders(call, this.options.signTokens === false ? undefined : this.issuer);
  }

  private async transfer(call: SimulatedCall, target: string, operationContext: unknown): Promise<void> {
    call.transferredTo = target;
    await this.deliver(call, 'CallTransferAccepted', {
      operationContext,
      resultInformation: SUCCESS,
      transferTarget: phone(target),
      transferee: phone(call.direction === 'inbound' ? call.from : call.to),
    });
    call.state = 'transferred';
    await this.disconnect(call, { closeLine: true });
  }

  private async disconnect(call: SimulatedCall, options: { closeLine?: boolean } = {}): Promise<void> {
    if (call.state === 'disconnected') return;
    if (call.state !== 'transferred') call.state = 'disconnected';
    if (options.closeLine) await call.line?.hangup();
    call.speaker.cancelAll();
    call.transcriber?.closeLine();
    await this.deliver(call, 'CallDisconnected', { resultInformation: SUCCESS });
    call.state = 'disconnected';
  }

  private deliver(call: SimulatedCall, type: string, data: Json): Promise<Delivery> {
    return this.callbacks.deliver(call, type, data);
  }
}
