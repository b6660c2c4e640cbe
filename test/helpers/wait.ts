import { setTimeout as sleep } from 'node:timers/promises';
/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (the test's assertion then says what failed). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition()) && Date.now() < deadline) await sleep(10);
}
