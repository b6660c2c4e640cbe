import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RtvoiceError } from '../errors.ts';

/** Something a local speech provider needs from the operating system, and the Debian package that brings it. */
export interface SystemDependency {
  readonly description: string;
  readonly debianPackage: string;
  /** Where it is on this machine, or undefined when missing. */
  locate(): string | undefined;
}

const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

function libraryDirs(): string[] {
  const triplet = MULTIARCH[process.arch];
  const dirs = ['/usr/lib', '/usr/local/lib', '/lib'];
  return triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`, ...dirs] : dirs;
}

function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((path) => existsSync(path));
}

export function sharedLibrary(soname: string, debianPackage: string): SystemDependency {
  return {
    description: `shared library ${soname}`,
    debianPackage,
    locate: () => firstExisting(libraryDirs().map((dir) => join(dir, soname))),
  };
}

export function dataPath(path: string, description: string, debianPackage: string): SystemDependency {
  return { description, debianPackage, locate: () => firstExisting([path]) };
}

export function executable(name: string, debianPackage: string): SystemDependency {
  return {
    description: `program ${name}`,
    debianPackage,
    locate: () => firstExisting((process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, name))),
  };
}

export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** What each local provider needs; cloud providers need nothing from the machine. */
export const PROVIDER_DEPENDENCIES: Readonly<Record<string, readonly SystemDependency[]>> = {
  pocketsphinx: [
    sharedLibrary('libpocketsphinx.so.3', 'libpocketsphinx3'),
    dataPath(`${POCKETSPHINX_MODEL_DIR}/en-us`, 'US English acoustic model', 'pocketsphinx-en-us'),
  ],
  flite: [
    sharedLibrary('libflite.so.1', 'libflite1'),
    sharedLibrary('libflite_cmu_us_slt.so.1', 'libflite1'),
  ],
  espeak: [executable('espeak-ng', 'espeak-ng')],
  azure: [],
};

export function missingDependencies(providers: readonly string[]): SystemDependency[] {
  const needed = providers.flatMap((provider) => PROVIDER_DEPENDENCIES[provider] ?? []);
  return needed.filter((dependency) => dependency.locate() === undefined);
}

/** The one command that installs what is missing. */
export function aptInstallCommand(missing: readonly SystemDependency[]): string {
  const packages = [...new Set(missing.map((dependency) => dependency.debianPackage))];
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

/** What is missing for these providers, said as one sentence with the command that fixes it. */
export function describeMissing(missing: readonly SystemDependency[]): string {
  return `missing ${missing.map((dependency) => dependency.description).join(', ')}; install with: ${aptInstallCommand(missing)}`;
}

/** Throws SPEECH_DEPENDENCY_MISSING, naming the packages to install, unless the provider's libraries are here. */
export function requireDependencies(provider: string): void {
  const missing = missingDependencies([provider]);
  if (missing.length > 0)
    throw new RtvoiceError('SPEECH_DEPENDENCY_MISSING', `${provider}: ${describeMissing(missing)}`);
}
