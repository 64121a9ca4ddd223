/**
 * Post-training binarization of a layer that batch norm follows. Kiln's binary weights are sign(w),
 * unscaled, but the f32 run's batch norm learned its statistics on w·x, about 1/mean|w| times
 * smaller: applied to sign(w)·x they would shift each channel by almost nothing. Binary networks
 * scale each output channel by α = mean|w| of its row (Rastegari et al. 2016); a batch norm is a
 * per-channel affine map, so it carries that scale exactly: BN(α·sign(w)·x) with statistics (μ, σ²)
 * is BN(sign(w)·x) with (μ/α, σ²/α²). The batch norm's parameters stay real; only its statistics
 * move, and only for a network quantized from f32 (a network trained binary learned them on sign(w)).
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { PrecisionMap } from '../../runtime/quantize/layer-precision.ts';
import type { Weights } from '../../runtime/interpreter/types.ts';
import type { Tensor } from '../../runtime/tensor.ts';
import { precisionMap, type Variant } from './variants.ts';

/** The batch norms that carry a binary layer's scale (a cache key names them: they change the result). */
export const scaledBatchnorms = (m: Module, precisions: PrecisionMap): string[] =>
  Object.values(m.nodes).filter((n) => n.op === 'batchnorm' && precisions[n.inputs[0]!]?.weights?.dtype === 'binary').map((n) => n.id);

/** A cache key's part naming them, empty where none does (so other networks' entries stay valid). */
export function scaledBnKey(s: { module: Module; ptq: boolean }, v: Variant): { scaledBn?: string[] } {
  const ids = s.ptq ? scaledBatchnorms(s.module, precisionMap(s.module, v)) : [];
  return ids.length ? { scaledBn: ids } : {};
}

export function scaleBinaryIntoBatchnorm(m: Module, weights: Weights, precisions: PrecisionMap): Weights {
  const out: Weights = { ...weights };
  for (const id of scaledBatchnorms(m, precisions)) {
    const w = weights[m.nodes[id]!.inputs[0]!]?.weight, p = weights[id];
    if (!w || !p?.running_mean || !p.running_var) continue;
    // The last axis is the channel: a per-step batch norm keeps [T, C] rows, each scaled alike.
    const channels = p.running_mean.shape.at(-1)!;
    const per = w.data.length / channels;
    const mean = Float32Array.from(p.running_mean.data), variance = Float32Array.from(p.running_var.data);
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let i = c * per; i < (c + 1) * per; i++) sum += Math.abs(w.data[i]!);
      const alpha = sum / per;
      if (alpha === 0) continue;
      for (let r = c; r < mean.length; r += channels) {
        mean[r] = mean[r]! / alpha;
        variance[r] = variance[r]! / (alpha * alpha);
      }
    }
    out[id] = { ...p, running_mean: tensor(p.running_mean, mean), running_var: tensor(p.running_var, variance) };
  }
  return out;
}

const tensor = (like: Tensor, data: Float32Array): Tensor => ({ shape: [...like.shape], data });
