/**
 * DRAM reads of the ifmap and filter read buffers in SCALE-Sim's CALC mode
 * (memory/read_buffer_estimate_bw.py), without materialising demand matrices.
 *
 * The buffer's only state that matters for counts is the set of addresses requested since the
 * last epoch boundary (see scalesim-bitset.ts). Two exact evaluators:
 *  - block model: when every cell of the operand has its own address (filters always; ifmaps of
 *    GEMMs, 1x1 and non-overlapping convs), each fold reads one "block" of distinct addresses,
 *    always in the same order, and blocks are either the same or disjoint. Then the epoch set is
 *    described per block by the suffix of its order read since the last boundary, and a fold
 *    costs O(1).
 *  - bitset model: conv ifmaps with overlapping windows (scalesim-fold-walk.ts), a bitset of
 *    the epoch's addresses committed a few address runs at a time.
 * Folds run column fold outer, row fold inner, as in systolic_compute_*.create_*_demand_mat.
 */

import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { ConvShape, FoldPlan } from './gemm-model.ts';
import { EpochBitset } from './scalesim-bitset.ts';
import { isFold, osFold, wsFold } from './scalesim-fold-units.ts';
import { FoldWalker } from './scalesim-fold-walk.ts';
import { ConvIfmap } from './scalesim-ifmap-geometry.ts';

/**
 * New addresses per epoch: 50 sets (active fraction 0.5) of floor(words / 100), 1 B words.
 * Below 100 words a set never fills, so no epoch ever ends (SCALE-Sim itself then crashes when
 * it flushes the buffer); we return Infinity: every distinct address is read once.
 */
export function readEpochSize(sramKb: number): number {
  const perSet = Math.floor(Math.floor(sramKb * 1024) / 100);
  return perSet > 0 ? 50 * perSet : Number.POSITIVE_INFINITY;
}

/** Epoch accounting when every access in a block is a distinct address. */
class BlockEpochs {
  resets = 0;
  fresh = 0;
  private epoch = 0;
  /** Per block: index (in the block's read order) from which it was read this epoch. */
  private readonly from: Float64Array;
  private readonly stamp: Int32Array;

  constructor(
    readonly epochSize: number,
    blocks: number,
  ) {
    this.from = new Float64Array(blocks);
    this.stamp = new Int32Array(blocks).fill(-1);
  }

  get dramReads(): number {
    return this.resets === 0 ? this.fresh : this.resets * this.epochSize + this.fresh;
  }

  visit(block: number, size: number): void {
    if (size <= 0) return;
    const missing = this.stamp[block] === this.epoch ? this.from[block]! : size;
    if (missing === 0) return;
    const E = this.epochSize;
    if (this.fresh + missing < E) {
      this.fresh += missing;
      this.from[block] = 0;
      this.stamp[block] = this.epoch;
      return;
    }
    // The boundary falls at index E - fresh - 1; everything after it is new again.
    const rest = size - (E - this.fresh);
    const more = Math.floor(rest / E);
    this.resets += 1 + more;
    this.fresh = rest - more * E;
    this.epoch++;
    this.from[block] = size - this.fresh;
    this.stamp[block] = this.epoch;
  }
}

/** Filter DRAM reads: the filter matrix is K x N with address n * K + k, all distinct. */
export function filterDramReads(plan: FoldPlan, epochSize: number): number {
  const { arrayRows: R, arrayCols: C, rowFolds, colFolds } = plan;
  const { N, K } = plan.gemm;
  if (plan.dataflow === 'ws') return K * N; // every filter word is read exactly once
  const used = (total: number, fold: number, width: number) => Math.min(width, total - fold * width);
  if (plan.dataflow === 'os') {
    // Fold (fc, fr) reads filter columns of col fold fc, all K rows.
    const b = new BlockEpochs(epochSize, colFolds);
    for (let fc = 0; fc < colFolds; fc++) {
      const size = K * used(N, fc, C);
      for (let fr = 0; fr < rowFolds; fr++) b.visit(fc, size);
    }
    return b.dramReads;
  }
  // IS: fold (fc, fr) reads filter rows of row fold fr, all N columns.
  const b = new BlockEpochs(epochSize, rowFolds);
  for (let fc = 0; fc < colFolds; fc++) {
    for (let fr = 0; fr < rowFolds; fr++) b.visit(fr, used(K, fr, R) * N);
  }
  return b.dramReads;
}

