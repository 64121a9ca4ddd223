import { defineConfig } from 'vitest/config';
import { shared, SLOW_TESTS } from './vitest.config.ts';

/**
 * `npm run test:accuracy`: the slow tests (`*.slow.test.ts`), minutes each: training runs to the
 * accuracy goals, short training runs that must learn, and the example networks at full size.
 */
export default defineConfig({
  test: {
    ...shared,
    include: [SLOW_TESTS],
  },
});
