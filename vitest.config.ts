import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** Run by `npm run test:accuracy` (vitest.accuracy.config.ts), not by `npm test`. */
export const SLOW_TESTS = 'test/**/*.slow.test.ts';

/** What both test commands share. */
export const shared = {
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 60_000,
  // vitest's default is one worker fewer than the cores (one worker on a 2-core machine), keeping
  // a core for its own process; but that process mostly waits while the workers compute, so
  // every core runs a test file. Forks (the default pool), not threads: several tests time
  // CPU-bound work and spawn processes, and a crash in one file must not take the others down.
  maxWorkers: availableParallelism(),
};

/** `npm test`: every test but the slow ones. */
export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    exclude: [SLOW_TESTS, '**/node_modules/**'],
  },
});
