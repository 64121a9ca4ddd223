/**
 * A conv2d as the GEMM a lowered layer computes: every image's output pixels as rows, the window
 * (im2col) as columns — SCALE-Sim's ifmap matrix — times the filters [Cout, window]ᵀ, one GEMM per
 * group, then scattered back to [N, Cout, OH, OW] with the bias added (when the GEMM did not).
 */
import type { Node } from '../../compiler/ir/module.ts';
import { convGeometry, im2col } from '../kernels/conv-common.ts';
import type { Tensor } from '../tensor.ts';

/** C[m × n] = A[m × k] · W[n × k]ᵀ for the filters of group `grp` (W = those filters' rows). */
export type GroupGemm = (m: number, n: number, k: number, A: Float32Array, W: Float32Array, C: Float32Array, grp: number) => void;

export function convAsGemm(node: Node, x: Tensor, w: Tensor, bias: Tensor | undefined, gemm: GroupGemm): Tensor {
  const a = node.attrs;
  const g = convGeometry('conv2d', x.shape, w.shape, { stride: a.stride as [number, number], pad: a.pad as [number, number, number, number], dilation: a.dilation as [number, number], groups: a.groups as number });
  const pixels = g.oh * g.ow;
  const m = g.n * pixels;
  const out = new Float32Array(g.n * g.cout * pixels);
  const cols = new Float32Array(g.kdim * pixels);
  for (let grp = 0; grp < g.groups; grp++) {
    const A = new Float32Array(m * g.kdim);
    for (let img = 0; img < g.n; img++) {
      im2col(g, x.data, img * g.cin * g.h * g.w, grp * g.cinG, cols, 0, pixels);
      for (let r = 0; r < g.kdim; r++) for (let q = 0; q < pixels; q++) A[(img * pixels + q) * g.kdim + r] = cols[r * pixels + q]!;
    }
    const W = w.data.subarray(grp * g.coutG * g.kdim, (grp + 1) * g.coutG * g.kdim);
    const C = new Float32Array(m * g.coutG);
    gemm(m, g.coutG, g.kdim, A, W, C, grp);
    for (let img = 0; img < g.n; img++) {
      for (let f = 0; f < g.coutG; f++) {
        const oc = grp * g.coutG + f;
        const b = bias ? bias.data[oc]! : 0;
        const dst = (img * g.cout + oc) * pixels;
        for (let q = 0; q < pixels; q++) out[dst + q] = C[(img * pixels + q) * g.coutG + f]! + b;
      }
    }
  }
  return { shape: [g.n, g.cout, g.oh, g.ow], data: out };
}
