import type { SttProvider } from '../../speech/types.ts';
import { TranscriptionLine } from './transcription-line.ts';

type Json = Record<string, unknown>;

const SUCCESS = { code: 200, subCode: 0, message: 'Action completed successfully.' };

/** What ACS's transcription of one call needs of the simulator. */
export interface TranscriberDeps {
  readonly callId: string;
  readonly correlationId: string;
  /** The caller's raw id (`4:+1…`): who speaks unless a phrase says otherwise. */
  readonly participantRawId: string;
  /** transcriptionOptions of the answer or create request. */
  readonly options: Json;
  readonly socketHeaders: () => Promise<Record<string, string>>;
  readonly recognizer: () => SttProvider;
  readonly endSilenceMs: number | undefined;
  readonly connected: () => boolean;
  readonly report: (type: string, data: Json) => Promise<unknown>;
}

const update = (status: string, details: string) => ({
  transcriptionUpdate: { transcriptionStatus: status, transcriptionStatusDetails: details },
});

/**
 * ACS's transcription of one simulated call: it opens the transcription socket to the server (with ACS's
 * token and headers), reports TranscriptionStarted, Stopped, Updated or Failed as ACS does, and answers
 * start, stop and update requests. When the server closes the socket mid-call, the simulator reports the
 * transcription failed (what real ACS reports then is unconfirmed).
 */
export class CallTranscriber {
  /** The socket open now (the latest, after restarts). */
  line: TranscriptionLine | undefined;
  /** The locale updateTranscription switched to. */
  locale: string | undefined;
  private readonly deps: TranscriberDeps;
  private waiters: ((line: TranscriptionLine) => void)[] = [];

  constructor(deps: TranscriberDeps) {
    this.deps = deps;
  }

  /** The open socket, now or once it opens. */
  opened(): Promise<TranscriptionLine> {
    if (this.line?.isOpen) return Promise.resolve(this.line);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Opens the socket, then TranscriptionStarted (or TranscriptionFailed). */
  async start(locale?: string): Promise<void> {
    if (this.line?.isOpen) return;
    const { deps } = this;
    try {
      const configured = deps.options['locale'];
      const line = await TranscriptionLine.open({
        url: String(deps.options['transportUrl']),
        headers: await deps.socketHeaders(),
        callId: deps.callId,
        correlationId: deps.correlationId,
        locale: locale ?? (typeof configured === 'string' ? configured : 'en-US'),
        participantRawId: deps.participantRawId,
        recognizer: deps.recognizer(),
        ...(deps.endSilenceMs !== undefined ? { endSilenceMs: deps.endSilenceMs } : {}),
      });
      this.line = line;
      for (const resolve of this.waiters.splice(0)) resolve(line);
      void line.closed.then(() => {
        if (this.line === line && deps.connected()) void this.fail('streamConnectionInterrupted');
      });
      await deps.report('TranscriptionStarted', {
        resultInformation: SUCCESS,
        ...update('transcriptionStarted', 'subscriptionStarted'),
      });
    } catch {
      await this.fail('initialWebSocketConnectionFailed');
    }
  }

  /** The transcription breaks down: the socket closes and TranscriptionFailed is reported. */
  async fail(details: string): Promise<void> {
    this.closeLine();
    await this.deps.report('TranscriptionFailed', {
      resultInformation: {
        code: 500,
        subCode: 8578,
        message: 'Action failed, not able to establish WebSocket connection.',
      },
      ...update('transcriptionFailed', details),
    });
  }

  /** A `:startTranscription`, `:stopTranscription` or `:updateTranscription` request. */
  async request(
    action: 'startTranscription' | 'stopTranscription' | 'updateTranscription',
    body: Json,
  ): Promise<void> {
    const locale = typeof body['locale'] === 'string' ? body['locale'] : undefined;
    if (action === 'startTranscription') return this.start(locale);
    if (action === 'stopTranscription') {
      this.closeLine();
      await this.deps.report('TranscriptionStopped', {
        resultInformation: SUCCESS,
        ...update('transcriptionStopped', 'subscriptionStopped'),
      });
      return;
    }
    this.locale = locale;
    await this.deps.report('TranscriptionUpdated', {
      resultInformation: SUCCESS,
      ...update('transcriptionUpdated', 'transcriptionLocaleUpdated'),
    });
  }

  /** The call is over: the socket closes, nothing is reported. */
  closeLine(): void {
    const line = this.line;
    this.line = undefined;
    line?.close();
  }
}
