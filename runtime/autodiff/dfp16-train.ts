/**
 * INT16 dynamic fixed point training (Das et al. 2018, "Mixed Precision Training of Convolutional
 * Neural Networks using Integer Operations"), for the train block's `precision dfp16`: the three
 * GEMMs of every dense and conv2d layer — forward Y = X·Wᵀ, backward dX = dY·W and the weight
 * gradient dW = dYᵀ·X — multiply int16 mantissas into int32 sums. Each operand is one tensor
 * with one shared power-of-two exponent chosen from its max|x| (toDfp16); the forward keeps the
 * quantized X and W for the backward, which quantizes dY the same way. Sums become f32 at the
 * exponent e_a + e_b; biases, their gradients and every other op stay f32.
 *
 * Overflow: the int16 GEMM kernel (gemmDfp16) sums exactly and saturates the result to int32; a
 * saturated sum is an overflow. Each output row holding one is counted and computed again with
 * its row of A shifted right one more bit (exponent + 1, round half to even), until none
 * saturates — the rescale policy of the int16 inference layer (lowered/precision/dfp16-layer.ts),
 * so one row's overflow costs only that row a bit of precision.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { convGeometry, type ConvGeometry } from '../kernels/conv-common.ts';
import { cropGradient, gatherMatrix, padInput, paddedGradient, pixelOffsets, scatterAdd, tapOffsets } from '../kernels/conv-gather.ts';
import { type Dfp16, gemmDfp16, toDfp16 } from '../kernels/fixed-point.ts';
import { INT32_MAX, INT32_MIN, roundHalfEven } from '../kernels/quant-int8.ts';
import type { OpImpl } from '../interpreter/types.ts';
import { convOptions } from '../interpreter/ops-layers.ts';
import { type Tensor, zeros } from '../tensor.ts';
import type { RuleArgs, RuleResult } from './types.ts';

/** What a run's int16 GEMMs did: products run, output rows that overflowed int32, re-runs of a row. */
export interface Dfp16Counts {
  gemms: number;
  overflows: number;
  rescales: number;
}

export const dfp16Counts = (): Dfp16Counts => ({ gemms: 0, overflows: 0, rescales: 0 });

const saturated = (v: Int32Array): boolean => v.some((x) => x === INT32_MAX || x === INT32_MIN);

/** C[m×n] = A[m×k]·op(B) from int16 operands, as f32; overflowing rows are rescaled (above). */
export function dfp16Gemm(m: number, n: number, k: number, a: Dfp16, b: Dfp16, transB: boolean, counts: Dfp16Counts): Float32Array {
  const acc = gemmDfp16(m, n, k, a, b, transB);
  counts.gemms++;
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    let row = acc.values.subarray(i * n, (i + 1) * n), e = acc.exponent;
    if (saturated(row)) {
      counts.overflows++;
      const orig = a.values.subarray(i * k, (i + 1) * k);
      const shifted = new Int16Array(k);
      for (let shift = 1; shift <= 16 && saturated(row); shift++) {
        counts.rescales++;
        for (let p = 0; p < k; p++) shifted[p] = roundHalfEven(orig[p]! / 2 ** shift);
        const r = gemmDfp16(1, n, k, { shape: [1, k], values: shifted, exponent: a.exponent + shift }, b, transB);
        row = r.values;
        e = r.exponent;
      }
    }
    const s = 2 ** e;
    for (let j = 0; j < n; j++) y[i * n + j] = row[j]! * s;
  }
  return y;
}

/** The mantissas of a [rows × cols] operand, transposed (the exponent is shared, so it carries over). */
function transposed(q: Dfp16, rows: number, cols: number): Dfp16 {
  const t = new Int16Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = q.values[r * cols + c]!;
  return { shape: [cols, rows], values: t, exponent: q.exponent };
}

const matrix = (data: Float32Array, rows: number, cols: number): Tensor => ({ shape: [rows, cols], data });

interface SavedDense { kind: 'dense'; xq: Dfp16; wq: Dfp16; counts: Dfp16Counts }
interface SavedConv { kind: 'conv2d'; colsq: Dfp16; wq: Dfp16; g: ConvGeometry; taps: Int32Array; pix: Int32Array; counts: Dfp16Counts }
export type SavedDfp16 = SavedDense | SavedConv;

