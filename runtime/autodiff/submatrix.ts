/**
 * dense and conv2d on the submatrix a dropout plan leaves them (dropout-plan.ts): the kept input
 * features are gathered, the weights cut to the kept rows (output units) and columns (input
 * units), the product runs on what is left, and the result is spread back to full width with
 * zeros where units were dropped. Backward gathers the output gradient the same way and spreads
 * the weight, bias and input gradients back, zero for dropped units — the values the masked
 * product gives, which is what keeps optimizer state and checkpoints unchanged.
 */
import type { Tensor } from '../tensor.ts';
import { conv2dBackward } from '../kernels/conv2d-backward.ts';
import { denseBackward } from '../kernels/dense.ts';
import { LAYER_OPS } from '../interpreter/ops-layers.ts';
import type { OpContext, OpImpl } from '../interpreter/types.ts';
import type { DropoutPlan, Submatrix } from './dropout-plan.ts';
import { MASK_MEMORY } from '../interpreter/dropout.ts';
import { type Nonzeros, sparseDenseWeightGrad, trainingDense } from './sparse-dense.ts';
import { outputArray } from '../kernels/step-buffers.ts';
import { WASM_ELEMENTWISE_MIN, useWasmKernels } from '../kernels/wasm/instance.ts';
import { wasmCut, wasmSpread } from '../kernels/wasm/submatrix.ts';
import type { RuleArgs, RuleResult } from './types.ts';
import { LazyBinary } from './precision.ts';

/** What the forward saved: the kept units and the operands the product actually used. */
export interface SavedSubmatrix extends Submatrix {
  x: Tensor;
  weight: Tensor;
}

/** t's values after `axis` (inner) and slices before it (outer), and its shape with `axis` made `len` long. */
function resized(t: Tensor, axis: number, len: number): { inner: number; outer: number; shape: number[] } {
  let inner = 1;
  for (let i = axis + 1; i < t.shape.length; i++) inner *= t.shape[i]!;
  const slice = t.shape[axis]! * inner;
  const shape = [...t.shape];
  shape[axis] = len;
  return { inner, outer: slice === 0 ? 0 : t.data.length / slice, shape };
}

/** The slices idx of `axis`: out[…, j, …] = t[…, idx[j], …]. */
export function gatherAxis(t: Tensor, axis: number, idx: Int32Array): Tensor {
  const n = t.shape[axis]!, k = idx.length;
  const { inner, outer, shape } = resized(t, axis, k);
  const src = t.data, out = outputArray(outer * k * inner);
  // The last axis of an activation or gradient [rows, features] is a weight's column cut.
  if (inner === 1 && out.length >= WASM_ELEMENTWISE_MIN && useWasmKernels()) {
    wasmCut(src, n, undefined, idx, out);
    return { shape, data: out };
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const s = (o * n + idx[j]!) * inner, d = (o * k + j) * inner;
      if (inner === 1) out[d] = src[s]!;
      else out.set(src.subarray(s, s + inner), d);
    }
  }
  return { shape, data: out };
}

/** gatherAxis undone: t's slices placed at idx of an axis `n` long, zeros elsewhere. */
export function scatterAxis(t: Tensor, axis: number, idx: Int32Array, n: number): Tensor {
  const k = idx.length;
  const { inner, outer, shape } = resized(t, axis, n);
  const src = t.data, out = outputArray(outer * n * inner);
  if (inner === 1 && out.length >= WASM_ELEMENTWISE_MIN && useWasmKernels()) {
    wasmSpread(src, n, undefined, idx, out);
    return { shape, data: out };
  }
  // A recycled array holds the last step's values: the dropped slices must be zeros.
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const s = (o * k + j) * inner, d = (o * n + idx[j]!) * inner;
      if (inner === 1) out[d] = src[s]!;
      else out.set(src.subarray(s, s + inner), d);
    }
  }
  return { shape, data: out };
}

