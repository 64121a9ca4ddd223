/**
 * bn-rows.wat on JavaScript arrays: training-mode batch norm of a dense layer's [n, c], the same
 * bits as batchnorm.ts's JS loops (which call these from WASM_ELEMENTWISE_MIN values). The operands are
 * copied into the kernels' memory once per call; the per-channel statistics stay float64 there.
 */
import { copyIn, f32At, f64At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './bn-rows.wasm.ts';
import { countCall } from './calls.ts';

interface BnRowsExports {
  moments(x: number, n: number, c: number, mu: number, ss: number): void;
  apply(x: number, y: number, n: number, c: number, scale: number, shift: number): void;
  grad_sums(x: number, dy: number, n: number, c: number, mean: number, is: number, sumDy: number, sumDyXhat: number): void;
  grad_dx(x: number, dy: number, dx: number, n: number, c: number, mean: number, is: number, coef: number, sumDy: number, sumDyXhat: number): void;
}

const ex = (): BnRowsExports => wasmExports<BnRowsExports>('bn-rows', wasmBase64);

/** Per-channel float64 statistics of a [n, c] batch: the means and the sums of squared deviations. */
export interface RowMoments { mu: Float64Array; ss: Float64Array }

/**
 * The batch's moments, then y = x·scale + shift with scale and shift from `affine` (called with the
 * moments, views valid only during the call, it fills the two float64 arrays of c it is given), into y.
 */
export function wasmBatchNormRows(x: Float32Array, n: number, c: number, y: Float32Array,
  affine: (m: RowMoments, scale: Float64Array, shift: Float64Array) => void): void {
  countCall('bn-rows');
  withScratch(() => {
    const k = ex();
    const xAt = copyIn(x), yAt = scratchAlloc(4 * x.length);
    const [mu, ss, scale, shift] = [0, 1, 2, 3].map(() => scratchAlloc(8 * c)) as [number, number, number, number];
    k.moments(xAt, n, c, mu, ss);
    affine({ mu: f64At(mu, c), ss: f64At(ss, c) }, f64At(scale, c), f64At(shift, c));
    k.apply(xAt, yAt, n, c, scale, shift);
    y.set(f32At(yAt, x.length));
  });
}

/**
 * The training-mode backward pass: dx into `dx`, and Σdy and Σdy·x̂ per channel (float64). `coef`
 * is batchnorm.ts's denseCoefficients (γ·invStd/n per channel). Undefined, with nothing written,
 * for a single channel: the caller then takes its JS loops.
 */
export function wasmBatchNormRowsBackward(x: Float32Array, dy: Float32Array, n: number, c: number, coef: Float64Array,
  mean: Float32Array, invStd: Float32Array, dx: Float32Array): { sumDy: Float64Array; sumDyXhat: Float64Array } | undefined {
  // grad_dx works in channel pairs (an odd c's last pair overlaps); with one channel there is no
  // pair, its loop bound wraps and it would write past dx's scratch. Declined here, the one place
  // that knows the kernel's layout, so no caller can reach that write.
  if (c < 2) return undefined;
  countCall('bn-rows');
  return withScratch(() => {
    const k = ex();
    const xAt = copyIn(x), dyAt = copyIn(dy), dxAt = scratchAlloc(4 * x.length);
    const [mu, is, co, sumDy, sumDyXhat] = [0, 1, 2, 3, 4].map(() => scratchAlloc(8 * c)) as [number, number, number, number, number];
    f64At(mu, c).set(mean);
    f64At(is, c).set(invStd);
    f64At(co, c).set(coef);
    k.grad_sums(xAt, dyAt, n, c, mu, is, sumDy, sumDyXhat);
    k.grad_dx(xAt, dyAt, dxAt, n, c, mu, is, co, sumDy, sumDyXhat);
    dx.set(f32At(dxAt, x.length));
    return { sumDy: f64At(sumDy, c).slice(), sumDyXhat: f64At(sumDyXhat, c).slice() };
  });
}