/** Training's dense and conv2d ops in int16 dynamic fixed point, counting into `counts`. */
export function dfp16Impls(counts: Dfp16Counts): Record<'dense' | 'conv2d', OpImpl> {
  return {
    dense(ctx) {
      const x = ctx.inputs[0]!, w = ctx.params.weight!, bias = ctx.params.bias;
      const [outF, inF] = w.shape as [number, number];
      const rows = x.data.length / inF;
      const xq = toDfp16(x), wq = toDfp16(w);
      const y = dfp16Gemm(rows, outF, inF, xq, wq, true, counts);
      if (bias) for (let i = 0; i < rows; i++) for (let j = 0; j < outF; j++) y[i * outF + j] = y[i * outF + j]! + bias.data[j]!;
      ctx.save('dfp16', { kind: 'dense', xq, wq, counts } satisfies SavedDense);
      return { shape: [...x.shape.slice(0, -1), outF], data: y };
    },
    conv2d(ctx) {
      const x = ctx.inputs[0]!, w = ctx.params.weight!, bias = ctx.params.bias;
      const g = convGeometry('conv2d', x.shape, w.shape, convOptions(ctx.node));
      if (g.groups !== 1) {
        throw new KilnError(error('train', `\`precision dfp16\` trains conv2d layers with groups = 1 only; \`${ctx.node.id}\` has groups = ${g.groups}`, undefined,
          'train this network with the default f32 precision'));
      }
      const hw = g.oh * g.ow, ld = g.n * hw;
      const xp = padInput(g, x.data);
      const taps = tapOffsets(g, xp, 0), pix = pixelOffsets(g, xp, 0, g.n);
      const cols = new Float32Array(g.kdim * ld);
      gatherMatrix(xp.data, taps, pix, g.ow, g.sw, cols, ld);
      const colsq = toDfp16(matrix(cols, g.kdim, ld)), wq = toDfp16(w);
      const prod = dfp16Gemm(g.cout, ld, g.kdim, wq, colsq, false, counts);
      const y = zeros([g.n, g.cout, g.oh, g.ow]);
      for (let o = 0; o < g.cout; o++) {
        const b = bias ? bias.data[o]! : 0;
        for (let i = 0; i < g.n; i++) {
          const src = o * ld + i * hw, dst = (i * g.cout + o) * hw;
          for (let t = 0; t < hw; t++) y.data[dst + t] = prod[src + t]! + b;
        }
      }
      ctx.save('dfp16', { kind: 'conv2d', colsq, wq, g, taps, pix, counts } satisfies SavedConv);
      return y;
    },
  };
}

/** Σ of dy over every axis but `axis` of a [outer, c, inner] layout: the bias gradient, in f32. */
function biasGrad(dy: Float32Array, c: number, inner: number): Tensor {
  const db = zeros([c]);
  for (let i = 0; i < dy.length; i++) { const ch = Math.floor(i / inner) % c; db.data[ch] = db.data[ch]! + dy[i]!; }
  return db;
}

function denseBackward(a: RuleArgs, s: SavedDense): RuleResult {
  const dy = a.dy!;
  const [outF, inF] = s.wq.shape as [number, number];
  const rows = dy.data.length / outF;
  const dyq = toDfp16(dy);
  const dx = a.want[0] ? { shape: [...a.entry.inputs[0]!.shape], data: dfp16Gemm(rows, inF, outF, dyq, s.wq, false, s.counts) } : undefined;
  const dw = dfp16Gemm(outF, inF, rows, transposed(dyq, rows, outF), s.xq, false, s.counts);
  const params: Record<string, Tensor> = { weight: matrix(dw, outF, inF) };
  if (a.entry.params.bias) params.bias = biasGrad(dy.data, outF, 1);
  return { inputs: [dx], params };
}

function convBackward(a: RuleArgs, s: SavedConv): RuleResult {
  const { g, counts } = s;
  const hw = g.oh * g.ow, ld = g.n * hw;
  const dy = a.dy!.data;
  const dyMat = new Float32Array(g.cout * ld);
  for (let i = 0; i < g.n; i++) for (let o = 0; o < g.cout; o++) dyMat.set(dy.subarray((i * g.cout + o) * hw, (i * g.cout + o + 1) * hw), o * ld + i * hw);
  const dyq = toDfp16(matrix(dyMat, g.cout, ld));
  const dw = dfp16Gemm(g.cout, g.kdim, ld, dyq, s.colsq, true, counts);
  let dx: Tensor | undefined;
  if (a.want[0]) {
    dx = zeros(a.entry.inputs[0]!.shape);
    const dcols = dfp16Gemm(g.kdim, ld, g.cout, transposed(s.wq, g.cout, g.kdim), dyq, false, counts);
    const dxp = paddedGradient(g, dx.data);
    scatterAdd(dcols, ld, s.taps, s.pix, g.ow, g.sw, dxp.data);
    cropGradient(g, dxp, dx.data);
  }
  const params: Record<string, Tensor> = { weight: { shape: [...a.entry.params.weight!.shape], data: dw } };
  if (a.entry.params.bias) params.bias = biasGrad(dy, g.cout, hw);
  return { inputs: [dx], params };
}

/** The backward of a layer the forward ran in int16 (its tape entry saved `dfp16`), else undefined. */
export function dfp16Backward(a: RuleArgs): RuleResult | undefined {
  const s = a.entry.saved.dfp16 as SavedDfp16 | undefined;
  if (!s) return undefined;
  return s.kind === 'dense' ? denseBackward(a, s) : convBackward(a, s);
}
