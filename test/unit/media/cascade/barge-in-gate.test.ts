import { describe, expect, it } from 'vitest';
import { BargeInGate, type GateDecision } from '../../../../src/media/cascade/barge-in-gate.ts';

/** A caller's side of the line, 20 ms at a time, as the session feeds the gate. */
type Step =
  | {
      readonly speechStart: {
        readonly agentSpeaking: boolean;
        readonly at: number;
        readonly heardSinceMs?: number;
      };
    }
  | { readonly heard: number }
  | { readonly speechEnd: true };

/** Runs a sequence and lists what the gate decided, in order. */
function decisions(steps: readonly Step[], minSpeechMs = 200): GateDecision['kind'][] {
  const gate = new BargeInGate(minSpeechMs);
  const out: GateDecision['kind'][] = [];
  for (const step of steps) {
    let decision: GateDecision | undefined;
    if ('speechStart' in step) {
      const { agentSpeaking, at, heardSinceMs = 0 } = step.speechStart;
      decision = gate.speechStarted(agentSpeaking, { at, heardSinceMs });
    } else if ('heard' in step) gate.heard(step.heard);
    else decision = gate.speechEnded();
    if (decision) out.push(decision.kind);
    const check = gate.check();
    if (check) out.push(check.kind);
  }
  return out;
}

const voiced = (ms: number): Step[] => Array.from({ length: ms / 20 }, () => ({ heard: 20 }));
const quiet = (ms: number): Step[] => Array.from({ length: ms / 20 }, () => ({ heard: 0 }));

describe('BargeInGate', () => {
  it('ignores noise the VAD never calls speech', () => {
    expect(decisions([...voiced(500), ...quiet(500)])).toEqual([]);
  });

  it('lets a short backchannel pass: hold, then resume where it paused, and no turn', () => {
    const mmHm = [{ speechStart: { agentSpeaking: true, at: 1000, heardSinceMs: 60 } }, ...voiced(80)];
    // The VAD's hangover keeps it "speaking" through 300 ms of silence; silence does not count.
    expect(decisions([...mmHm, ...quiet(300), { speechEnd: true }])).toEqual(['hold', 'resume']);
  });

  it('confirms a real interruption once, dated at its onset, and the utterance is then a turn', () => {
    const gate = new BargeInGate(200);
    expect(gate.speechStarted(true, { at: 5000, heardSinceMs: 120 })).toEqual({ kind: 'hold' });
    gate.heard(20);
    expect(gate.check()).toBeUndefined(); // 140 ms of speech
    for (let i = 0; i < 3; i += 1) gate.heard(20);
    expect(gate.check()).toEqual({ kind: 'interrupt', onsetAt: 5000 }); // 200 ms
    gate.heard(20);
    expect(gate.check()).toBeUndefined(); // said once
    expect(gate.speechEnded()).toEqual({ kind: 'turn' });
    expect(gate.open).toBe(false);
  });

  it('counts speech, not time: pauses inside the utterance do not add up to an interruption', () => {
    const start = { speechStart: { agentSpeaking: true, at: 0 } };
    const choppy = [
      start,
      ...voiced(60),
      ...quiet(200),
      ...voiced(60),
      ...quiet(200),
      { speechEnd: true } as const,
    ];
    expect(decisions(choppy)).toEqual(['hold', 'resume']);
    expect(decisions([start, ...voiced(100), ...quiet(200), ...voiced(100)])).toEqual(['hold', 'interrupt']);
  });

  it('decides two interruptions in a row separately', () => {
    const one = [
      { speechStart: { agentSpeaking: true, at: 100 } },
      ...voiced(240),
      { speechEnd: true } as const,
    ];
    expect(decisions([...one, ...quiet(400), ...one])).toEqual([
      'hold',
      'interrupt',
      'turn',
      'hold',
      'interrupt',
      'turn',
    ]);
  });

  it('interrupts a reply before its first frame: the agent counts as speaking while it answers', () => {
    // The session passes agentSpeaking = true while the reply is being produced, audio or not.
    expect(decisions([{ speechStart: { agentSpeaking: true, at: 0, heardSinceMs: 200 } }])).toEqual([
      'hold',
      'interrupt',
    ]);
  });

  it('opens no gate while the agent is silent: the utterance is simply a turn', () => {
    expect(
      decisions([{ speechStart: { agentSpeaking: false, at: 0 } }, ...voiced(600), { speechEnd: true }]),
    ).toEqual(['turn']);
  });

  it('keeps one gate per utterance: a second speech start while deciding changes nothing', () => {
    const gate = new BargeInGate(200);
    gate.speechStarted(true, { at: 10, heardSinceMs: 0 });
    expect(gate.speechStarted(true, { at: 99, heardSinceMs: 0 })).toBeUndefined();
    gate.heard(200);
    expect(gate.check()).toEqual({ kind: 'interrupt', onsetAt: 10 });
  });
});
