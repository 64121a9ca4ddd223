import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ascendingOrder } from '../../../../targets/neuromorphic/partition/ascending-order.ts';

describe('ascendingOrder', () => {
  it('orders by value, ties by index, as a comparator sort does', () => {
    // Few distinct values (ties), both zeros and infinities, and lengths around powers of two.
    const value = fc.constantFrom(-Infinity, -1.5, -0, 0, 1e-300, 2, 2, Infinity);
    fc.assert(
      fc.property(fc.array(value, { maxLength: 70 }), (xs) => {
        const x = Float64Array.from(xs);
        // The order a comparator sort gives.
        const want = Array.from(xs, (_, i) => i).sort((a, b) => x[a]! - x[b]! || a - b);
        expect(Array.from(ascendingOrder(x))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
