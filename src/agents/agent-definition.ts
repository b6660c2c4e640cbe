import { z } from 'zod';
import { FlowDefinition } from './flow/flow-definition.ts';
import { VoiceReference } from './voices.ts';

/** One agent as written in `agents/<name>.yaml`. */
export const AgentFile = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'agent names are letters, digits and _'),
  description: z.string().min(1),
  /** The agent a call starts with; exactly one agent has it. */
  entry: z.boolean().default(false),
  /** Said when the agent becomes active (Liquid template). */
  greeting: z.string().min(1).optional(),
  /** Said instead when the caller comes back to this agent. */
  return_greeting: z.string().min(1).optional(),
  voice: VoiceReference.optional(),
  model: z
    .strictObject({
      name: z.string().min(1).optional(),
      temperature: z.number().min(0).max(2).optional(),
      top_p: z.number().gt(0).max(1).optional(),
      max_tokens: z.number().int().min(1).max(32_768).optional(),
    })
    .default({}),
  /** The system prompt template (Liquid), relative to the YAML file; used by the LLM engine. */
  prompt: z.string().min(1).optional(),
  tools: z.array(z.string().min(1)).default([]),
  /** Agents this one may hand the call to. */
  handoffs: z.array(z.string().min(1)).default([]),
  /** The state machine the offline engine runs. */
  flow: FlowDefinition.optional(),
  /** How a realtime speech-to-speech service hears this agent's callers (voice_live mode). */
  realtime: z
    .strictObject({
      turn_detection: z
        .strictObject({
          /** `server_vad` (silence), `semantic_vad`, or Voice Live's `azure_semantic_vad(_multilingual)`. */
          type: z
            .enum(['server_vad', 'semantic_vad', 'azure_semantic_vad', 'azure_semantic_vad_multilingual'])
            .default('server_vad'),
          threshold: z.number().min(0).max(1).optional(),
          prefix_padding_ms: z.number().int().min(0).max(5000).optional(),
          silence_duration_ms: z.number().int().min(0).max(10_000).optional(),
          eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
        })
        .optional(),
      transcription: z
        .strictObject({
          /** The service's transcription model (`azure-speech`, `gpt-4o-mini-transcribe`, `whisper-1`, …). */
          model: z.string().min(1).optional(),
          language: z.string().min(2).max(35).optional(),
        })
        .optional(),
    })
    .default({}),
});
export type AgentFile = z.output<typeof AgentFile>;

/** A loaded agent: its file plus what was read from beside it. */
export interface AgentDefinition extends AgentFile {
  readonly file: string;
  /** The prompt template's text. */
  readonly promptTemplate: string | undefined;
  /** The JSGF text of each grammar the flow's questions name (flow engine only). */
  readonly grammars: Readonly<Record<string, string>>;
  /** The phrases in each `.txt` file the flow's questions name as `phrases` (flow engine only). */
  readonly phraseFiles: Readonly<Record<string, readonly string[]>>;
}

/** Settings that may change at runtime (`PUT /api/v1/agents/{name}`). */
export const AgentOverrides = z.strictObject({
  model: AgentFile.shape.model.unwrap().partial().optional(),
  voice: VoiceReference.optional(),
});
export type AgentOverrides = z.output<typeof AgentOverrides>;
