/**
 * Static scales for the precision lowering. A checkpoint may carry them as extra tensors beside a
 * layer's parameters (the form `kiln quantize` writes, docs/precision.md#execution):
 *   <layer>/act_scale     one value: the scale of the activation the layer's GEMM reads
 *   <layer>/out_scale     one value: the scale of its output, when it declares activations = i8|i16
 *   <layer>/weight_scale  one value, or one per output channel
 * Weight scales that are absent are derived from the weights when the layer is lowered (max|w|
 * per tensor or channel, as training's fake quantization takes them). Activation scales that are
 * absent are calibrated: the fake-quantized network runs on fixed calibration samples (the first
 * CALIBRATION_SAMPLES of the training split) and each scale is max|x| over them / 127 (int8), or
 * the smallest power of two with max|x| ≤ 32767·2^e (int16). The same samples give the same
 * scales, so no evaluated sample depends on another.
 */
import type { Module, NodeId } from '../../../compiler/ir/module.ts';
import { forward } from '../../autodiff/forward.ts';
import { chooseExponent } from '../../kernels/fixed-point.ts';
import { symmetricScale } from '../../kernels/quant-int8.ts';
import type { Inputs, Weights } from '../../interpreter/types.ts';
import { neededScales } from './lower.ts';
import { isScaleKey, type LayerScales } from './types.ts';

export const CALIBRATION_SAMPLES = 256;
const KEYS = { act_scale: 'act', out_scale: 'out', weight_scale: 'weight' } as const;

export function scalesFromParams(params: ReadonlyMap<string, Float32Array>): Map<NodeId, LayerScales> {
  const out = new Map<NodeId, LayerScales>();
  for (const [key, v] of params) {
    if (!isScaleKey(key)) continue;
    const at = key.lastIndexOf('/');
    const id = key.slice(0, at), what = KEYS[key.slice(at + 1) as keyof typeof KEYS];
    const s = out.get(id) ?? {};
    if (what === 'weight') s.weight = v;
    else s[what] = v[0];
    out.set(id, s);
  }
  return out;
}

/** Activation scales the program needs and `have` lacks, from max|x| over `calibration`. */
export function calibrateScales(m: Module, weights: Weights, calibration: Inputs, have: Map<NodeId, LayerScales>): { scales: Map<NodeId, LayerScales>; calibrated: string[] } {
  const scales = new Map([...have].map(([k, v]) => [k, { ...v }]));
  const todo = neededScales(m).filter((n) => scales.get(n.node)?.[n.what] === undefined);
  if (todo.length === 0) return { scales, calibrated: [] };
  const tape = forward(m, weights, calibration, { training: false, record: true }).tape;
  const maxAbs = (t: { data: Float32Array }) => t.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  for (const need of todo) {
    let mx = 0;
    for (const e of tape) if (e.node === need.node) mx = Math.max(mx, maxAbs(need.what === 'act' ? e.inputs[0]! : e.output));
    const s = need.dtype === 'i8' ? symmetricScale(mx) : 2 ** chooseExponent(mx);
    scales.set(need.node, { ...scales.get(need.node), [need.what]: s });
  }
  return { scales, calibrated: todo.map((t) => `${t.node}/${t.what}_scale`) };
}
