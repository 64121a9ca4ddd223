/**
 * The choice of straight-through estimator (`ste =` on a quantized layer or on `sign`). A
 * quantizer's rounding has a zero derivative almost everywhere, so its backward pass multiplies
 * the output gradient by the derivative of a stand-in function instead. Yin, Lyu, Zhang, Osher, Qi
 * & Xin 2019 ("Understanding straight-through estimator in training activation quantized neural
 * nets", ICLR 2019) compare three stand-ins for a binary activation: the identity, the ReLU and the
 * clipped ReLU; `clipped` is the hardtanh estimator of BNN (Courbariaux, Hubara et al. 2016).
 * With r the largest magnitude the quantizer represents, the gradient passes where
 *   identity      everywhere
 *   clipped       |x| ≤ r
 *   relu          x > 0
 *   clipped_relu  0 < x ≤ r
 * r is 1 for sign and binary weights; for the other precisions it is the largest |value| the
 * quantized tensor holds (per tensor, also for a per-channel quantizer).
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Ste } from '../../compiler/ir/ops.ts';
import { mapGrad } from '../kernels/activations.ts';
import type { Tensor } from '../tensor.ts';

/**
 * What a layer that names no estimator gets: clipped where the quantizer saturates (sign and binary
 * at ±1, i8 outside its range), the identity where nothing saturates. An int8 layer with the fixed
 * scales of an imported ONNX model passes the gradient unchanged.
 */
export function defaultSte(p: Precision): Ste {
  if (p.dtype === 'binary') return 'clipped';
  if (p.dtype === 'i8') return p.scale ? 'identity' : 'clipped';
  return 'identity';
}

const PASS: Record<Ste, (v: number, r: number) => boolean> = {
  identity: () => true,
  clipped: (v, r) => v <= r && v >= -r,
  relu: (v) => v > 0,
  clipped_relu: (v, r) => v > 0 && v <= r,
};

/** dL/dx from dL/dy through estimator `kind`, for quantizer input `x` and range `r`. */
export function steBackward(kind: Ste, x: Tensor, dy: Tensor, r: number): Tensor {
  const pass = PASS[kind];
  return mapGrad(x, dy, (v) => (pass(v, r) ? 1 : 0), `${kind} straight-through estimator`);
}

/** r for a quantized tensor y: the largest magnitude it holds. */
export function quantizedRange(y: Float32Array): number {
  let r = 0;
  for (let i = 0; i < y.length; i++) { const a = Math.abs(y[i]!); if (a > r) r = a; }
  return r;
}
