import { describe, expect, it } from 'vitest';
import {
  aptInstallCommand,
  describeMissing,
  executable,
  missingDependencies,
  sharedLibrary,
} from '../../../src/speech/system-dependencies.ts';

describe('system dependencies', () => {
  it('finds the installed speech libraries', () => {
    expect(missingDependencies(['pocketsphinx', 'flite', 'espeak', 'azure'])).toEqual([]);
    expect(sharedLibrary('libflite.so.1', 'libflite1').locate()).toMatch(/libflite\.so\.1$/);
  });

  it('names what is missing and the one command that installs it', () => {
    const missing = [
      sharedLibrary('libnothere.so.9', 'libnothere9'),
      executable('no-such-tool', 'tools-pkg'),
      sharedLibrary('libnothere2.so', 'libnothere9'),
    ];
    expect(missing.every((dependency) => dependency.locate() === undefined)).toBe(true);
    expect(aptInstallCommand(missing)).toMatch(
      /apt-get update && (sudo )?apt-get install -y libnothere9 tools-pkg$/,
    );
    expect(describeMissing(missing)).toMatch(
      /^missing shared library libnothere\.so\.9, program no-such-tool, shared library libnothere2\.so; install with: /,
    );
  });
});
