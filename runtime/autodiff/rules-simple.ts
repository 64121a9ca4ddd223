/**
 * Backward rules of the parameter-free ops (and prelu, param): activations, softmax, movement and
 * elementwise arithmetic. Each mirrors its forward in runtime/interpreter/ops-simple.ts.
 */
import { type Tensor, reshape, zeros } from '../tensor.ts';
import { clipBackward, leakyReluBackward, preluBackward, signSteBackward } from '../kernels/activations.ts';
import { addBackward, mulBackward } from '../kernels/broadcast.ts';
import { concatBackward, upsample2dBackward, type UpsampleMode } from '../kernels/movement.ts';
import { logSoftmaxBackward, softmaxBackward } from '../kernels/softmax.ts';
import { inversePerm, transpose } from '../interpreter/tensor-ops.ts';
import { roundHalfEven } from '../kernels/quant-int8.ts';
import { aroundAxis, normAxis } from '../kernels/check.ts';
import { QUANT_RANGES, type Ste } from '../../compiler/ir/ops.ts';
import { steBackward } from './ste.ts';
import type { BackwardRule } from './types.ts';
import { isMasked } from './relu-fusion.ts';
import { WASM_ELEMENTWISE_MIN, useWasmKernels } from '../kernels/wasm/instance.ts';
import { wasmReluBackward } from '../kernels/wasm/relu.ts';

function reluBack(x: Tensor, dy: Tensor): Tensor {
  if (x.data.length >= WASM_ELEMENTWISE_MIN && x.data.length === dy.data.length && useWasmKernels()) {
    return { shape: [...x.shape], data: wasmReluBackward(x.data, dy.data) };
  }
  const dx = zeros(x.shape);
  const xd = x.data, gd = dy.data, out = dx.data;
  for (let i = 0; i < xd.length; i++) if (xd[i]! > 0) out[i] = gd[i]!;
  return dx;
}

/** dy ⊙ y(1 − y) and dy ⊙ (1 − y²), from the output. */
function fromOutput(y: Tensor, dy: Tensor, tanh: boolean): Tensor {
  const dx = zeros(y.shape);
  const yd = y.data, gd = dy.data, out = dx.data;
  if (tanh) for (let i = 0; i < yd.length; i++) { const v = yd[i]!; out[i] = gd[i]! * (1 - v * v); }
  else for (let i = 0; i < yd.length; i++) { const v = yd[i]!; out[i] = gd[i]! * v * (1 - v); }
  return dx;
}

const x0 = (a: Parameters<BackwardRule>[0]) => a.entry.inputs[0]!;

/**
 * Straight-through estimator of quantize: q ≈ x / scale + zero_point, so dy / scale passes where
 * the value was not saturated (Jacob et al. 2018); scales and zero points are fixed, not learned.
 */
function quantizeBack(a: Parameters<BackwardRule>[0]): Tensor {
  const x = x0(a), dy = a.dy!;
  const attrs = a.node.attrs;
  const r = QUANT_RANGES[attrs.to as string]!;
  const scale = a.entry.params.scale!.data, zp = a.entry.params.zero_point!.data;
  const { outer, len, inner } = attrs.per_channel ? aroundAxis(x.shape, normAxis('quantize', attrs.axis as number, x.shape.length)) : { outer: 1, len: 1, inner: x.data.length };
  const dx = zeros(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < len; c++) {
      const base = (o * len + c) * inner;
      for (let i = base; i < base + inner; i++) {
        const q = roundHalfEven(x.data[i]! / scale[c]!) + zp[c]!;
        if (q >= r.min && q <= r.max) dx.data[i] = dy.data[i]! / scale[c]!;
      }
    }
  }
  return dx;
}

export const SIMPLE_RULES: Record<string, BackwardRule> = {
  relu: (a) => ({ inputs: [isMasked(a.dy!) ? a.dy! : reluBack(x0(a), a.dy!)] }),
  leaky_relu: (a) => ({ inputs: [leakyReluBackward(x0(a), a.dy!, a.node.attrs.alpha as number)] }),
  prelu: (a) => {
    const x = x0(a);
    const slope = a.entry.params.slope!;
    const shaped = slope.data.length === 1 || x.shape.length < 2 ? reshape(slope, [1]) : reshape(slope, [slope.data.length, ...x.shape.slice(2).map(() => 1)]);
    const r = preluBackward(x, shaped, a.dy!);
    return { inputs: [r.dx], params: { slope: reshape(r.dslope, slope.shape) } };
  },
  sigmoid: (a) => ({ inputs: [fromOutput(a.entry.output, a.dy!, false)] }),
  tanh: (a) => ({ inputs: [fromOutput(a.entry.output, a.dy!, true)] }),
  hard_tanh: (a) => ({ inputs: [clipBackward(x0(a), a.dy!, a.node.attrs.min as number, a.node.attrs.max as number)] }),
  // BinaryNet's straight-through estimator: pass the gradient where |x| ≤ 1 (Hubara et al. 2016).
  // Without `ste =`, sign keeps BNN's hardtanh estimator in its own loop (ste.ts: `clipped`).
  sign: (a) => ({ inputs: [a.node.attrs.ste === undefined ? signSteBackward(x0(a), a.dy!, 1) : steBackward(a.node.attrs.ste as Ste, x0(a), a.dy!, 1)] }),
  softmax: (a) => ({ inputs: [softmaxBackward(a.entry.output, a.dy!, a.node.attrs.axis as number)] }),
  log_softmax: (a) => ({ inputs: [logSoftmaxBackward(a.entry.output, a.dy!, a.node.attrs.axis as number)] }),
  flatten: (a) => ({ inputs: [reshape(a.dy!, x0(a).shape)] }),
  reshape: (a) => ({ inputs: [reshape(a.dy!, x0(a).shape)] }),
  transpose: (a) => ({ inputs: [transpose(a.dy!, inversePerm(a.node.attrs.perm as number[]))] }),
  add: (a) => {
    const r = addBackward(a.dy!, a.entry.inputs[0]!.shape, a.entry.inputs[1]!.shape);
    return { inputs: [r.da, r.db] };
  },
  mul: (a) => {
    const r = mulBackward(a.entry.inputs[0]!, a.entry.inputs[1]!, a.dy!);
    return { inputs: [r.da, r.db] };
  },
  concat: (a) => ({ inputs: concatBackward(a.dy!, a.node.attrs.axis as number, a.entry.inputs.map((t) => t.shape[normalize(a.node.attrs.axis as number, t.shape.length)]!)) }),
  upsample2d: (a) => ({
    inputs: [upsample2dBackward(a.dy!, x0(a).shape, { mode: a.node.attrs.mode as UpsampleMode, scale: a.node.attrs.scale as [number, number] })],
  }),
  param: (a) => ({ inputs: [], params: { value: a.dy! } }),
  quantize: (a) => ({ inputs: [quantizeBack(a)] }),
};

function normalize(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
