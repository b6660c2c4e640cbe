import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../../src/calls/call-events.ts';
import { parseCallEvents, parseEventGrid } from '../../../src/calls/call-events.ts';
import { applyCallEvent, HANDLED_EVENTS, type CallRecord } from '../../../src/calls/call-records.ts';

const AT = '2026-12-02T12:00:00.000Z';
const CALL: CallRecord = {
  callId: 'call-1',
  sessionId: 'session-1',
  direction: 'inbound',
  state: 'connecting',
  participants: [],
  createdAt: '2026-12-02T11:59:00.000Z',
};
const event = (type: string, data: Record<string, unknown> = {}): CallEvent => ({
  id: `${type}-id`,
  type,
  callId: 'call-1',
  data: { callConnectionId: 'call-1', ...data },
});
const apply = (record: CallRecord, ...events: CallEvent[]) =>
  events.reduce((current, next) => applyCallEvent(current, next, AT), record);
const failure = { resultInformation: { code: 500, subCode: 8603, message: 'no websocket' } };

describe('a call record, event by event', () => {
  it('connects, keeps the latest participants, and ends when the caller hangs up', () => {
    const phone = (n: string) => ({ identifier: { kind: 'phoneNumber', rawId: `4:${n}` } });
    const record = apply(
      CALL,
      event('CallConnected'),
      event('ParticipantsUpdated', { sequenceNumber: 2, participants: [phone('+1425'), phone('+1800')] }),
      event('ParticipantsUpdated', { sequenceNumber: 1, participants: [phone('+1999')] }), // late: ignored
      event('CallDisconnected'),
      event('CallConnected'), // after the end: changes nothing
    );
    expect(record).toMatchObject({
      state: 'disconnected',
      connectedAt: AT,
      endedAt: AT,
      endReason: 'the caller hung up',
      participants: ['+1425', '+1800'],
      participantsSequence: 2,
    });
  });

  it('skips participants that are not objects with a raw id, keeping the others', () => {
    const participants = [
      null,
      42,
      { identifier: null },
      { identifier: { rawId: 7 } },
      { identifier: { rawId: '4:+1425' } },
    ];
    expect(apply(CALL, event('ParticipantsUpdated', { participants })).participants).toEqual(['+1425']);
  });

  it('says who hung up, and that a transfer ended the call', () => {
    expect(apply({ ...CALL, hangUpBy: 'agent' }, event('CallDisconnected')).endReason).toBe(
      'hung up by the agent',
    );
    expect(apply({ ...CALL, hangUpBy: 'api' }, event('CallDisconnected')).endReason).toBe(
      'hung up through the API',
    );
    const transferring: CallRecord = {
      ...CALL,
      state: 'transferring',
      transfer: { target: '+1555', status: 'requested' },
    };
    expect(apply(transferring, event('CallTransferAccepted'), event('CallDisconnected'))).toMatchObject({
      transfer: { status: 'accepted' },
      endReason: 'transferred to +1555',
    });
    expect(apply(transferring, event('CallTransferFailed', failure))).toMatchObject({
      state: 'connected',
      transfer: { target: '+1555', status: 'failed', detail: '500/8603: no websocket' },
    });
  });

  it('fails a call that could not be placed or answered', () => {
    for (const type of ['CreateCallFailed', 'AnswerFailed', 'AnswerCallFailed'])
      expect(apply(CALL, event(type, failure))).toMatchObject({
        state: 'failed',
        endReason: `${type} 500/8603: no websocket`,
      });
  });

  it('records media streaming, play and recognize outcomes, and keypad tones', () => {
    const streaming = (status: string, details: string) => ({
      mediaStreamingUpdate: { mediaStreamingStatus: status, mediaStreamingStatusDetails: details },
    });
    expect(
      apply(CALL, event('MediaStreamingStarted', streaming('mediaStreamingStarted', 'subscriptionStarted')))
        .media,
    ).toEqual({
      status: 'mediaStreamingStarted',
      details: 'subscriptionStarted',
    });
    expect(apply(CALL, event('MediaStreamingFailed', failure)).media).toEqual({
      status: 'MediaStreamingFailed',
      details: '500/8603: no websocket',
    });
    expect(
      apply(
        CALL,
        event('TranscriptionUpdated', {
          transcriptionUpdate: {
            transcriptionStatus: 'transcriptionUpdated',
            transcriptionStatusDetails: 'transcriptionLocaleUpdated',
          },
        }),
      ).transcription,
    ).toEqual({ status: 'transcriptionUpdated', details: 'transcriptionLocaleUpdated' });
    expect(apply(CALL, event('TranscriptionFailed', failure)).transcription).toEqual({
      status: 'TranscriptionFailed',
      details: '500/8603: no websocket',
    });
    for (const type of [
      'PlayStarted',
      'PlayCompleted',
      'PlayFailed',
      'PlayCanceled',
      'RecognizeCompleted',
      'RecognizeFailed',
    ])
      expect(apply(CALL, event(type)).lastOperation).toEqual({ event: type, detail: undefined });
    const tones = ['nine', 'four', 'pound', 'asterisk', 'a'].map((tone) =>
      event('ContinuousDtmfRecognitionToneReceived', { tone }),
    );
    expect(apply(CALL, ...tones).dtmf).toBe('94#*A');
  });

  it('handles every event type the issue names, and no others', () => {
    expect([...HANDLED_EVENTS].sort()).toEqual(
      [
        'AnswerCallFailed',
        'AnswerFailed',
        'CallConnected',
        'CallDisconnected',
        'CallTransferAccepted',
        'CallTransferFailed',
        'ContinuousDtmfRecognitionToneReceived',
        'CreateCallFailed',
        'MediaStreamingFailed',
        'MediaStreamingStarted',
        'MediaStreamingStopped',
        'ParticipantsUpdated',
        'PlayCanceled',
        'PlayCompleted',
        'PlayFailed',
        'PlayStarted',
        'RecognizeCompleted',
        'RecognizeFailed',
        'TranscriptionFailed',
        'TranscriptionStarted',
        'TranscriptionStopped',
        'TranscriptionUpdated',
      ].sort(),
    );
  });
});

