/**
 * Activity probes: how an op reports the activity its layer is priced by. A probe names the
 * quantity it measures (targets/activity.ts, ACTIVITY_KEYS), says which nodes it measures, and
 * keeps a running tally while the interpreter runs the network on sample data; measure.ts feeds
 * it every evaluation of its node (each time step of each batch).
 *
 * A new op plugs in by adding its probe to ACTIVITY_PROBES (docs/cost-model.md, "Activity"): a
 * delta or sigma-delta layer reports `delta_fraction`, the share of its input changes it
 * transmitted, from the counts its kernel keeps (a probe may add run options for that); a
 * sigma-delta layer its events and bits per activation, from the integers its units sent.
 */
import type { Module, Node } from '../../compiler/ir/module.ts';
import { isDeltaLayer } from '../../targets/activity-pricing.ts';
import type { MacCount } from '../kernels/delta-encode.ts';
import type { ActivityKey } from '../../targets/activity.ts';
import { isSigmaDelta } from '../../targets/lmu-work.ts';
import type { SentCounts } from '../interpreter/lmu.ts';
import { SentTally } from '../sigma-delta-activity.ts';
import type { RunOptions } from '../interpreter.ts';
import type { Tensor } from '../tensor.ts';

export interface ProbeTally {
  /**
   * One evaluation of the node: its output, of which only the first `rows` samples are real data,
   * and what the op saved on the tape when the run records one (a probe's runOptions ask for it).
   */
  observe(output: Tensor, rows: number, saved?: Readonly<Record<string, unknown>>): void;
  /** The measured quantity after every batch (undefined: nothing observed). */
  value(): number | undefined;
  /** Other quantities the same tally measured, beside the probe's key. */
  others?(): Partial<Record<ActivityKey, number>>;
  /** Per neuron of a sample (NCHW), for quantities a mapping needs neuron by neuron (firing rates). */
  perNeuron?(): Float64Array;
}

export interface ActivityProbe {
  key: ActivityKey;
  applies(node: Node, m: Module): boolean;
  /**
   * Options the interpreter needs for this probe, made once per measurement and merged into every
   * batch's run: counters an op's kernel fills (a delta layer's MACs done and dense, by node id).
   */
  runOptions?(): Partial<RunOptions>;
  /** A tally for one node; `run` is what runOptions made, for reading those counters. */
  start(node: Node, m: Module, run: Partial<RunOptions>): ProbeTally;
}

const perSample = (node: Node) => node.type!.shape.slice(1).reduce((a, b) => a * b, 1);

/** Mean of f(v) over every real element of every evaluation; optionally also per neuron. */
function meanTally(node: Node, f: (v: number) => number, neurons: boolean): ProbeTally {
  const size = perSample(node);
  const per = neurons ? new Float64Array(size) : undefined;
  let sum = 0, count = 0, rows = 0;
  return {
    observe(out, n) {
      const d = out.data;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < size; i++) {
          const v = f(d[b * size + i]!);
          sum += v;
          if (per) per[i]! += v;
        }
      }
      count += n * size;
      rows += n;
    },
    value: () => (count ? sum / count : undefined),
    // Each neuron's mean over samples and time steps (rows counts a sample once per step).
    ...(per ? { perNeuron: () => per.map((s) => (rows ? Math.min(1, s / rows) : 0)) } : {}),
  };
}

/**
 * Spikes per neuron per time step of every lif population and of a spiking network's input (what
 * a rate-coding host would send: clamp(x, 0, 1) per pixel). A membrane readout has none: its
 * output is a potential, whose mean may be negative, and it never fires.
 */
const spiking = (n: Node) => n.op === 'lif' && n.attrs.readout !== 'membrane';
const firingRate: ActivityProbe = {
  key: 'firing_rate',
  applies: (n, m) => spiking(n) || (n.op === 'input' && Object.values(m.nodes).some(spiking)),
  start: (n) => meanTally(n, n.op === 'lif' ? (v) => v : (v) => Math.min(1, Math.max(0, v)), true),
};

/** Exact zeros in a layer's output, each time step counted: the products a zero-skipping unit can avoid downstream. */
const zeroFraction: ActivityProbe = {
  key: 'zero_fraction',
  applies: (n) => n.op !== 'param',
  start: (n) => meanTally(n, (v) => (v === 0 ? 1 : 0), false),
};

/**
 * A delta layer's multiply-accumulates done over the dense layer's on the same inputs, from the
 * counts its kernel keeps in RunOptions.macs (runtime/interpreter/delta.ts).
 */
const deltaFraction: ActivityProbe = {
  key: 'delta_fraction',
  applies: (n) => isDeltaLayer(n),
  runOptions: () => ({ macs: new Map<string, MacCount>() }),
  start: (n, _m, run) => ({
    observe() {},
    value() {
      const c = run.macs?.get(n.id);
      return c && c.dense > 0 ? c.done / c.dense : undefined;
    },
  }),
};

/**
 * A sigma-delta layer's mean events (|n|) per unit and step, and the bits per activation of a
 * fixed-width code per unit (runtime/sigma-delta-activity.ts, `fixed_bits`: the form of Voelker
 * et al. 2020's figure), from the integers its units sent, which the op saves on the tape.
 */
const sigmaDeltaEvents: ActivityProbe = {
  key: 'events_per_activation',
  applies: (n) => isSigmaDelta(n),
  runOptions: () => ({ record: true }),
  start: (n) => {
    const tally = new SentTally();
    const summary = () => tally.summary()[n.id];
    return {
      observe(_out, _rows, saved) { if (saved?.counts) tally.add(n.id, saved.counts as SentCounts); },
      value: () => summary()?.events_per_activation,
      others: () => { const s = summary(); return s ? { bits_per_activation: s.fixed_bits } : {}; },
    };
  },
};

/** Every probe a measurement runs; an op with its own activity adds one here. */
export const ACTIVITY_PROBES: ActivityProbe[] = [firingRate, zeroFraction, deltaFraction, sigmaDeltaEvents];
