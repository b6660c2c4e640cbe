// npm run bench:dialog — how well the offline demo agent (AGENT_ENGINE=flow) understands callers, measured
// from the caller's side over ACS media streaming. Each call is a reactive scripted caller (one of the three
// demo policy holders with a goal: file a claim, ask a policy question, or ask for a person) who listens to
// what the agent says (its words from the session's relay, its audio on the line) and answers the step it is
// at, in voices the agents do not use, on a noisy line, with pauses, off-script questions, corrections,
// barge-ins and keypad input mixed in. It reports task success, slot accuracy, wrong commits, cut-offs,
// voice-to-voice and the rejection of off-script lines, and writes every call's details to a JSON file.
// DIALOG_CALLS (60; 6 for a quick pass), DIALOG_CONCURRENCY (2), DIALOG_SEED (1), DIALOG_JSON (a path),
// DIALOG_ONLY (call numbers, "4,9": only those of the DIALOG_CALLS planned), DIALOG_SERVER_LOG (a path for
// the server's log).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../src/errors.ts';
import { converse } from './lib/dialog/conversation.ts';
import { judge, timings } from './lib/dialog/judge.ts';
import { slotRight } from './lib/dialog/meaning.ts';
import { planCalls, type CallPlan } from './lib/dialog/plan.ts';
import { seededRng } from './lib/dialog/rng.ts';
import { callReport, figures, printFindings, printFigures, type CallOutcome } from './lib/dialog/summary.ts';
import { CallerSpeech, voiceLabel } from './lib/dialog/voice.ts';
import { histogramQuantile, ready, serve } from './lib/serve.ts';
import { fmt, machine } from './lib/stats.ts';

const CALLS = Number(process.env.DIALOG_CALLS ?? 60);
const CONCURRENCY = Number(process.env.DIALOG_CONCURRENCY ?? 2);
const SEED = Number(process.env.DIALOG_SEED ?? 1);
const JSON_PATH =
  process.env.DIALOG_JSON ??
  join(tmpdir(), `rtvoice-dialog-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
/** Calls start this far apart, so their greetings and turns do not all line up. */
const STAGGER_MS = 1500;
/** A call still running after this is hung up (the caller gives up sooner on its own: 180 s). */
const CALL_LIMIT_MS = 240_000;

/** The code measured: the commit, and how many files the agent's behaviour depends on differ from it. */
function codeVersion(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'src', 'agents').split('\n').filter(Boolean).length;
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? ` + ${changed} changed files in src/ and agents/` : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

const CODE = codeVersion();
const rng = seededRng(SEED);
const ONLY = process.env.DIALOG_ONLY?.split(',').map(Number);
const plans = planCalls(CALLS, rng, new Date()).filter((plan) => !ONLY || ONLY.includes(plan.index));
const speech = new CallerSpeech();
const warm = String(Math.max(2, CONCURRENCY * 2));
const server = await serve(
  { AGENT_ENGINE: 'flow', STT_POOL_WARM: warm, TTS_POOL_WARM: warm },
  process.env.DIALOG_SERVER_LOG,
);
const serverExit = new Promise<never>((_, reject) =>
  server.child.once('exit', (code, signal) =>
    reject(new Error(`rtvoice serve died during the run (code ${code}, signal ${signal})`)),
  ),
);
serverExit.catch(() => {});

async function run(plan: CallPlan): Promise<CallOutcome> {
  try {
    const call = await converse(plan, rng.fork(`talk:${plan.index}`), {
      url: server.url,
      speech,
      signal: AbortSignal.timeout(CALL_LIMIT_MS),
      slotRight: (slot, value, meaning) => slotRight(slot, value, meaning, plan.persona.policy),
    });
    return { plan, call, verdict: judge(plan, call), timings: timings(call) };
  } catch (err) {
    const error = errorMessage(err);
    const verdict = {
      success: false,
      failures: [`bench error: ${error}`],
      wrongCommits: [],
      verified: false,
      verifiedMisheard: false,
      escalated: false,
      escalatedUnasked: false,
      claimsFiled: 0,
    };
    return { plan, error, verdict, timings: [] };
  }
}

const outcomes: CallOutcome[] = [];
const startedAt = performance.now();
try {
  await Promise.race([ready(server.url, 120_000), serverExit]);
  process.stdout.write(
    `rtvoice dialog bench: ${machine()}; code ${CODE}; ${plans.length} calls, ${CONCURRENCY} at a time, seed ${SEED}\n`,
  );
  let next = 0;
  const worker = async (slot: number) => {
    await sleep(slot * STAGGER_MS);
    for (let i = next++; i < plans.length; i = next++) {
      const outcome = await Promise.race([run(plans[i]!), serverExit]);
      outcomes.push(outcome);
      progress(outcome);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, slot) => worker(slot)));
  const lagP99 = await histogramQuantile(server.url, 'rtvoice_event_loop_lag_seconds', 0.99);
  outcomes.sort((a, b) => a.plan.index - b.plan.index);
  const f = figures(outcomes);
  const minutes = (performance.now() - startedAt) / 60_000;
  printFigures(f, [
    {
      metric: 'server event-loop lag p99 (histogram bound)',
      value: `≤ ${fmt(lagP99 * 1000, 0)} ms`,
      target: '≤ 20',
    },
    { metric: 'wall time', value: `${fmt(minutes, 1)} min` },
  ]);
  printFindings(outcomes);
  writeFileSync(
    JSON_PATH,
    JSON.stringify(
      {
        machine: machine(),
        code: CODE,
        seed: SEED,
        concurrency: CONCURRENCY,
        figures: f,
        lag_p99_ms: lagP99 * 1000,
        calls: outcomes.map(callReport),
      },
      null,
      1,
    ),
  );
  process.stdout.write(`\nEvery call's details: ${JSON_PATH}\n`);
} finally {
  server.child.kill('SIGTERM');
  await speech.close();
}

function progress(o: CallOutcome): void {
  const { plan, verdict } = o;
  const goal = plan.goal.kind.padEnd(6);
  const seconds = o.call ? `${Math.round(o.call.record.durationMs / 1000)} s` : '';
  const result = verdict.success ? 'ok' : `FAILED (${verdict.failures.join('; ')})`;
  const done = outcomes.filter((x) => x.verdict.success).length;
  process.stderr.write(
    `[${String(outcomes.length).padStart(3)}/${plans.length}] #${String(plan.index).padStart(3, '0')} ${goal} ${plan.persona.name.padEnd(12)} ${voiceLabel(plan.voice).padEnd(32)} ${result} ${seconds} — ${done} ok so far\n`,
  );
}
