import { once } from 'node:events';
import WebSocket from 'ws';
import type { Envelope } from '../../../src/connections/envelope.ts';

export interface Seen {
  /** Arrival, ms on the conversation's clock. */
  readonly at: number;
  readonly envelope: Envelope;
}

export interface ToolCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly ok: boolean;
  readonly result: Record<string, unknown> | null;
  readonly at: number;
}

/**
 * A dashboard's view of one session (the relay), opened before the call so the greeting is seen too: what
 * the agent said turn by turn, what the recognizer heard, the tools it ran and how the call ended. The ACS
 * caller itself gets none of this, only audio.
 */
export class SessionWatch {
  readonly seen: Seen[] = [];
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket, clock: () => number) {
    this.ws = ws;
    ws.on('message', (data: Buffer) =>
      this.seen.push({ at: clock(), envelope: JSON.parse(data.toString('utf8')) as Envelope }),
    );
  }

  static async open(baseUrl: string, sessionId: string, clock: () => number): Promise<SessionWatch> {
    const ws = new WebSocket(
      `${baseUrl.replace('http', 'ws')}/api/v1/realtime/dashboard/relay?session_id=${encodeURIComponent(sessionId)}`,
      { handshakeTimeout: 10_000 },
    );
    const watch = new SessionWatch(ws, clock);
    await Promise.race([once(ws, 'open'), once(ws, 'error').then(([err]) => Promise.reject(err as Error))]);
    return watch;
  }

  close(): void {
    this.ws.close();
  }

  private of(type: Envelope['type']): Seen[] {
    return this.seen.filter((s) => s.envelope.type === type);
  }

  /** The agent's text of its latest turn, all of it (texts arrive before their audio plays). */
  latestTurn(): { turn: number; text: string; at: number } | undefined {
    const texts = this.of('assistant_streaming');
    const last = texts.at(-1);
    if (!last) return undefined;
    const turn = last.envelope.payload.turn as number;
    const ofTurn = texts.filter((s) => s.envelope.payload.turn === turn);
    return { turn, text: ofTurn.map((s) => String(s.envelope.payload.text)).join(''), at: last.at };
  }

  /** Every turn's text, in order, for the record. */
  agentTurns(): { turn: number; text: string }[] {
    const turns = new Map<number, string>();
    for (const s of this.of('assistant_streaming')) {
      const turn = s.envelope.payload.turn as number;
      turns.set(turn, (turns.get(turn) ?? '') + String(s.envelope.payload.text));
    }
    return [...turns].map(([turn, text]) => ({ turn, text: text.trim() }));
  }

  /** What the recognizer made of the caller's utterances (final results), by arrival. */
  heard(from = 0, until = Number.POSITIVE_INFINITY): string[] {
    return this.of('user_transcript')
      .filter((s) => s.envelope.payload.final === true && s.at >= from && s.at < until)
      .map((s) => String(s.envelope.payload.text));
  }

  /** A recognised utterance has not been answered yet: its reply is still being made. */
  replyPending(): boolean {
    const heard = this.of('user_transcript')
      .filter((s) => s.envelope.payload.final === true)
      .at(-1);
    const said = this.of('assistant_streaming').at(-1);
    return heard !== undefined && (said === undefined || said.at < heard.at);
  }

  lastHeardAt(): number | undefined {
    return this.of('user_transcript')
      .filter((s) => s.envelope.payload.final === true)
      .at(-1)?.at;
  }

  tools(): ToolCall[] {
    const starts = new Map(this.of('tool_start').map((s) => [s.envelope.payload.call_id, s] as const));
    return this.of('tool_end').map((end) => {
      const p = end.envelope.payload;
      return {
        tool: String(p.tool),
        args: (starts.get(p.call_id)?.envelope.payload.args ?? {}) as Record<string, unknown>,
        ok: p.ok === true,
        result: (p.result ?? null) as Record<string, unknown> | null,
        at: end.at,
      };
    });
  }

  handoffs(): { to: string; at: number }[] {
    return this.of('event')
      .filter((s) => s.envelope.payload.event === 'handoff')
      .map((s) => ({ to: String(s.envelope.payload.to), at: s.at }));
  }

  /** How the agent ended the call, if it did: `human_handoff`, `completed`, `emergency`. */
  ending(): { reason: string; at: number } | undefined {
    const end = this.of('event').find((s) =>
      ['live_agent_transfer', 'call_ending'].includes(String(s.envelope.payload.event)),
    );
    return end && { reason: String(end.envelope.payload.reason), at: end.at };
  }
}

/** What the sessions API shows of a session's context: the slots and where each agent's flow stands. */
export interface SessionState {
  readonly slots: Record<string, unknown>;
  readonly activeAgent: string | undefined;
  readonly flowPosition: Record<string, { state: string; attempts: number }>;
}

export async function sessionState(baseUrl: string, sessionId: string): Promise<SessionState | undefined> {
  const reply = await fetch(`${baseUrl}/api/v1/sessions/${encodeURIComponent(sessionId)}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!reply.ok) return undefined;
  const { context } = (await reply.json()) as { context: Record<string, unknown> };
  return {
    slots: (context.slots ?? {}) as Record<string, unknown>,
    activeAgent: context.active_agent as string | undefined,
    flowPosition: (context.flow_position ?? {}) as SessionState['flowPosition'],
  };
}