/** Rows and columns of a weight [out, in, …]: the kept ones, or all. */
function keptGrid(w: readonly number[], s: Submatrix) {
  const [outF, inF] = w as [number, number];
  let inner = 1;
  for (let i = 2; i < w.length; i++) inner *= w[i]!;
  return { inF, inner, rows: s.keepOut?.length ?? outF, cols: s.keepIn?.length ?? inF, row: (r: number) => s.keepOut?.[r] ?? r };
}

/**
 * Weight [out, in, …] cut to the kept output rows and input columns in one pass (gathering rows,
 * then columns, walked binary_mlp's 2.9 M weights twice a step, into two fresh arrays).
 */
function cutWeight(w: Tensor, s: Submatrix): Tensor {
  const { inF, inner, rows, cols, row } = keptGrid(w.shape, s);
  const out = outputArray(rows * cols * inner), keepIn = s.keepIn;
  const shape = [...w.shape];
  shape[0] = rows;
  shape[1] = cols;
  if (keepIn && inner === 1 && useWasmKernels()) {
    // A binary layer's weights not yet binarized: its cut of the latent weights is (precision.ts).
    if (w instanceof LazyBinary && !w.materialized) w.inside = wasmCut(w.latent.data, inF, s.keepOut, keepIn, out, true) && (w.inside ?? true);
    else wasmCut(w.data, inF, s.keepOut, keepIn, out);
    return { shape, data: out };
  }
  const src = w.data;
  for (let r = 0; r < rows; r++) {
    const from = row(r) * inF, to = r * cols;
    if (!keepIn) out.set(src.subarray(from * inner, (from + inF) * inner), to * inner);
    else if (inner === 1) for (let c = 0; c < cols; c++) out[to + c] = src[from + keepIn[c]!]!;
    else for (let c = 0; c < cols; c++) out.set(src.subarray((from + keepIn[c]!) * inner, (from + keepIn[c]! + 1) * inner), (to + c) * inner);
  }
  return { shape, data: out };
}

/**
 * A dense gradient's kept rows spread to full width, written in memory order: each output value
 * reads its column's slot of the row (staged in `row`, whose last slot is the zero of a dropped
 * column). Storing at the kept columns' scattered addresses over a zeroed array was a third
 * slower (5.3 against 4.0 ns a kept value on a 1024² weight, 80 % kept).
 */
function spreadDense(src: Float32Array, out: Float32Array, keepOut: Int32Array | undefined, keepIn: Int32Array, inF: number): void {
  const cols = keepIn.length, slot = new Int32Array(inF).fill(cols), row = new Float32Array(cols + 1);
  for (let c = 0; c < cols; c++) slot[keepIn[c]!] = c;
  const outF = out.length / inF;
  let r = 0;
  for (let o = 0; o < outF; o++) {
    const to = o * inF;
    if (keepOut && keepOut[r] !== o) { out.fill(0, to, to + inF); continue; }
    row.set(src.subarray(r * cols, (r + 1) * cols));
    for (let j = 0; j < inF; j++) out[to + j] = row[slot[j]!]!;
    r++;
  }
}

/** cutWeight undone for a gradient: g's values at the kept rows and columns of `full`, zeros elsewhere. */
function spreadWeight(g: Tensor, s: Submatrix, full: readonly number[]): Tensor {
  const { inF, inner, rows, cols, row } = keptGrid(full, s);
  const src = g.data, out = outputArray(full[0]! * inF * inner), keepIn = s.keepIn;
  if (keepIn && inner === 1) {
    if (useWasmKernels()) wasmSpread(src, inF, s.keepOut, keepIn, out);
    else spreadDense(src, out, s.keepOut, keepIn, inF);
    return { shape: [...full], data: out };
  }
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const to = row(r) * inF, from = r * cols;
    if (!keepIn) out.set(src.subarray(from * inner, (from + cols) * inner), to * inner);
    else for (let c = 0; c < cols; c++) out.set(src.subarray((from + c) * inner, (from + c + 1) * inner), (to + keepIn[c]!) * inner);
  }
  return { shape: [...full], data: out };
}

