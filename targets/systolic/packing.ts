/**
 * Operands packed into the array's words, in Kiln's own systolic model (a target that lists
 * `macs`). A PE doing `rate` MACs of a class per cycle consumes `rate` operands of each input per
 * cycle, packed along the reduction (channels of a convolution, K of a GEMM), so the GEMM SCALE-Sim
 * folds has K / rate; each of SCALE-Sim's accesses then moves rate × bits, counted in the target's
 * words, and its buffers hold bytes · 8 / (rate × bits) such operands. A class slower than one MAC
 * per PE per cycle (TPU v1's 16-bit mode) stretches the cycles instead. With no `macs` (a SCALE-Sim
 * .cfg) nothing changes: one access is one word, exactly as SCALE-Sim counts.
 *
 * Only a layer's final outputs are stored at its output precision. Weight and input stationary
 * arrays also write a partial sum per row fold before the last (SCALE-Sim counts rowFolds · M · N
 * ofmap writes); a partial sum is a running integer count, not an output, so it keeps SCALE-Sim's
 * one word whatever the outputs are: binary outputs do not shrink it to a bit, and f32 outputs
 * (a binary layer before a real batch norm) do not widen every row fold's partial sums to 32 bits.
 */
import type { GemmWork } from '../workload.ts';
import type { ScaleSimConfig } from './scalesim.ts';

export interface Packing {
  /** The GEMM the array steps through. */
  gemm: GemmWork;
  scalesim: ScaleSimConfig;
  /** Target words per SCALE-Sim access, per operand. */
  words: { ifmap: number; filter: number; ofmap: number };
  /** Cycles per SCALE-Sim cycle. */
  slow: number;
  note?: string;
}

export interface PackTarget {
  scalesim: ScaleSimConfig;
  wordBits: number;
  sramBytes: { ifmap: number; filter: number; ofmap: number };
}

export function packOperands(g: GemmWork, cfg: PackTarget, rate: number, bits: number, outBits: number): Packing {
  const pack = rate >= 1 ? Math.floor(rate) : 1;
  const opBits = pack * bits;
  const c = g.conv ? Math.ceil(g.conv.c / pack) : 0;
  const gemm: GemmWork = g.conv ? { ...g, k: g.conv.kh * g.conv.kw * c, conv: { ...g.conv, c } } : { ...g, k: Math.ceil(g.k / pack) };
  const kb = (bytes: number, b: number) => (bytes * 8) / b / 1024;
  const ofmapWords = ofmapWordsPerAccess(gemm, cfg, outBits);
  return {
    gemm,
    scalesim: { ...cfg.scalesim, ifmapSramKb: kb(cfg.sramBytes.ifmap, opBits), filterSramKb: kb(cfg.sramBytes.filter, opBits), ofmapSramKb: kb(cfg.sramBytes.ofmap, ofmapWords * cfg.wordBits) },
    words: { ifmap: opBits / cfg.wordBits, filter: opBits / cfg.wordBits, ofmap: ofmapWords },
    slow: rate < 1 ? 1 / rate : 1,
    note: pack > 1 ? `${pack} operands of ${bits} bits packed per PE per cycle: simulated with K = ${gemm.k} (from ${g.k})` : undefined,
  };
}

/**
 * Target words per ofmap access, averaged over the access stream: on ws / is a GEMM of reduction
 * K has ceil(K / rows) row folds, and all but the last write partial sums of one word.
 */
export function ofmapWordsPerAccess(gemm: GemmWork, cfg: PackTarget, outBits: number): number {
  const outWords = outBits / cfg.wordBits;
  const rowFolds = cfg.scalesim.dataflow === 'os' ? 1 : Math.ceil(gemm.k / cfg.scalesim.arrayRows);
  return (rowFolds - 1 + outWords) / rowFolds;
}

/** SCALE-Sim's model: no packing, one word per access. */
export function unpacked(g: GemmWork, cfg: PackTarget): Packing {
  return { gemm: g, scalesim: cfg.scalesim, words: { ifmap: 1, filter: 1, ofmap: 1 }, slow: 1 };
}