describe('callback and Event Grid bodies', () => {
  it('reads one event or an array, and reports elements that are not call events', () => {
    const good = {
      id: 'e1',
      type: 'Microsoft.Communication.CallConnected',
      data: { callConnectionId: 'c1', extra: 1 },
    };
    expect(parseCallEvents(good).events).toEqual([
      { id: 'e1', type: 'CallConnected', callId: 'c1', data: { callConnectionId: 'c1', extra: 1 } },
    ]);
    const { events, problems } = parseCallEvents([good, { id: 'e2', type: 'Other.Thing', data: {} }, 42]);
    expect(events).toHaveLength(1);
    expect(problems).toHaveLength(2);
    expect(parseCallEvents({ ...good, data: { callConnectionId: '../../etc' } }).events).toEqual([]);
  });

  it('reads the subscription handshake and incoming calls, and refuses what is neither', () => {
    expect(
      parseEventGrid([
        {
          id: 'v',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          data: { validationCode: 'code' },
        },
      ]),
    ).toEqual({ kind: 'validation', validationCode: 'code' });
    const incoming = {
      id: 'i',
      eventType: 'Microsoft.Communication.IncomingCall',
      data: { incomingCallContext: 'ctx', from: { rawId: '4:+1425' }, to: { rawId: '8:acs:bot' } },
    };
    expect(parseEventGrid([incoming, { id: 'x', eventType: 'Other', data: {} }])).toEqual({
      kind: 'calls',
      calls: [{ incomingCallContext: 'ctx', from: '+1425', to: '8:acs:bot', correlationId: undefined }],
      ignored: ['Other'],
    });
    expect(() => parseEventGrid({ hello: 'world' })).toThrow();
    expect(() => parseEventGrid([{ ...incoming, data: {} }])).toThrow();
  });
});
