import { z } from 'zod';
import { RtvoiceError } from '../errors.ts';

/** How one TTS provider renders a logical voice. */
const ProviderVoice = z.strictObject({
  voice: z.string().min(1),
  /** Azure speaking style (e.g. chat, empathetic); local voices ignore it. */
  style: z.string().min(1).optional(),
});

/** A speaking rate: 1.1, or Azure's "+10%" / "-5%". */
const Rate = z.union([
  z.number().min(0.5).max(2),
  z
    .string()
    .regex(/^[+-]?\d{1,2}%$/, 'a rate is a number from 0.5 to 2 or a percentage like "+10%"')
    .transform((value) => 1 + Number(value.slice(0, -1)) / 100),
]);

/** A logical voice: what an agent asks for, mapped to each provider's own voice. */
export const VoiceDefinition = z.strictObject({
  description: z.string().optional(),
  /** BCP-47 language the voice speaks, e.g. en-US. */
  language: z.string().min(2).default('en-US'),
  rate: Rate.default(1),
  providers: z.record(z.string(), ProviderVoice),
});
export type VoiceDefinition = z.output<typeof VoiceDefinition>;

export const VoicesFile = z.strictObject({
  default: z.string().min(1),
  voices: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'voice aliases are snake_case'), VoiceDefinition),
  /** Language → alias, for getVoiceForLanguage. */
  languages: z.record(z.string(), z.string()).default({}),
});
export type VoicesFile = z.output<typeof VoicesFile>;

/** What an agent's `voice:` says: an alias, or an inline definition with optional overrides. */
export const VoiceReference = z.union([
  z.string().min(1),
  z.strictObject({
    alias: z.string().min(1).optional(),
    rate: Rate.optional(),
    providers: z.record(z.string(), ProviderVoice).optional(),
  }),
]);
export type VoiceReference = z.output<typeof VoiceReference>;

/** A voice resolved for one provider: what the TTS request gets. */
export interface VoiceSelection {
  readonly alias: string;
  readonly provider: string;
  /** The provider's voice name; undefined means the provider's default. */
  readonly voice: string | undefined;
  readonly style: string | undefined;
  readonly rate: number;
  readonly language: string;
}

export class VoiceConfigError extends RtvoiceError {
  constructor(message: string) {
    super('VOICE_CONFIG_INVALID', message);
  }
}

/**
 * The seed's VoiceConfiguration: logical voices (aliases such as `support_contact_center`) that agents
 * name, each mapped to a voice of every TTS provider, so the same agents speak with flite offline and with
 * Azure neural voices in the cloud.
 */
export class VoiceConfiguration {
  private readonly file: VoicesFile;

  constructor(file: VoicesFile) {
    if (!file.voices[file.default]) {
      throw new VoiceConfigError(`the default voice "${file.default}" is not among the voices defined`);
    }
    for (const [language, alias] of Object.entries(file.languages)) {
      if (!file.voices[alias]) {
        throw new VoiceConfigError(`language ${language} names voice "${alias}", which is not defined`);
      }
    }
    this.file = file;
  }

  get aliases(): readonly string[] {
    return Object.keys(this.file.voices);
  }

  get defaultAlias(): string {
    return this.file.default;
  }

  definition(alias: string): VoiceDefinition | undefined {
    return this.file.voices[alias];
  }

  /** Throws with the known aliases when a reference names none of them. */
  check(reference: VoiceReference): void {
    const alias = typeof reference === 'string' ? reference : reference.alias;
    if (alias !== undefined && !this.file.voices[alias]) {
      throw new VoiceConfigError(`unknown voice "${alias}"; defined voices: ${this.aliases.join(', ')}`);
    }
  }

  /** Resolves an agent's voice for a TTS provider; an alias missing that provider gets its default voice. */
  resolve(reference: VoiceReference | undefined, provider: string): VoiceSelection {
    this.check(reference ?? this.file.default);
    const inline = typeof reference === 'object' ? reference : undefined;
    const alias = (typeof reference === 'string' ? reference : inline?.alias) ?? this.file.default;
    const base = this.file.voices[alias]!;
    const mapped = inline?.providers?.[provider] ?? base.providers[provider];
    return {
      alias: inline && !inline.alias ? 'inline' : alias,
      provider,
      voice: mapped?.voice,
      style: mapped?.style,
      rate: inline?.rate ?? base.rate,
      language: base.language,
    };
  }

  /** The voice for a language (`es-ES`), falling back to its base language (`es`), then the default. */
  getVoiceForLanguage(language: string, provider: string): VoiceSelection {
    const languages = this.file.languages;
    const base = language.split('-')[0]!;
    const match =
      languages[language] ??
      languages[base] ??
      Object.entries(languages).find(([key]) => key.split('-')[0] === base)?.[1];
    return this.resolve(match ?? this.file.default, provider);
  }
}
