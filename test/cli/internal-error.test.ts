/** Exit code 70: a bug in Kiln is reported as such, in a few lines, never as a bare stack trace. */
import { describe, it, expect, vi } from 'vitest';
import { PassFailure } from '../../compiler/passes/pass.ts';

const failure = vi.hoisted(() => ({ error: undefined as unknown }));

vi.mock('../../compiler/driver.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../compiler/driver.ts')>();
  return {
    ...real,
    compile: () => {
      throw failure.error;
    },
  };
});

const { runMain } = await import('../helpers/cli.ts');

describe('kiln: internal errors exit 70', () => {
  it('reports a thrown Error as a Kiln bug with where it happened', () => {
    failure.error = new TypeError("Cannot read properties of undefined (reading 'shape')");
    const r = runMain(['compile', 'examples/lenet5.kiln']);
    expect(r.code).toBe(70);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe("kiln: internal error: Cannot read properties of undefined (reading 'shape')");
    expect(lines[1]).toContain('This is a bug in Kiln, not in your input.');
    // The top frames are folded into one line for the report, not printed as a trace.
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/this line: at .*internal-error\.test\.ts/);
  });

  it('names the pass whose output failed verification', () => {
    failure.error = new PassFailure('infer-shapes', ['node y has no type (did infer-shapes run?)']);
    const r = runMain(['compile', 'examples/lenet5.kiln', '--verify-each']);
    expect(r.code).toBe(70);
    expect(r.err.split('\n')[0]).toBe('kiln: internal error (in pass infer-shapes): internal error: the IR is invalid after pass infer-shapes: node y has no type (did infer-shapes run?)');
  });

  it('reports something thrown that is not an Error', () => {
    failure.error = 'a string';
    const r = runMain(['compile', 'examples/lenet5.kiln']);
    expect(r.code).toBe(70);
    expect(r.err.split('\n')[0]).toBe('kiln: internal error: a string');
  });
});
