import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedConversation, sessionUpdate } from '../../../../src/media/voice-live/session-config.ts';
import { createTestOrchestrator, newMemo, PACKAGED_AGENTS_DIR } from '../../../helpers/agents.ts';

/** The packaged agents, with `yaml` appended to the entry agent's file. */
function agentsWith(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rtvoice-agents-'));
  cpSync(PACKAGED_AGENTS_DIR, dir, { recursive: true });
  const auth = join(dir, 'auth.yaml');
  writeFileSync(auth, `${readFileSync(auth, 'utf8')}\n${yaml}\n`);
  return dir;
}

describe("a realtime service's session configuration", () => {
  it('gives server VAD with 500 ms of silence and the dialect’s transcription by default', async () => {
    const orchestrator = await createTestOrchestrator({ engine: 'flow' });
    const memo = await newMemo();
    expect(sessionUpdate(orchestrator, memo, 'ga')['session']).toMatchObject({
      audio: {
        input: {
          turn_detection: {
            type: 'server_vad',
            silence_duration_ms: 500,
            create_response: true,
            interrupt_response: true,
          },
          transcription: { model: 'gpt-4o-mini-transcribe' },
        },
      },
    });
    expect(sessionUpdate(orchestrator, memo, 'preview')['session']).toMatchObject({
      turn_detection: { type: 'server_vad', silence_duration_ms: 500 },
      input_audio_transcription: { model: 'azure-speech' },
    });
  });

  it("takes the agent's realtime settings: semantic turn detection, transcription model and language", async () => {
    const dir = agentsWith(
      [
        'realtime:',
        '  turn_detection: { type: azure_semantic_vad, threshold: 0.3, silence_duration_ms: 300 }',
        '  transcription: { model: azure-speech, language: en-US }',
      ].join('\n'),
    );
    const orchestrator = await createTestOrchestrator({ engine: 'flow', dir });
    const session = sessionUpdate(orchestrator, await newMemo(), 'preview')['session'];
    expect(session).toMatchObject({
      turn_detection: {
        type: 'azure_semantic_vad',
        threshold: 0.3,
        silence_duration_ms: 300,
        create_response: true,
        interrupt_response: true,
      },
      input_audio_transcription: { model: 'azure-speech', language: 'en-US' },
    });
    const semantic = await createTestOrchestrator({
      engine: 'flow',
      dir: agentsWith('realtime:\n  turn_detection: { type: semantic_vad, eagerness: high }'),
    });
    const ga = sessionUpdate(semantic, await newMemo(), 'ga')['session'] as {
      audio: { input: { turn_detection: Record<string, unknown> } };
    };
    // No silence setting for a semantic detector: it decides the end of a turn by meaning.
    expect(ga.audio.input.turn_detection).toEqual({
      type: 'semantic_vad',
      eagerness: 'high',
      create_response: true,
      interrupt_response: true,
    });
  });

  it('refuses unknown realtime settings at load, with the file and line', async () => {
    const dir = agentsWith('realtime:\n  turn_detection: { type: whisper_vad }');
    await expect(createTestOrchestrator({ engine: 'flow', dir })).rejects.toThrow(/auth\.yaml:\d+/);
  });

  it('seeds a new session with the spoken conversation, in the dialect’s content types', () => {
    const history = [
      { role: 'system' as const, content: 'Context note.' },
      { role: 'user' as const, content: 'my name is alice' },
      { role: 'assistant' as const, content: '' },
      { role: 'tool' as const, content: '{"ok":true}' },
      { role: 'assistant' as const, content: 'Thanks, Alice.' },
    ];
    const items = (dialect: 'ga' | 'preview') => seedConversation(history, dialect).map((e) => e['item']);
    expect(items('ga')).toEqual([
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Context note.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'my name is alice' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Thanks, Alice.' }] },
    ]);
    expect(items('preview')[2]).toEqual({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Thanks, Alice.' }],
    });
    const long = Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `line ${i}` }));
    const seeded = seedConversation(long, 'ga');
    expect(seeded).toHaveLength(60);
    expect(seeded.at(-1)?.['item']).toMatchObject({ content: [{ text: 'line 99' }] });
  });
});
