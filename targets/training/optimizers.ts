/**
 * What an optimizer's weight update costs per parameter: the state buffers it keeps beside the
 * weights (each read and written every step) and the elementwise operations of its update rule,
 * counted from runtime/optim.ts. An optimizer Kiln adds is one row here; one without a row is
 * said in a note and its update is left unpriced rather than priced as something else.
 */

export interface OptimizerCost {
  /** Buffers of one value per parameter kept between steps. */
  state: number;
  /** Elementwise operations per parameter per step. */
  ops: number;
  /** How the row was counted. */
  source: string;
}

export const OPTIMIZER_COSTS: Readonly<Record<string, OptimizerCost>> = {
  sgd: { state: 0, ops: 2, source: 'w ← w − lr·g: a multiply and an add' },
  momentum: { state: 1, ops: 4, source: 'v ← μ·v + g (2), w ← w − lr·v (2)' },
  adam: { state: 2, ops: 14, source: 'm ← β1·m + (1−β1)·g (3), v ← β2·v + (1−β2)·g² (4), bias corrections (2), √ + ε, divide, × lr, add (5)' },
};

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
}

export interface UpdateCost {
  state: number;
  ops: number;
  /** What the update's price rests on, or why it has none. */
  note: string;
  priced: boolean;
}

export function updateCost(o: OptimizerChoice): UpdateCost {
  const row = OPTIMIZER_COSTS[o.name];
  if (!row) {
    return { state: 0, ops: 0, priced: false, note: `optimizer \`${o.name}\` has no row in Kiln's optimizer cost table (targets/training/optimizers.ts): its weight update and state are not priced` };
  }
  const parts = [`${o.name}: ${row.source}`];
  let { state, ops } = row;
  if (o.kahan) {
    state += KAHAN.state;
    ops += KAHAN.ops;
    parts.push(KAHAN.source);
  }
  if (o.weightDecay > 0) {
    ops += WEIGHT_DECAY_OPS;
    parts.push('weight decay g + wd·w (2)');
  }
  return { state, ops, priced: true, note: `update: ${ops} operations and ${state} state buffer${state === 1 ? '' : 's'} per parameter (${parts.join('; ')})` };
}
