import type { Orchestrator } from '../../agents/orchestrator.ts';
import { renderTemplate } from '../../agents/templates.ts';
import type { VoiceLiveConfig } from '../../config/config.ts';
import type { MemoManager } from '../../state/memo-manager.ts';
import type { ChatMessage } from '../../state/session.ts';

/** The realtime protocols' PCM rate. */
export const SERVICE_RATE = 24000;

/** A client event for the service. */
export type ServiceClientEvent = Record<string, unknown> & { type: string };

/**
 * The `session.update` that configures a realtime service for the call's active agent: its prompt as
 * instructions, its Azure voice, its tools (flat definitions), server VAD and input transcription, in the
 * service's dialect (GA's nested `audio`, or the preview's flat settings that Voice Live takes).
 */
export function sessionUpdate(
  orchestrator: Orchestrator,
  memo: MemoManager,
  dialect: VoiceLiveConfig['dialect'],
): ServiceClientEvent {
  const agent = orchestrator.activeAgent(memo);
  const instructions = agent.promptTemplate
    ? renderTemplate(agent.promptTemplate, memo.context())
    : (agent.description ?? '');
  const voice = orchestrator.voiceOf(agent, 'azure').voice;
  const tools = orchestrator.realtimeTools(agent);
  const toolSettings = tools.length > 0 ? { tools, tool_choice: 'auto' } : {};
  const { turn_detection: detection, transcription } = agent.realtime;
  // The service answers and is interrupted on its own turn detection: rtvoice relays, it does not commit.
  const turnDetection = {
    ...(detection?.type === undefined || detection.type === 'server_vad' ? { silence_duration_ms: 500 } : {}),
    type: 'server_vad',
    ...detection,
    create_response: true,
    interrupt_response: true,
  };
  const transcriptionOf = (model: string) => ({
    model: transcription?.model ?? model,
    ...(transcription?.language ? { language: transcription.language } : {}),
  });
  if (dialect === 'preview') {
    return {
      type: 'session.update',
      session: {
        instructions,
        modalities: ['audio', 'text'],
        input_audio_format: 'pcm16',
        output_audio_format: 'pcm16',
        turn_detection: turnDetection,
        input_audio_transcription: transcriptionOf('azure-speech'),
        ...(voice ? { voice: { type: 'azure-standard', name: voice } } : {}),
        ...toolSettings,
      },
    };
  }
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions,
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: SERVICE_RATE },
          turn_detection: turnDetection,
          transcription: transcriptionOf('gpt-4o-mini-transcribe'),
        },
        output: { format: { type: 'audio/pcm', rate: SERVICE_RATE } },
      },
      ...toolSettings,
    },
  };
}

/** The most recent messages a rolled-over session is seeded with. */
const SEED_MESSAGES = 60;

/**
 * The conversation so far as `conversation.item.create` events for a new session (a rollover): the
 * caller's and the agent's words (and any system notes) as text items, in the dialect's content types.
 */
export function seedConversation(
  history: readonly Pick<ChatMessage, 'role' | 'content'>[],
  dialect: VoiceLiveConfig['dialect'],
): ServiceClientEvent[] {
  const said = history.filter((m) => m.role !== 'tool' && m.content.trim() !== '');
  const assistantText = dialect === 'ga' ? 'output_text' : 'text';
  return said.slice(-SEED_MESSAGES).map((message) => ({
    type: 'conversation.item.create',
    item: {
      type: 'message',
      role: message.role,
      content: [{ type: message.role === 'assistant' ? assistantText : 'input_text', text: message.content }],
    },
  }));
}