/** A layer's forward on its submatrix; `axis` is its feature axis (last for dense, 1 for conv2d). */
function cutForward(ctx: OpContext, s: Submatrix, axis: number, product: (x: Tensor, w: Tensor, b: Tensor | undefined) => Tensor): Tensor {
  const x = ctx.inputs[0]!, w = ctx.params.weight!, b = ctx.params.bias;
  const xs = s.keepIn ? gatherAxis(x, axis, s.keepIn) : x;
  const ws = cutWeight(w, s);
  const saved: SavedSubmatrix = { ...s, x: xs, weight: ws };
  ctx.save('submatrix', saved);
  const y = product(xs, ws, s.keepOut && b ? gatherAxis(b, 0, s.keepOut) : b);
  return s.keepOut ? scatterAxis(y, axis, s.keepOut, w.shape[0]!) : y;
}

/**
 * Training's dense, conv2d and dropout under a plan; `base` holds training's own dense and conv2d
 * (the sparse paths), which uncut layers keep and cut dense layers use too.
 */
export function plannedImpls(plan: DropoutPlan, base: { dense: OpImpl; conv2d: OpImpl } & Readonly<Partial<Record<string, OpImpl>>>): Record<string, OpImpl> {
  const denseAxis = (ctx: OpContext) => ctx.inputs[0]!.shape.length - 1;
  return {
    // Training's other implementations (the fused lif, the relu after a rectifying conv) stay.
    ...base,
    dense: (ctx) => {
      const s = plan.layers.get(ctx.node.id);
      return s ? cutForward(ctx, s, denseAxis(ctx), (x, w, b) => trainingDense(x, w, b, ctx.save)) : base.dense(ctx);
    },
    conv2d: (ctx) => {
      const s = plan.layers.get(ctx.node.id);
      if (!s) return base.conv2d(ctx);
      return cutForward(ctx, s, 1, (x, w, b) => LAYER_OPS.conv2d!({ ...ctx, inputs: [x], params: { ...ctx.params, weight: w, ...(b ? { bias: b } : {}) } }));
    },
    dropout: (ctx) => {
      const mask = plan.masks.get(ctx.node.id);
      if (mask && !ctx.memory.has(MASK_MEMORY)) ctx.memory.set(MASK_MEMORY, mask);
      return LAYER_OPS.dropout!(ctx);
    },
  };
}

/** Gradients of a cut layer, spread back to the full operands' shapes. */
function spread(a: RuleArgs, sub: SavedSubmatrix, axis: number, g: { dx?: Tensor; dw: Tensor; db?: Tensor }): RuleResult {
  const x = a.entry.inputs[0]!, w = a.entry.params.weight!;
  const dx = g.dx && sub.keepIn ? scatterAxis(g.dx, axis, sub.keepIn, x.shape[axis]!) : g.dx;
  const db = g.db && sub.keepOut ? scatterAxis(g.db, 0, sub.keepOut, w.shape[0]!) : g.db;
  return { inputs: [dx], params: { weight: spreadWeight(g.dw, sub, w.shape), ...(db ? { bias: db } : {}) } };
}

export function cutDenseBackward(a: RuleArgs, sub: SavedSubmatrix): RuleResult {
  const axis = a.dy!.shape.length - 1;
  const dy = sub.keepOut ? gatherAxis(a.dy!, axis, sub.keepOut) : a.dy!;
  const nz = a.entry.saved.nonzeros as Nonzeros | undefined;
  const g = denseBackward(sub.x, sub.weight, dy, { input: a.want[0], weight: !nz, bias: a.entry.params.bias !== undefined });
  const [outF, inF] = sub.weight.shape as [number, number];
  return spread(a, sub, axis, { dx: g.dx, dw: nz ? sparseDenseWeightGrad(sub.x, dy, outF, inF, nz) : g.dw!, db: g.db });
}

export function cutConvBackward(a: RuleArgs, sub: SavedSubmatrix, opts: Parameters<typeof conv2dBackward>[3]): RuleResult {
  const dy = sub.keepOut ? gatherAxis(a.dy!, 1, sub.keepOut) : a.dy!;
  const g = conv2dBackward(sub.x, sub.weight, dy, opts, { input: a.want[0], weight: true, bias: a.entry.params.bias !== undefined });
  return spread(a, sub, 1, { dx: g.dx, dw: g.dw!, db: g.db });
}
