/**
 * One training step as work a CPU or an array can price, in three phases:
 *   forward   the inference workload, with the GEMMs beside a batchwise or structured dropout
 *             shrunk to their submatrices (dropout-cuts.ts) and every other dropout priced as its
 *             mask: a random draw per mask element and a multiply per value;
 *   backward  per GEMM of C = A·B, the input gradient dA = dC·Bᵀ and the weight gradient
 *             dB = Aᵀ·dC, each a GEMM as large as the forward one (a convolution's through its
 *             im2col shapes); every other layer one operation per forward operation (its
 *             derivative times the incoming gradient);
 *   update    per learned tensor, the optimizer's operations per parameter and the traffic of the
 *             weights, their gradient and the optimizer's state (optimizers.ts), plus the forward
 *             passes an optimizer adds (EBP's variances, coordinate descent's confirmation).
 * Gradients are real numbers, so a backward GEMM runs at f32 unless its layer trains in a format
 * that has low-precision gradients: f16, and int16 dynamic fixed point (Das et al. 2018), whose
 * forward and backward GEMMs are all int16.
 */
import { numElements } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { CLASS_BITS, type MacClass, weightDType } from '../precision.ts';
import { moduleWork, type GemmWork, type LayerWork } from '../workload.ts';
import { dropoutCuts, type Cut } from './dropout-cuts.ts';
import type { UpdateCost } from './optimizers.ts';

export interface TrainingWork {
  forward: LayerWork[];
  backward: LayerWork[];
  update: LayerWork[];
  /** Per forward layer, what training changes about it (a cut, a mask). */
  notes: Map<string, string>;
}

/** The class a layer's gradient GEMMs run at. */
export function backwardClass(forward: MacClass): MacClass {
  return forward === 'f32' || forward === 'f16' || forward === 'i16' ? forward : 'f32';
}

/** Bytes of parameters are stored between steps as f32 master copies (the interpreter's latent weights). */
const MASTER_BYTES = 4;

const keptCount = (units: number, keep: number) => Math.max(1, Math.round(units * keep));

function cutGemm(w: LayerWork, g: GemmWork, cut: Cut): LayerWork {
  let n = cut.keepOut !== undefined ? keptCount(g.n, cut.keepOut) : g.n;
  let k = g.k, conv = g.conv;
  if (w.op !== 'dense' && !g.conv) ({ n, k } = cutCell(w, g, cut));
  else if (cut.keepIn !== undefined) {
    if (g.conv) {
      const c = keptCount(g.conv.c, cut.keepIn);
      conv = { ...g.conv, c };
      k = g.conv.kh * g.conv.kw * c;
    } else k = keptCount(g.k, cut.keepIn);
  }
  const fo = n / g.n, fi = k / g.k;
  const work: GemmWork = { ...g, n, k, ...(conv ? { conv } : {}) };
  return { ...w, work, macs: g.m * n * k * g.repeat, inputBytes: w.inputBytes * fi, outputBytes: w.outputBytes * fo, weightBytes: w.weightBytes * fi * fo };
}

/**
 * A recurrent cell's GEMM, N = gates·H by K = [x_t, h_{t−1}] over all its layers (workload.ts
 * takes every layer's input as wide as the first's). A dropout outside cuts the first layer's
 * input part; in-cell dropout keeps a fraction of the H units, so of the gate rows, of the
 * recurrent part of K and of the input of every layer above the first. K is the layers' mean.
 */
function cutCell(w: LayerWork, g: GemmWork, cut: Cut): { n: number; k: number } {
  const hidden = w.node.attrs.hidden as number, layers = w.node.attrs.layers as number;
  const inputs = g.k - hidden;
  const first = cut.keepIn !== undefined ? keptCount(inputs, cut.keepIn) : inputs;
  if (cut.keepCell === undefined) return { n: g.n, k: first + hidden };
  const kept = keptCount(hidden, cut.keepCell);
  const above = keptCount(inputs, cut.keepCell);
  return { n: (g.n / hidden) * kept, k: Math.round((first + (layers - 1) * above) / layers) + kept };
}

function maskWork(w: LayerWork, keep: number | undefined): LayerWork {
  const d = w.node;
  const shape = d.type!.shape;
  const values = numElements(shape);
  // One draw per mask element: every value elementwise, one per unit for a mask shared by the batch.
  const mode = d.attrs.mode as string;
  const draws = mode === 'elementwise' ? values : mode === 'batchwise' ? values / shape[0]! : shape.length === 4 ? shape[1]! : shape[shape.length - 1]!;
  const multiplies = keep === undefined ? values : values * keep;
  return { ...w, work: { kind: 'vector', ops: Math.ceil(draws + multiplies) } };
}

