/**
 * The sizes Kiln's SCALE-Sim model accepts (docs/scalesim-semantics.md, "Limits"). SCALE-Sim
 * itself has none and would build demand matrices of that size; Kiln's closed forms would
 * answer, but some counts stop being exact past 2^53, and a few tables are sized by a layer
 * dimension, so a mistyped 1e9 must be refused, not computed for an hour or allocated.
 * Every limit is far above the largest shipped SCALE-Sim topology (GNMT's 36 548-wide GEMM, the
 * 4K convs of Resnet50_4k) and real arrays (TPU v1: 256×256).
 */
import { convOutputDims, type ConvShape, type GemmShape } from './gemm-model.ts';

export const SCALESIM_LIMITS = {
  /** ArrayHeight, ArrayWidth. */
  arraySide: 65_536,
  /** IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB: 1 GiB of one-byte words. */
  sramKb: 1_048_576,
  /** MemoryBanks. */
  memoryBanks: 1_024,
  /** Conv rows: ifmap height and width, filter height and width, channels, filters, strides. */
  convDim: 16_777_216,
  /** Filter taps Fh·Fw·C of a conv (the ifmap model keeps a table per tap). */
  convTaps: 4_194_304,
  /** GEMM rows: M, N and K, and a conv's M = Eh·Ew output pixels. */
  gemmDim: 16_777_216,
  /** M·N·K (MACs) and ifmap words: above 2^53 the counts are no longer exact doubles. */
  product: 2 ** 53,
  /** Folds of one layer on the array (the DRAM model keeps per-fold state). */
  folds: 4_194_304,
  /** Layers of one topology, after splitting depthwise (`DP`) rows into one layer per channel. */
  layers: 65_536,
} as const;

const L = SCALESIM_LIMITS;

export interface LimitBreach {
  /** Which field is too large (a ConvShape or GemmShape key, or a product's name). */
  field: string;
  message: string;
}

/** The first limit a conv row of a topology CSV breaks, or undefined. */
export function convBreach(c: ConvShape): LimitBreach | undefined {
  const dims: [keyof ConvShape, string][] = [
    ['ifmapH', 'IFMAP height'], ['ifmapW', 'IFMAP width'], ['filterH', 'filter height'], ['filterW', 'filter width'],
    ['channels', 'channels'], ['numFilters', 'number of filters'], ['strideH', 'stride'], ['strideW', 'column stride'],
  ];
  for (const [field, what] of dims) {
    if (c[field] > L.convDim) return { field, message: `${what} ${c[field]} is above Kiln's limit of ${L.convDim.toLocaleString('en-US')}` };
  }
  const { eh, ew } = convOutputDims(c);
  if (eh * ew > L.gemmDim) return { field: 'ifmapH', message: `an output of ${eh}×${ew} = ${(eh * ew).toLocaleString('en-US')} pixels is above Kiln's limit of ${L.gemmDim.toLocaleString('en-US')} (the GEMM's M)` };
  return shapeBreach(c);
}

/**
 * What every layer must satisfy, however it was given (GEMM rows run as 1×K convs, so they are
 * not held to the conv limits): the ifmap words and, for a real conv, its taps.
 */
export function shapeBreach(c: ConvShape): LimitBreach | undefined {
  const taps = c.filterH * c.filterW * c.channels;
  const gemmLike = c.filterH === 1 && c.channels === 1;
  if (!gemmLike && taps > L.convTaps) return { field: 'channels', message: `a filter of ${c.filterH}×${c.filterW}×${c.channels} = ${taps.toLocaleString('en-US')} taps is above Kiln's limit of ${L.convTaps.toLocaleString('en-US')}` };
  const words = c.ifmapH * c.ifmapW * c.channels;
  if (words > L.product) return { field: 'channels', message: `an ifmap of ${words.toExponential(2)} words is above 2^53` };
  return undefined;
}

/** The first limit a GEMM breaks, or undefined. */
export function gemmBreach(g: GemmShape): LimitBreach | undefined {
  for (const field of ['M', 'N', 'K'] as const) {
    if (g[field] > L.gemmDim) return { field, message: `${field} = ${g[field]} is above Kiln's limit of ${L.gemmDim.toLocaleString('en-US')}` };
  }
  const macs = g.M * g.N * g.K;
  if (macs > L.product) return { field: 'K', message: `M·N·K = ${macs.toExponential(2)} MACs is above 2^53, where counts stop being exact` };
  return undefined;
}

/** The hint every limit message carries. */
export const LIMIT_HINT = 'Kiln\'s SCALE-Sim limits are listed in docs/scalesim-semantics.md ("Limits"); split the layer or use a smaller size';
