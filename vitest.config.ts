import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup-env.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep at most two test files running at once.
    maxWorkers: 2,
    // One process per test file (not threads in one process): flite keeps process-wide voice state that
    // is not thread-safe, and test files running in threads of one process would each start their own
    // flite thread (the server itself shares one per process).
    pool: 'forks',
  },
});
