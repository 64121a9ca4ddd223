/**
 * The int8 kernel under V8's two compilers, in child processes: the shipped module (gemm-i8.wat's
 * two-instruction dot product) gives exact sums when every function runs in Liftoff, V8's baseline
 * compiler, as in TurboFan; so it is compiled like every other module, and using it leaves the
 * process's own tier flags (a user's --no-liftoff) as they were.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { relaxedSimdAvailable } from '../../../runtime/kernels/wasm/instance.ts';

// Node 20's V8 (11.3) has relaxed SIMD behind this flag; later ones ship it.
const relaxedFlag = process.versions.node.startsWith('20.') ? ['--experimental-wasm-relaxed-simd'] : [];
const node = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8', cwd: new URL('../../..', import.meta.url) });

describe.runIf(relaxedSimdAvailable())('int8 kernel and V8\'s tiers', () => {
  it('gives exact sums in Liftoff alone and in TurboFan alone (scripts/i8-dot-tiers.mjs)', () => {
    for (const tier of [['--liftoff', '--no-wasm-tier-up'], ['--no-liftoff']]) {
      const out = node([...relaxedFlag, ...tier, 'scripts/i8-dot-tiers.mjs']);
      const shipped = out.split('\n').find((l) => l.startsWith('shipped'))!;
      expect(shipped.match(/: \d+ of/g)).toEqual(Array(5).fill(': 0 of'));
    }
  });

  it('leaves a user\'s --no-liftoff in force after the kernel compiles, and Liftoff on where it was', () => {
    for (const [flag, liftoff] of [['--no-liftoff', false], ['--liftoff', true]] as const) {
      const out = node(['--allow-natives-syntax', flag, '--import', 'tsx', 'test/runtime/kernels/helpers/liftoff-after-int8.mjs']);
      expect(JSON.parse(out)).toEqual({ ran: true, before: liftoff, after: liftoff });
    }
  });
});
