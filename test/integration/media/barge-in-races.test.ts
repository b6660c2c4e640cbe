import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.ts';
import type { ChatMessage } from '../../../src/state/session.ts';
import { newCaller, startMediaServer, thread } from '../../helpers/media.ts';
import { until } from '../../helpers/wait.ts';

// The barge-in races, each on a real call. Typed text (browser) interrupts at once, so each race is
// placed exactly; a 2 s output lead makes the pacer send far ahead of what has played.
let server: RunningServer;
beforeAll(async () => {
  server = await startMediaServer({ OUTPUT_LEAD_MS: '2000' });
});
afterAll(() => server.close());

const GREETING = 'Hi there from XYZ Insurance! To get started, may I have your full name?';
const spoken = (messages: readonly ChatMessage[]) => messages.filter((m) => m.role === 'assistant');

async function call(sessionId: string) {
  const caller = newCaller(server, { protocol: 'browser', sessionId });
  expect(await caller.connect()).toBe(true);
  return caller;
}

describe('barge-in races', () => {
  it('after all audio was sent but not yet played: history keeps what played, not what was sent', async () => {
    const sessionId = `race-sent-${Date.now()}`;
    const caller = await call(sessionId);
    expect((await caller.waitForAgentSpeech({ timeoutMs: 5000 })).ok).toBe(true);
    await sleep(700); // about 2.7 s of the greeting sent (2 s lead), 0.7 s played
    caller.sendText('Alice Brown');
    await until(() => caller.record().agentStops > 0, 3000);
    await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 });
    const record = await caller.hangup();
    expect(record.errors).toEqual([]);
    await until(async () => spoken(await thread(server, sessionId, 'AuthAgent')).length >= 2, 3000);
    const greeting = spoken(await thread(server, sessionId, 'AuthAgent'))[0]!;
    expect(greeting.meta?.interrupted).toBe(true);
    expect(GREETING.startsWith(greeting.content)).toBe(true);
    // 0.7 s of about 4.5 s played: far less than half, though most of it had been sent.
    expect(greeting.content.length).toBeLessThan(GREETING.length * 0.4);
  }, 30_000);

  it('before the first audio frame: nothing of the interrupted reply stays, the next one is answered', async () => {
    const sessionId = `race-early-${Date.now()}`;
    const caller = await call(sessionId);
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 });
    caller.sendText('Alice Brown');
    caller.sendText('Bob Martinez'); // the reply to the first has not sent audio yet
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 15_000 });
    const record = await caller.hangup();
    expect(record.errors).toEqual([]);
    const messages = await thread(server, sessionId, 'AuthAgent');
    const users = messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(users).toEqual(['Alice Brown', 'Bob Martinez']);
    // Between the two caller lines nothing was heard, so nothing was kept; the last reply is whole.
    const between = messages.slice(
      messages.findIndex((m) => m.content === 'Alice Brown') + 1,
      messages.findIndex((m) => m.content === 'Bob Martinez'),
    );
    expect(between.filter((m) => m.role === 'assistant' && m.content !== '')).toEqual([]);
    expect(messages.at(-1)).toMatchObject({
      role: 'assistant',
      content: expect.stringContaining('ZIP code'),
    });
    expect(messages.at(-1)!.meta?.interrupted).toBeUndefined();
  }, 30_000);

  it('two interruptions in a row: each reply keeps only what played, and the conversation goes on', async () => {
    const sessionId = `race-twice-${Date.now()}`;
    const caller = await call(sessionId);
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await sleep(500);
    caller.sendText('Bob Martinez'); // interrupts the greeting
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await sleep(1500); // a few words of the ZIP question played
    caller.sendText('94105'); // typed over the ZIP question: a second interruption
    await caller.waitForAgentSpeech({ timeoutMs: 5000 });
    await caller.waitForAgentSilence({ silenceMs: 700, timeoutMs: 20_000 });
    const record = await caller.hangup();
    expect(record.errors).toEqual([]);
    expect(record.agentStops).toBe(2);
    const messages = await thread(server, sessionId, 'AuthAgent');
    const interrupted = messages.filter((m) => m.meta?.interrupted);
    expect(interrupted).toHaveLength(2);
    for (const message of interrupted) expect(message.content.length).toBeLessThan(60);
    expect(messages.map((m) => m.content).join(' ')).toContain("Thank you, Bob, you're verified.");
  }, 40_000);
});
