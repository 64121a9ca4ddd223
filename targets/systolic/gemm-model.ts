/**
 * SCALE-Sim v2's compute model in closed form: how a conv layer becomes a GEMM, how the GEMM is
 * folded onto an R x C array for each dataflow, and the cycle, utilisation and SRAM-access counts
 * that follow. Every formula here was checked against SCALE-Sim's own per-fold loops
 * (compute/systolic_compute_{os,ws,is}.py, single_layer_sim.py); docs/scalesim-semantics.md
 * lists the conventions, including the ones that look like bugs but are what v2 reports.
 */

export type Dataflow = 'os' | 'ws' | 'is';

export const DATAFLOWS: readonly Dataflow[] = ['os', 'ws', 'is'];

/** A conv layer as SCALE-Sim's topology CSV describes it (batch is always 1, no padding). */
export interface ConvShape {
  ifmapH: number;
  ifmapW: number;
  filterH: number;
  filterW: number;
  channels: number;
  numFilters: number;
  strideH: number;
  strideW: number;
}

/** ifmap (M x K) times filter (K x N): M output pixels, N filters, K = window size. */
export interface GemmShape {
  M: number;
  N: number;
  K: number;
}

export interface ArrayShape {
  rows: number;
  cols: number;
}

/**
 * SCALE-Sim's ofmap size: ceil((H - F + S) / S). This equals the usual floor((H - F) / S) + 1
 * only when S divides H - F; otherwise it adds a partial window whose out-of-bounds taps are
 * skipped by the memory model but still cost cycles and SRAM reads.
 */
export function convOutputDims(c: ConvShape): { eh: number; ew: number } {
  return {
    eh: Math.ceil((c.ifmapH - c.filterH + c.strideH) / c.strideH),
    ew: Math.ceil((c.ifmapW - c.filterW + c.strideW) / c.strideW),
  };
}

/** The (M, N, K) SCALE-Sim runs for a conv layer, and its MAC count (num_compute). */
export function gemmFromConv(c: ConvShape): GemmShape & { macs: number } {
  const { eh, ew } = convOutputDims(c);
  const M = eh * ew;
  const N = c.numFilters;
  const K = c.filterH * c.filterW * c.channels;
  return { M, N, K, macs: M * N * K };
}

/** SCALE-Sim's own GEMM-to-conv mapping for `-i gemm` rows: H=M, W=K, F=1xK, C=1, S=1. */
export function convFromGemm(g: GemmShape): ConvShape {
  return {
    ifmapH: g.M,
    ifmapW: g.K,
    filterH: 1,
    filterW: g.K,
    channels: 1,
    numFilters: g.N,
    strideH: 1,
    strideW: 1,
  };
}

/** How one GEMM is folded onto the array for one dataflow. */
export interface FoldPlan {
  dataflow: Dataflow;
  arrayRows: number;
  arrayCols: number;
  gemm: GemmShape;
  /** Spatial rows (mapped on array rows), spatial cols, temporal dimension. */
  sr: number;
  sc: number;
  t: number;
  rowFolds: number;
  colFolds: number;
  folds: number;
  /** Demand lines (cycles) each fold occupies; folds never overlap. */
  linesPerFold: number;
  /** The per-fold cycle count SCALE-Sim divides by for compute utilisation. */
  computeLinesPerFold: number;
}

export function foldPlan(gemm: GemmShape, array: ArrayShape, dataflow: Dataflow): FoldPlan {
  const R = array.rows;
  const C = array.cols;
  const { M, N, K } = gemm;
  const [sr, sc, t] = dataflow === 'os' ? [M, N, K] : dataflow === 'ws' ? [K, N, M] : [K, M, N];
  const rowFolds = Math.ceil(sr / R);
  const colFolds = Math.ceil(sc / C);
  // OS: T-1 idle prefix, R flipped ofmap rows, skewed by C-1. WS/IS: R weight-load rows, T
  // streaming rows and C-1 drain rows, skewed by R-1. WS/IS utilisation is divided by the
  // filter (resp. ifmap) matrix height plus its width - 1, i.e. one more C-1 than the lines.
  const linesPerFold = dataflow === 'os' ? t + R + C - 2 : 2 * R + C + t - 2;
  const computeLinesPerFold = dataflow === 'os' ? linesPerFold : 2 * R + 2 * C + t - 3;
  return {
    dataflow,
    arrayRows: R,
    arrayCols: C,
    gemm: { M, N, K },
    sr,
    sc,
    t,
    rowFolds,
    colFolds,
    folds: rowFolds * colFolds,
    linesPerFold,
    computeLinesPerFold,
  };
}

export interface ComputeStats {
  /** SCALE-Sim's "Total Cycles" without stalls: the index of the last ofmap demand line. */
  computeCycles: number;
  mappingEfficiencyPct: number;
  computeUtilPct: number;
  /** 100 * MACs / (total cycles * R * C); uses computeCycles (CALC mode never stalls). */
  overallUtilPct: number;
  sramIfmapReads: number;
  sramFilterReads: number;
  sramOfmapWrites: number;
}

export function computeStats(plan: FoldPlan): ComputeStats {
  const { arrayRows: R, arrayCols: C, folds, gemm, rowFolds, colFolds } = plan;
  const { M, N, K } = gemm;
  const computeCycles = folds * plan.linesPerFold - 1;
  // Mean over folds of used/(R*C): the used PEs sum to sr*sc over all folds.
  const mapping = (plan.sr * plan.sc) / (R * C * folds);
  const computeUtil = (mapping * plan.t) / plan.computeLinesPerFold;
  const macs = M * N * K;
  // SCALE-Sim would divide by zero for a 1-line run (1x1 array, 1x1x1 GEMM); report 100%.
  const overall = computeCycles > 0 ? macs / (computeCycles * R * C) : 1;
  let sramIfmapReads: number;
  let sramFilterReads: number;
  let sramOfmapWrites: number;
  if (plan.dataflow === 'os') {
    sramIfmapReads = colFolds * M * K;
    sramFilterReads = rowFolds * K * N;
    // create_ofmap_demand_mat adds rows + cols of the padded fold block per fold.
    sramOfmapWrites = M * N + folds * (R + C);
  } else if (plan.dataflow === 'ws') {
    sramIfmapReads = colFolds * M * K;
    sramFilterReads = K * N;
    sramOfmapWrites = rowFolds * M * N;
  } else {
    sramIfmapReads = M * K;
    sramFilterReads = colFolds * K * N;
    sramOfmapWrites = rowFolds * M * N;
  }
  return {
    computeCycles,
    mappingEfficiencyPct: 100 * mapping,
    computeUtilPct: 100 * computeUtil,
    overallUtilPct: 100 * overall,
    sramIfmapReads,
    sramFilterReads,
    sramOfmapWrites,
  };
}
