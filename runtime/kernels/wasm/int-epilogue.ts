/**
 * The lowered integer layers' epilogue (int-epilogue.wat) on sums already in the kernels' memory:
 * bias with int32 saturation, alone or with the scaling to real values, one pass in place where
 * the GEMM left the sums. The per-column constants (int32 bias, float64 column scales) are the
 * layer's, resident for its life (EpilogueColumns), so a batch copies none of them in.
 */
import { expect } from '../check.ts';
import { countCall } from './calls.ts';
import { wasmExports } from './instance.ts';
import { ResidentArrays } from './resident.ts';
import { wasmBase64 } from './int-epilogue.wasm.ts';

/** A layer's bias (n int32) and, for scaleAt, its column scales (n float64), resident. */
export type EpilogueColumns = ResidentArrays<'bias' | 'col'>;

export const epilogueColumns = (bias: Int32Array, col: Float64Array): EpilogueColumns => new ResidentArrays({ bias, col });

interface EpilogueExports {
  add_bias(rows: number, n: number, c: number, bias: number): number;
  scale(rows: number, n: number, c: number, bias: number, s: number, col: number, y: number): number;
}

const kernel = (): EpilogueExports => wasmExports<EpilogueExports>('int-epilogue', wasmBase64);

/** c[i·n + j] = sat_int32(c[i·n + j] + bias[j]) at byte address cAt; returns how many sums end at int32's bounds. */
export function addBiasAt(rows: number, n: number, cAt: number, c: EpilogueColumns): number {
  expect('int epilogue', c.length('bias') === n, `the layer's bias holds ${c.length('bias')} columns, the sums ${n}`);
  countCall('int-epilogue');
  return kernel().add_bias(rows, n, cAt, c.at('bias'));
}

/**
 * y[i·n + j] = float32((a·s)·col[j]), a = sat_int32(c[i·n + j] + bias[j]), the int32 sums at cAt,
 * the floats at yAt (may be cAt); returns how many biased sums end at int32's bounds.
 */
export function scaleAt(rows: number, n: number, cAt: number, c: EpilogueColumns, s: number, yAt: number): number {
  expect('int epilogue', c.length('bias') === n && c.length('col') === n, `the layer's constants hold ${c.length('bias')} / ${c.length('col')} columns, the sums ${n}`);
  countCall('int-epilogue');
  return kernel().scale(rows, n, cAt, c.at('bias'), s, c.at('col'), yAt);
}