/** Ifmap DRAM reads for a conv layer (GEMM layers come as SCALE-Sim's 1 x K conv). */
export function ifmapDramReads(conv: ConvShape, plan: FoldPlan, epochSize: number): number {
  const g = new ConvIfmap(conv);
  return g.isInjective() ? ifmapByBlocks(g, plan, epochSize) : ifmapByBitset(g, plan, epochSize);
}

function ifmapByBlocks(g: ConvIfmap, plan: FoldPlan, epochSize: number): number {
  const { arrayRows: R, rowFolds, colFolds, dataflow } = plan;
  const { M, K } = g;
  const full = g.allValid();
  if (dataflow === 'is') {
    // Each (pixel, tap) cell is read exactly once.
    if (full) return M * K;
    let valid = 0;
    for (let m = 0; m < M; m++) valid += g.validWindow(m);
    return valid;
  }
  // OS: block = row fold (R pixels x all taps). WS: block = row fold (R taps x all pixels).
  const sizes = new Float64Array(rowFolds);
  for (let fr = 0; fr < rowFolds; fr++) {
    const lo = fr * R;
    const hi = Math.min(lo + R, dataflow === 'os' ? M : K);
    if (full) sizes[fr] = (hi - lo) * (dataflow === 'os' ? K : M);
    else {
      let s = 0;
      for (let i = lo; i < hi; i++) s += dataflow === 'os' ? g.validWindow(i) : g.validPixels(i);
      sizes[fr] = s;
    }
  }
  const b = new BlockEpochs(epochSize, rowFolds);
  for (let fc = 0; fc < colFolds; fc++) {
    for (let fr = 0; fr < rowFolds; fr++) b.visit(fr, sizes[fr]!);
  }
  return b.dramReads;
}

/**
 * Addresses the bitset model tracks: a bit each in two bitsets (the epoch and a scratch copy),
 * 64 MiB apiece at this size, which keeps a run under 500 MB. The largest overlapping ifmap in
 * SCALE-Sim's shipped topologies (UNet_2d Conv9a, 1868×1868×128) is 447 M words.
 */
const MAX_TRACKED_ADDRESSES = 2 ** 29;

function ifmapByBitset(g: ConvIfmap, plan: FoldPlan, epochSize: number): number {
  const { arrayRows: R, arrayCols: C, rowFolds, colFolds, dataflow } = plan;
  if (g.addressSpace > MAX_TRACKED_ADDRESSES) {
    throw new KilnError(
      error('scalesim-too-large', `an ifmap of ${g.addressSpace} words with overlapping windows is too large to model`, undefined,
        'the DRAM model of overlapping conv windows handles ifmaps of up to 2^29 words; split the layer'),
    );
  }
  const bits = new EpochBitset(g.addressSpace, epochSize);
  const walker = new FoldWalker(g, bits);
  for (let fc = 0; fc < colFolds; fc++) {
    for (let fr = 0; fr < rowFolds; fr++) {
      const r0 = fr * R;
      if (dataflow === 'os') walker.walk(osFold(r0, Math.min(R, g.M - r0), g.K));
      else if (dataflow === 'ws') walker.walk(wsFold(R, g.M, r0, Math.min(R, g.K - r0)));
      else {
        const m0 = fc * C;
        walker.walk(isFold(R, m0, Math.min(C, g.M - m0), r0, Math.min(R, g.K - r0)));
      }
    }
  }
  return bits.dramReads;
}
