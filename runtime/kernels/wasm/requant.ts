/**
 * gemmlowp's fixed-point requantization of int32 accumulators to int8 (requant.wat), for the
 * lowered int8 layers' outputs, on sums already in the kernels' memory: the JavaScript reference
 * (fixed-multiplier.ts) needs two exact double steps for each 62-bit product, WebAssembly has a
 * 64-bit multiply, four lanes at a time.
 */
import { expect } from '../check.ts';
import { countCall } from './calls.ts';
import { wasmExports } from './instance.ts';
import { ResidentArrays } from './resident.ts';
import { wasmBase64 } from './requant.wasm.ts';

interface RequantExports {
  requant(rows: number, n: number, c: number, bias: number, m0: number, pl: number, pr: number, shl: number, s: number, y: number): number;
}

/**
 * Per-column multipliers m0·2^(left − right − 31): m0, the powers 2^left and 2^−right, and whether
 * any column shifts left (most do not, and the kernel then skips that step).
 */
export interface ColumnMultipliers { m0: Int32Array; leftPow: Float64Array; rightPow: Float64Array; shiftsLeft: boolean }

export function columnMultipliers(fs: readonly { m0: number; left: number; right: number }[]): ColumnMultipliers {
  return {
    m0: Int32Array.from(fs, (f) => f.m0), leftPow: Float64Array.from(fs, (f) => 2 ** f.left), rightPow: Float64Array.from(fs, (f) => 2 ** -f.right),
    shiftsLeft: fs.some((f) => f.left > 0),
  };
}

/**
 * A layer's bias and column multipliers, resident for its life (made once at its first batch,
 * freed by its dispose()), so a batch copies none of them in.
 */
export class RequantColumns {
  readonly arrays: ResidentArrays<'bias' | 'm0' | 'leftPow' | 'rightPow'>;
  readonly shiftsLeft: boolean;

  constructor(bias: Int32Array, f: ColumnMultipliers) {
    expect('requant', f.m0.length === bias.length, `${f.m0.length} multipliers for ${bias.length} columns`);
    this.arrays = new ResidentArrays({ bias, m0: f.m0, leftPow: f.leftPow, rightPow: f.rightPow });
    this.shiftsLeft = f.shiftsLeft;
  }

  get n(): number { return this.arrays.length('bias'); }

  free(): void { this.arrays.free(); }
}

/**
 * y[i·n + j] = float32(q·s) with q the int8-saturated a·M(j), a = sat_int32(acc[i·n + j] + bias[j]),
 * for `rows` rows of n int32 sums at cAt; y at yAt, which may be cAt. Returns how many biased
 * sums ended at int32's bounds plus how many codes saturated.
 */
export function wasmRequantInt8At(rows: number, cAt: number, c: RequantColumns, s: number, yAt: number): number {
  const a = c.arrays;
  countCall('requant');
  return wasmExports<RequantExports>('requant', wasmBase64).requant(rows, c.n, cAt, a.at('bias'), a.at('m0'), a.at('leftPow'), a.at('rightPow'), c.shiftsLeft ? 1 : 0, s, yAt);
}
