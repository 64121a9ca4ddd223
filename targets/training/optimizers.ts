/**
 * What an optimizer's weight update costs per parameter: the state buffers it keeps beside the
 * weights (each read and written every step) and the elementwise operations of its update rule,
 * counted from runtime/optim.ts. An optimizer Kiln adds is one row here; one without a row is
 * said in a note and its update is left unpriced rather than priced as something else.
 */

export interface OptimizerCost {
  /** Buffers of one value per parameter kept between steps. */
  state: number;
  /** Elementwise operations per parameter per step (per sample when `perSample`). */
  ops: number;
  /** How the row was counted. */
  source: string;
  /** The update runs after every sample of the batch, not once per step. */
  perSample?: boolean;
  /** Forward-sized passes beyond the step's forward and backward. */
  extraForwards?: number;
  /** Discrete (ternary or binary) weights updated by another rule, with no f32 copy. */
  discrete?: { state: number; ops: number; source: string };
}

export const OPTIMIZER_COSTS: Readonly<Record<string, OptimizerCost>> = {
  sgd: { state: 0, ops: 2, source: 'w ← w − lr·g: a multiply and an add' },
  momentum: { state: 1, ops: 4, source: 'v ← μ·v + g (2), w ← w − lr·v (2)' },
  adam: { state: 2, ops: 14, source: 'm ← β1·m + (1−β1)·g (3), v ← β2·v + (1−β2)·g² (4), bias corrections (2), √ + ε, divide, × lr, add (5)' },
  // runtime/train/ebp.ts: the δ back-propagation and the outer product δ·v̄ are GEMMs the size of
  // backprop's dX and dW, so the backward phase prices them; what is left is elementwise.
  ebp: {
    state: 1, ops: 3, perSample: true, extraForwards: 1,
    source: 'per sample: h ← h + η·δ·v̄/√V (the outer product priced as the weight-gradient GEMM; 2), tanh(h) refreshed (1); the variances σ² one more forward-sized pass',
  },
  // runtime/train/coordinate-descent.ts: Adam on the real parameters; discrete weights only
  // propose, rank and apply moves, confirmed by at least one more forward pass (up to `tries`).
  coordinate_descent: {
    state: 2, ops: 14, extraForwards: 1,
    source: 'adam on the real parameters; the confirming forward pass priced once (the minimum; up to `tries`)',
    discrete: { state: 0, ops: 4, source: 'discrete weights: ΔL ≈ g·(w′ − w) (2), ranked (1, plus the sort\'s ⌈log2 n⌉ comparisons), moved (1), no f32 copy or moments' },
  },
};

/** Bytes of one stored weight per `storage =` format (runtime/train/storage.ts). */
export const STORAGE_BYTES: Readonly<Record<string, number>> = { f32: 4, f16: 2, bf16: 2, i16: 2 };

/**
 * Kahan-compensated updates (Park et al. 2018) keep one compensation buffer and turn the final add
 * into y = δ − c, t = w + y, c = (t − w) − y: three operations more.
 */
export const KAHAN: OptimizerCost = { state: 1, ops: 3, source: 'Kahan summation: y = δ − c, t = w + y, c = (t − w) − y replace w + δ' };

/** L2 weight decay adds wd·w to the gradient: a multiply and an add. */
export const WEIGHT_DECAY_OPS = 2;

/** The optimizer settings a training estimate needs, as the train block gives them. */
export interface OptimizerChoice {
  /** A row of OPTIMIZER_COSTS: `sgd`, `momentum` (sgd with momentum > 0), `adam`, … */
  name: string;
  kahan: boolean;
  weightDecay: number;
  /** The format weights are stored in between steps; f32 when absent. */
  storage?: string;
}

export interface UpdateCost {
  state: number;
  ops: number;
  /** What the update's price rests on, or why it has none. */
  note: string;
  priced: boolean;
  perSample: boolean;
  extraForwards: number;
  /** Bytes a parameter and its state take between steps (the stored weight, f32 moments, the compensation at the storage's width). */
  weightBytes: number;
  stateBytes: number;
  discrete?: { state: number; ops: number };
}

export function updateCost(o: OptimizerChoice): UpdateCost {
  const row = OPTIMIZER_COSTS[o.name];
  if (!row) {
    return { state: 0, ops: 0, priced: false, perSample: false, extraForwards: 0, weightBytes: 4, stateBytes: 0,
      note: `optimizer \`${o.name}\` has no row in Kiln's optimizer cost table (targets/training/optimizers.ts): its weight update and state are not priced` };
  }
  const parts = [`${o.name}: ${row.source}`];
  let { state, ops } = row;
  const storage = o.storage ?? 'f32';
  const weightBytes = STORAGE_BYTES[storage] ?? 4;
  let stateBytes = 4 * state;
  if (o.kahan) {
    state += KAHAN.state;
    ops += KAHAN.ops;
    stateBytes += weightBytes;
    parts.push(KAHAN.source);
  }
  if (storage !== 'f32') {
    // Every stored value is rounded after the update; i16 first finds the tensor's max|w| for its exponent.
    const round = storage === 'i16' ? 2 : 1;
    const rounded = o.kahan ? 2 : 1;
    ops += round * rounded;
    parts.push(`${storage} storage: ${weightBytes}-byte weights${o.kahan ? ' and compensation' : ''}, each rounded after the update (${round * rounded})`);
  }
  if (o.weightDecay > 0) {
    ops += WEIGHT_DECAY_OPS;
    parts.push('weight decay g + wd·w (2)');
  }
  if (row.discrete) parts.push(row.discrete.source);
  const per = row.perSample ? ' per sample' : '';
  return {
    state, ops, priced: true, perSample: !!row.perSample, extraForwards: row.extraForwards ?? 0, weightBytes, stateBytes,
    ...(row.discrete ? { discrete: { state: row.discrete.state, ops: row.discrete.ops } } : {}),
    note: `update: ${ops} operations${per} and ${state} state buffer${state === 1 ? '' : 's'} per parameter (${parts.join('; ')})`,
  };
}
