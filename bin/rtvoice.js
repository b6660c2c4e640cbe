#!/usr/bin/env node
// rtvoice runs its TypeScript sources directly with Node's type stripping (Node >= 22.18; 24 LTS is bundled).
if (!process.features.typescript) {
  console.error(
    `rtvoice needs Node.js 24 (it found ${process.version}, which cannot run TypeScript).\n` +
      'Run it through npm so the bundled Node 24 is used: `npm start`, `npx rtvoice <command>`, ' +
      'or `./node_modules/.bin/node bin/rtvoice.js <command>` after `npm ci`.',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
