import { executable } from '../../src/speech/system-dependencies.ts';

/**
 * Chromium for tests that look at a page in a real browser, found on PATH as `.ci/run` finds it
 * (`command -v chromium`). Without it the tests are skipped with a printed reason, except under CI=true,
 * where that fails.
 */
export function findChromium(): { path: string } | { skipReason: string } {
  const path = executable('chromium', 'chromium').locate();
  if (path) return { path };
  const reason = 'no chromium on PATH; install it with: apt-get install -y chromium';
  if (process.env['CI'] === 'true') throw new Error(`CI needs a browser: ${reason}`);
  console.warn(`SKIPPED: ${reason}`);
  return { skipReason: reason };
}
