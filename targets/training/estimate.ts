/**
 * `kiln estimate --training`: one training step (forward, backward, weight update) priced by the
 * same cost models as inference, each phase on its own so every layer shows the split, and an
 * epoch as ceil(training samples ÷ batch) steps.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { estimateLayers, finiteOrThrow } from '../estimate.ts';
import { withParamBytes } from '../param-size.ts';
import { sumBreakdowns, type LayerStats, type TargetResult } from '../stats.ts';
import { updateCost, type OptimizerChoice } from './optimizers.ts';
import { stateBytes, trainingWork } from './work.ts';

export const PHASES = ['forward', 'backward', 'update'] as const;
export type Phase = (typeof PHASES)[number];

export interface TrainingPlan {
  /** Samples per step. */
  batch: number;
  /** Training samples an epoch covers; absent without a train block naming its data. */
  samples?: number;
  optimizer: OptimizerChoice;
}

export interface PhaseFigures {
  macs: number;
  cycles: number;
  latency_s: number;
  energy_j: number;
}

/** A target that runs the network but not its training: where training happens instead. */
export interface OffChip {
  target: string;
  kind: string;
  off_chip: string;
}

export const offChip = (e: object): e is OffChip => 'off_chip' in e;

export const stepsPerEpoch = (p: TrainingPlan) => (p.samples === undefined ? undefined : Math.ceil(p.samples / p.batch));

const figures = (r: { macs: number; cycles?: number; energy_j: number }, clockHz: number): PhaseFigures =>
  ({ macs: r.macs, cycles: r.cycles ?? 0, latency_s: (r.cycles ?? 0) / clockHz, energy_j: r.energy_j });


/** Sum phase rows that belong to one layer (a GEMM's backward is two rows, dA and dB). */
function mergeRows(name: string, rows: Record<Phase, LayerStats[]>, clockHz: number, note?: string): LayerStats {
  const all = PHASES.flatMap((p) => rows[p]);
  const first = rows.forward[0] ?? all[0]!;
  const sum = (f: (l: LayerStats) => number | undefined) => all.reduce((a, l) => a + (f(l) ?? 0), 0);
  const actions: Record<string, number> = {};
  for (const l of all) for (const [k, v] of Object.entries(l.actions)) actions[k] = (actions[k] ?? 0) + v;
  const phases = Object.fromEntries(PHASES.map((p) => {
    const rs = rows[p];
    return [p, figures({ macs: rs.reduce((a, l) => a + l.macs, 0), cycles: rs.reduce((a, l) => a + (l.cycles ?? 0), 0), energy_j: rs.reduce((a, l) => a + l.energy_j, 0) }, clockHz)];
  })) as Record<Phase, PhaseFigures>;
  const cycles = sum((l) => l.cycles);
  const notes = [...new Set([...(note ? [note] : []), ...all.flatMap((l) => l.notes ?? [])])];
  return {
    name, op: first.op, macs: sum((l) => l.macs), cycles, latency_s: cycles / clockHz, compute_cycles: sum((l) => l.compute_cycles), stall_cycles: sum((l) => l.stall_cycles),
    energy_j: sum((l) => l.energy_j), utilization: cycles ? sum((l) => (l.utilization ?? 0) * (l.cycles ?? 0)) / cycles : 0,
    unit: first.unit, bound: first.bound, actions, breakdown_j: sumBreakdowns(all), ...(notes.length ? { notes } : {}),
    details: { phases },
  };
}

/** The clock the target's cycles count: cycles ÷ latency of any phase that counted some (1 Hz when none did: all latencies are 0). */
const clockOf = (rs: TargetResult[]) => {
  const r = rs.find((x) => x.summary.cycles && x.summary.latency_s);
  return r ? r.summary.cycles! / r.summary.latency_s : 1;
};

/**
 * The phases warn alike about one assumption (f32 MACs assumed quantized), each naming its own
 * layers; the backward's names every layer whose gradients are f32, so the longest is kept.
 */
function onePerKind(warnings: string[]): string[] {
  const byKind = new Map<string, string>();
  for (const w of warnings) {
    const kind = w.replace(/\([^)]*`[^)]*\)/g, '');
    if ((byKind.get(kind)?.length ?? -1) < w.length) byKind.set(kind, w);
  }
  return [...byKind.values()];
}

export function estimateTraining(m: Module, target: TargetDescription, plan: TrainingPlan): TargetResult | OffChip {
  if (target.kind === 'neuromorphic') {
    return { target: target.name, kind: target.kind, off_chip: `training runs off-chip: \`${target.name}\` declares no on-chip learning, and the backpropagation a train block asks for needs gradients through every layer, which Loihi's on-chip learning engine (local plasticity rules) does not compute; price the training on a CPU or array target and deploy the trained network here` };
  }
  const cost = updateCost(plan.optimizer);
  const work = trainingWork(m, cost, plan.batch);
  const runs = { forward: estimateLayers(target, work.forward), backward: estimateLayers(target, work.backward), update: estimateLayers(target, work.update) };
  const clockHz = clockOf(PHASES.map((p) => runs[p]));
  const byName = new Map<string, Record<Phase, LayerStats[]>>();
  for (const w of work.forward) byName.set(w.name, { forward: [], backward: [], update: [] });
  for (const p of PHASES) for (const l of runs[p].layers) byName.get(l.name)![p].push(l);
  const layers = [...byName].map(([name, rows]) => mergeRows(name, rows, clockHz, work.notes.get(name)));
  const s = PHASES.map((p) => runs[p].summary);
  const latency = s.reduce((a, x) => a + x.latency_s, 0);
  const energy = s.reduce((a, x) => a + x.energy_j, 0);
  const cycles = s.reduce((a, x) => a + (x.cycles ?? 0), 0);
  const steps = stepsPerEpoch(plan);
  const { cycles: _c, latency_s: _l, energy_j: _e, breakdown_j: _b, macs: _m, utilization: _u, ...extra } = runs.forward.summary;
  const r: TargetResult = {
    target: target.name, kind: target.kind,
    summary: {
      ...extra,
      phase: 'training', batch: plan.batch,
      cycles, latency_s: latency, energy_j: energy, breakdown_j: sumBreakdowns(s.map((x) => ({ breakdown_j: x.breakdown_j }))),
      macs: s.reduce((a, x) => a + x.macs, 0),
      utilization: cycles ? s.reduce((a, x) => a + (x.utilization ?? 0) * (x.cycles ?? 0), 0) / cycles : 0,
      per_step: { latency_s: latency, energy_j: energy },
      ...(steps !== undefined ? { per_epoch: { latency_s: latency * steps, energy_j: energy * steps, steps } } : {}),
      phases: Object.fromEntries(PHASES.map((p) => [p, { macs: runs[p].summary.macs, cycles: runs[p].summary.cycles ?? 0, latency_s: runs[p].summary.latency_s, energy_j: runs[p].summary.energy_j }])),
      optimizer: { ...plan.optimizer, priced: cost.priced, state_buffers: cost.state, ops_per_param: cost.ops, state_bytes: stateBytes(m, cost), note: cost.note },
    },
    layers,
    warnings: onePerKind(PHASES.flatMap((p) => runs[p].warnings)),
    notes: [...new Set(PHASES.flatMap((p) => runs[p].notes))],
    prices: Object.assign({}, ...PHASES.map((p) => runs[p].prices)),
  };
  return finiteOrThrow(withParamBytes(r, { kind: 'module', module: m }), target);
}
