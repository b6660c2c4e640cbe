import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** rtvoice's own version, from package.json. */
export const VERSION: string = packageJson.version;
