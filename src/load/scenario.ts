import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { concatPcm16, type Pcm16 } from '../audio/pcm.ts';
import { createResampler } from '../audio/resampler.ts';
import { readWav } from '../audio/wav.ts';
import { RtvoiceError, errorMessage } from '../errors.ts';
import { createTts } from '../speech/providers.ts';

/** One caller turn of a scenario file. */
const ScenarioTurn = z
  .strictObject({
    /** Text the caller says, synthesised (flite's kal16 voice, unlike the agents' voices). */
    say: z.string().min(1).optional(),
    /** A WAV file the caller plays (any rate; channels are mixed to mono), relative to the scenario. */
    audio: z.string().min(1).optional(),
    /** Keypad digits. */
    dtmf: z
      .string()
      .regex(/^[0-9*#A-D]+$/, 'DTMF digits are 0-9, *, #, A-D')
      .optional(),
    /** Silence before this turn, after the agent finished its reply. */
    pause_ms: z.number().int().min(0).max(60_000).default(0),
    /** Speak this many ms into the agent's reply instead of waiting for it to end: a barge-in. */
    barge_in_ms: z.number().int().min(0).max(60_000).optional(),
  })
  .refine((t) => [t.say, t.audio, t.dtmf].filter((x) => x !== undefined).length === 1, {
    message: 'a turn has exactly one of say, audio or dtmf',
  });

export const ScenarioFile = z.strictObject({
  name: z.string().min(1).optional(),
  turns: z.array(ScenarioTurn).min(1),
});

/** A turn ready to play: audio already synthesised or decoded at 16 kHz. */
export type PreparedTurn =
  | {
      readonly kind: 'audio';
      readonly label: string;
      readonly samples: Pcm16;
      readonly pauseMs: number;
      readonly bargeInMs: number | undefined;
    }
  | {
      readonly kind: 'dtmf';
      readonly label: string;
      readonly digits: string;
      readonly pauseMs: number;
      readonly bargeInMs: number | undefined;
    };

export interface Scenario {
  readonly name: string;
  readonly turns: readonly PreparedTurn[];
}

/** The default conversation: the packaged insurance demo, with a barge-in over the long verified prompt. */
export const DEFAULT_SCENARIO: z.input<typeof ScenarioFile> = {
  name: 'insurance demo',
  turns: [
    { say: 'Bob Martinez.' },
    { say: 'nine four one zero five' },
    { say: 'I have a question about my policy.', barge_in_ms: 1200 },
    { say: 'What is my deductible?' },
    { say: 'Is roadside assistance included?' },
    { say: 'No thanks, that is all.' },
  ],
};

export class ScenarioError extends RtvoiceError {
  constructor(message: string) {
    super('SCENARIO_INVALID', message);
  }
}

/** Reads a scenario file (YAML or JSON) and prepares its audio; errors name the file and the problem. */
export async function loadScenario(path: string | undefined): Promise<Scenario> {
  if (path === undefined) return prepare(ScenarioFile.parse(DEFAULT_SCENARIO), process.cwd());
  let content: unknown;
  try {
    const { parse } = await import('yaml');
    content = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`${path}: ${errorMessage(err)}`);
  }
  const parsed = ScenarioFile.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ScenarioError(`${path}: ${issue.path.join('.') || 'scenario'}: ${issue.message}`);
  }
  return prepare(parsed.data, dirname(resolve(path)), path);
}

async function prepare(file: z.output<typeof ScenarioFile>, base: string, path?: string): Promise<Scenario> {
  const turns: PreparedTurn[] = [];
  const tts = createTts('flite', {});
  try {
    for (const [i, turn] of file.turns.entries()) {
      const timing = { pauseMs: turn.pause_ms, bargeInMs: turn.barge_in_ms };
      if (turn.dtmf !== undefined) {
        turns.push({ kind: 'dtmf', label: `dtmf ${turn.dtmf}`, digits: turn.dtmf, ...timing });
        continue;
      }
      const samples =
        turn.say !== undefined
          ? await synthesize(tts, turn.say)
          : await decode(resolve(base, turn.audio!), `${path ?? 'scenario'}: turns.${i}.audio`);
      turns.push({ kind: 'audio', label: turn.say ?? turn.audio!, samples, ...timing });
    }
  } finally {
    await tts.close();
  }
  return { name: file.name ?? path ?? 'scenario', turns };
}

async function synthesize(tts: ReturnType<typeof createTts>, text: string): Promise<Pcm16> {
  const parts: Pcm16[] = [];
  for await (const chunk of tts.synthesize({ text, voice: 'kal16', sampleRate: 16000 })) parts.push(chunk);
  return concatPcm16(parts);
}

async function decode(path: string, where: string): Promise<Pcm16> {
  try {
    const wav = readWav(await readFile(path));
    if (wav.sampleRate === 16000) return wav.samples;
    const resampler = await createResampler(wav.sampleRate, 16000);
    return concatPcm16([resampler.process(wav.samples), resampler.flush()]);
  } catch (err) {
    throw new ScenarioError(`${where}: ${path}: ${errorMessage(err)}`);
  }
}
