import { describe, expect, it } from 'vitest';
import { VoiceConfiguration, VoicesFile } from '../../../src/agents/voices.ts';

const voices = new VoiceConfiguration(
  VoicesFile.parse({
    default: 'front_desk',
    voices: {
      front_desk: {
        providers: { flite: { voice: 'slt' }, azure: { voice: 'en-US-AvaNeural', style: 'chat' } },
      },
      claims: { rate: '+10%', providers: { flite: { voice: 'rms' } } },
      spanish: {
        language: 'es-ES',
        providers: { espeak: { voice: 'es' }, azure: { voice: 'es-ES-ElviraNeural' } },
      },
    },
    languages: { 'en-US': 'front_desk', 'es-ES': 'spanish' },
  }),
);

describe('VoiceConfiguration', () => {
  it('maps an alias to each provider, with the rate', () => {
    expect(voices.resolve('front_desk', 'azure')).toEqual({
      alias: 'front_desk',
      provider: 'azure',
      voice: 'en-US-AvaNeural',
      style: 'chat',
      rate: 1,
      language: 'en-US',
    });
    expect(voices.resolve('claims', 'flite')).toMatchObject({ voice: 'rms', rate: 1.1 });
    // An alias without a voice for the provider leaves the provider's default.
    expect(voices.resolve('claims', 'azure')).toMatchObject({ voice: undefined, rate: 1.1 });
  });

  it('uses the default alias when an agent names none, and inline overrides when it has them', () => {
    expect(voices.resolve(undefined, 'flite').alias).toBe('front_desk');
    expect(voices.resolve({ alias: 'claims', rate: 0.9 }, 'flite')).toMatchObject({
      voice: 'rms',
      rate: 0.9,
    });
    expect(voices.resolve({ providers: { flite: { voice: 'awb' } } }, 'flite')).toMatchObject({
      alias: 'inline',
      voice: 'awb',
    });
  });

  it('picks a voice per language, falling back to the base language and then the default', () => {
    expect(voices.getVoiceForLanguage('es-ES', 'azure').voice).toBe('es-ES-ElviraNeural');
    expect(voices.getVoiceForLanguage('es-MX', 'espeak').voice).toBe('es');
    expect(voices.getVoiceForLanguage('fr-FR', 'flite').alias).toBe('front_desk');
  });

  it('refuses unknown aliases and inconsistent files', () => {
    expect(() => voices.resolve('pirate', 'flite')).toThrow(
      'unknown voice "pirate"; defined voices: front_desk, claims, spanish',
    );
    expect(
      () => new VoiceConfiguration(VoicesFile.parse({ default: 'x', voices: { y: { providers: {} } } })),
    ).toThrow('the default voice "x" is not among the voices defined');
    expect(
      VoicesFile.safeParse({ default: 'y', voices: { y: { rate: 'fast', providers: {} } } }).success,
    ).toBe(false);
  });
});
