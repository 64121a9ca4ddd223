/**
 * bench/timing.ts's helpers: onBackend gives back the kernel backend its caller had, whether the
 * timed function returns or throws (a throw that left the other backend on would time every later
 * row of a bench, or every later test in the file, on the wrong kernels); median is the upper
 * middle for an even count, as every bench that imports it reports it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { median, onBackend } from '../../bench/timing.ts';
import { kernelBackend, setKernelBackend } from '../../runtime/kernels/wasm/instance.ts';

afterEach(() => setKernelBackend(undefined));

describe('onBackend', () => {
  for (const [outer, inner] of [['js', 'wasm'], ['wasm', 'js']] as const) {
    it(`restores ${outer} after running on ${inner}, when the function returns and when it throws`, () => {
      setKernelBackend(outer);
      const seen: string[] = [];
      onBackend(inner, () => { seen.push(kernelBackend()); })();
      expect(kernelBackend()).toBe(outer);

      const boom = onBackend(inner, () => {
        seen.push(kernelBackend());
        throw new Error('kernel failed');
      });
      expect(boom).toThrow('kernel failed');
      expect(kernelBackend()).toBe(outer);
      // The function did run on the other backend, so the restoring is what the checks above saw.
      expect(seen).toEqual([inner, inner]);
    });
  }
});

describe('median', () => {
  it('takes the middle of an odd count and the upper middle of an even one, without reordering its input', () => {
    const xs = [5, 1, 4];
    expect(median(xs)).toBe(4);
    expect(xs).toEqual([5, 1, 4]);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([7])).toBe(7);
  });
});