/** The two gradient GEMMs of a forward GEMM C[M×N] = A[M×K]·B[K×N]. */
function gradientGemms(w: LayerWork, g: GemmWork): LayerWork[] {
  const cls = backwardClass(g.macClass);
  const bits = CLASS_BITS[cls];
  const bytes = (b: number, fromBits: number) => (b * bits) / fromBits;
  const a = bytes(w.inputBytes, w.inputBits), b = bytes(w.weightBytes, w.weightBits || 32), c = bytes(w.outputBytes, w.outputBits);
  const at = { inputBits: bits, weightBits: bits, outputBits: bits };
  const macs = g.m * g.n * g.k * g.repeat;
  const gemm = (m: number, n: number, k: number): GemmWork => ({ kind: 'gemm', m, n, k, repeat: g.repeat, macClass: cls });
  return [
    { ...w, ...at, work: gemm(g.m, g.k, g.n), macs, inputBytes: c, weightBytes: b, outputBytes: a },
    { ...w, ...at, work: gemm(g.k, g.n, g.m), macs, inputBytes: a, weightBytes: c, outputBytes: b },
  ];
}

const DISCRETE_BITS: Readonly<Record<string, number>> = { ternary: 2, binary: 1 };

/** A layer's learned tensors, split into those a discrete rule updates (coordinate descent's ternary weights) and the rest. */
function learned(w: LayerWork, cost: UpdateCost): { real: number; discrete: number; discreteBits: number } {
  const discreteBits = cost.discrete ? DISCRETE_BITS[weightDType(w.node)] ?? 0 : 0;
  let real = 0, discrete = 0;
  for (const [k, t] of Object.entries(w.node.params ?? {})) {
    if (k.startsWith('running_')) continue;
    if (k === 'weight' && discreteBits) discrete += numElements(t.shape);
    else real += numElements(t.shape);
  }
  return { real, discrete, discreteBits };
}

function updateWork(w: LayerWork, cost: UpdateCost, batch: number, sortOps: number): LayerWork | undefined {
  const { real, discrete, discreteBits } = learned(w, cost);
  if (real + discrete === 0 || !cost.priced) return undefined;
  const bits = MASTER_BYTES * 8;
  const ops = (real * cost.ops + discrete * ((cost.discrete?.ops ?? 0) + sortOps)) * (cost.perSample ? batch : 1);
  // Read: weights, gradient (f32), state; written: weights, state. Counted as weights so that every level moves them.
  const stored = real * cost.weightBytes + (discrete * discreteBits) / 8;
  const state = real * cost.stateBytes;
  return {
    ...w, work: { kind: 'vector', ops }, macs: 0,
    weightBytes: stored + (real + discrete) * MASTER_BYTES + state, inputBytes: 0, outputBytes: stored + state,
    inputBits: bits, weightBits: bits, outputBits: bits,
  };
}

/** Bytes every learned tensor's optimizer state takes between steps. */
export function stateBytes(m: Module, cost: UpdateCost): number {
  return moduleWork(m).reduce((a, w) => a + learned(w, cost).real * cost.stateBytes, 0);
}

export function trainingWork(m: Module, cost: UpdateCost, batch = 1): TrainingWork {
  const cuts = dropoutCuts(m);
  const notes = new Map<string, string>();
  const forward = moduleWork(m, { training: true }).map((w) => {
    if (w.op === 'dropout' && (w.node.attrs.p as number) > 0) {
      const keep = cuts.dropouts.get(w.name);
      notes.set(w.name, keep === undefined ? 'mask applied to every value (full GEMMs beside it)' : `kept ${+(keep * 100).toFixed(1)} % of the units: its neighbours multiply submatrices`);
      return maskWork(w, keep);
    }
    const cut = cuts.layers.get(w.name);
    if (!cut || w.work.kind !== 'gemm') return w;
    const c = cutGemm(w, w.work, cut);
    const why = [cut.by && `beside dropout \`${cut.by}\``, cut.keepCell !== undefined && `in-cell structured dropout keeping ${+(cut.keepCell * 100).toFixed(1)} % of the units`].filter(Boolean).join(', ');
    notes.set(w.name, `submatrix ${why}: ${w.macs.toLocaleString('en-US')} → ${c.macs.toLocaleString('en-US')} MACs`);
    return c;
  });
  const backward = forward.flatMap((w): LayerWork[] => {
    if (w.work.kind === 'gemm') return gradientGemms(w, w.work);
    return w.work.kind === 'vector' ? [w] : [];
  });
  // Coordinate descent ranks every discrete weight's estimate in one sort: ⌈log2 n⌉ comparisons each.
  const discrete = forward.reduce((a, w) => a + learned(w, cost).discrete, 0);
  const sortOps = discrete > 1 ? Math.ceil(Math.log2(discrete)) : 0;
  const extra = forward.flatMap((w) => (w.work.kind === 'gemm' ? Array.from({ length: cost.extraForwards }, () => w) : []));
  const update = [...forward.flatMap((w) => updateWork(w, cost, batch, sortOps) ?? []), ...extra];
  return { forward, backward, update, notes };
}
