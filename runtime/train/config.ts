/**
 * A train block as a training configuration. The language checker has already checked each
 * property's kind (compiler/lang/block-schema.ts TRAIN_SCHEMA); this gives the calls' arguments meaning and
 * reports unknown or ill-typed ones at their position, with the arguments that are allowed.
 */
import type { Loc } from '../../compiler/lang/ast.ts';
import { didYouMean, error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Value } from '../../compiler/lang/items.ts';
import type { TargetProperty, TrainDescription } from '../../compiler/lang/description.ts';
import type { LossKind } from '../autodiff/loss.ts';
import type { RateBand } from '../autodiff/rate-band.ts';
import type { OptimizerKind, OptimizerSpec, Schedule } from '../optim.ts';
import { STORAGE_FORMATS, type WeightStorage } from './storage.ts';

export interface TrainConfig {
  /** The train block's name and the network it trains. */
  name: string;
  network: string;
  data: { name: string; args: Record<string, number | string> };
  epochs: number;
  /** Minibatch size; absent: the network's own batch size. */
  batch?: number;
  seed: number;
  optimizer: OptimizerSpec;
  loss: LossKind;
  schedule: Schedule;
  /** Training-time augmentation: random translations of up to `shift` pixels (image data only). */
  augment: { shift: number };
  /** Weight of the L1 cost on `delta =` layers' changes (runtime/autodiff/delta-rules.ts). */
  deltaL1: number;
  /** Epochs over which sigma-delta units blend from non-spiking to spiking (docs/lmu.md); 0: spiking throughout. */
  spikingAnneal: number;
  /** Epochs over which every delta layer's θ rises linearly from 0 to its own (docs/delta-networks.md); 0: full θ throughout. */
  deltaAnneal: number;
  /** Arithmetic of dense and conv2d GEMMs: f32, or int16 dynamic fixed point (autodiff/dfp16-train.ts). */
  precision: 'f32' | 'dfp16';
  /** `regularize rate_band(…)`: keep each relu layer's activation percentile in a band (for ANN→SNN conversion). */
  rateBand?: RateBand;
}

type CallValue = { call: string; args: Record<string, number | string>; positional: (number | string)[] };

const isCall = (v: Value | undefined): v is CallValue => typeof v === 'object' && v !== null && !Array.isArray(v);

const DATA_ARGS: Record<string, string[]> = {
  mnist: ['train', 'test', 'shift'],
  iris: ['train', 'test'],
  sequence: ['vocab', 'length', 'train', 'test', 'seed'],
  sequential_mnist: ['train', 'test'],
  psmnist: ['train', 'test', 'seed'],
  slow_signal: ['classes', 'length', 'channels', 'train', 'test', 'noise', 'seed'],
  mnist_masks: ['train', 'test', 'noise', 'strokes', 'seed'],
  sotu: ['vocab', 'length', 'train', 'test'],
};
const OPTIMIZER_ARGS: Record<string, string[]> = {
  sgd: ['lr', 'momentum', 'kahan', 'storage'],
  adam: ['lr', 'beta1', 'beta2', 'eps', 'kahan', 'storage'],
  ebp: ['lr'],
  coordinate_descent: ['lr', 'fraction', 'tries', 'beta1', 'beta2', 'eps'],
};
const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.01, adam: 1e-3, ebp: 1, coordinate_descent: 1e-3 };
const RATE_BAND_ARGS = ['low', 'high', 'percentile', 'weight'];
const SCHEDULE_ARGS: Record<string, string[]> = { constant: [], step: ['every', 'gamma'], cosine: ['epochs'] };

function fail(p: TargetProperty, message: string, hint?: string): never {
  throw new KilnError(error('train', message, p.source as Loc, hint));
}

/** The call's named arguments (plus positional ones in `order`), checked against `allowed`. */
function callArgs(p: TargetProperty, what: string, allowed: string[], positional: string[] = []): Record<string, number | string> {
  const v = p.value as CallValue;
  const out: Record<string, number | string> = {};
  if (v.positional.length > positional.length) {
    fail(p, `${what} ${v.call}(…) takes ${positional.length === 0 ? 'only named arguments' : `at most ${positional.length} positional argument${positional.length > 1 ? 's' : ''} (${positional.join(', ')})`}`,
      `name them, e.g. ${v.call}(${allowed.map((a) => `${a} = …`).join(', ')})`);
  }
  v.positional.forEach((x, i) => { out[positional[i]!] = x; });
  for (const [k, x] of Object.entries(v.args)) {
    if (!allowed.includes(k)) {
      fail(p, `${what} ${v.call}(…) has no argument \`${k}\``, didYouMean(k, allowed) ?? (allowed.length ? `its arguments are: ${allowed.join(', ')}` : `${v.call}() takes no arguments`));
    }
    if (k in out) fail(p, `${what} ${v.call}(…) gives \`${k}\` twice`);
    out[k] = x;
  }
  return out;
}

function num(p: TargetProperty | undefined, args: Record<string, number | string>, k: string, ok: (x: number) => boolean, expect: string): number | undefined {
  const x = args[k];
  if (x === undefined) return undefined;
  if (typeof x !== 'number' || !ok(x)) fail(p!, `\`${k}\` must be ${expect}, not ${JSON.stringify(x)}`);
  return x;
}

function flag(p: TargetProperty | undefined, args: Record<string, number | string>, k: string): boolean {
  const x = args[k];
  if (x === undefined) return false;
  if (x === 1 || x === 'true') return true;
  if (x === 0 || x === 'false') return false;
  return fail(p!, `\`${k}\` must be true or false, not ${JSON.stringify(x)}`);
}

function storage(p: TargetProperty | undefined, args: Record<string, number | string>): WeightStorage {
  const x = args.storage;
  if (x === undefined) return 'f32';
  if (typeof x === 'string' && (STORAGE_FORMATS as readonly string[]).includes(x)) return x as WeightStorage;
  return fail(p!, `\`storage\` must be one of ${STORAGE_FORMATS.join(', ')}, not ${JSON.stringify(x)}`,
    didYouMean(String(x), [...STORAGE_FORMATS]) ?? 'e.g. optimizer sgd(lr = 0.01, storage = bf16, kahan = true)');
}

const positive = (x: number) => x > 0 && Number.isFinite(x);
const unit = (x: number) => x >= 0 && x < 1;

function optimizer(p: TargetProperty | undefined, weightDecay: number): OptimizerSpec {
  const kind = p ? ((p.value as CallValue).call as OptimizerKind) : 'adam';
  const a = p ? callArgs(p, 'optimizer', OPTIMIZER_ARGS[kind] ?? [], ['lr']) : {};
  const lr = num(p, a, 'lr', positive, 'a positive number') ?? DEFAULT_LR[kind];
  const spec: OptimizerSpec = { kind, lr, weightDecay, kahan: flag(p, a, 'kahan'), storage: storage(p, a), source: p?.source as Loc | undefined };
  if (kind === 'sgd') spec.momentum = num(p, a, 'momentum', unit, 'in [0, 1)') ?? 0;
  else if (kind !== 'ebp') {
    spec.beta1 = num(p, a, 'beta1', unit, 'in [0, 1)') ?? 0.9;
    spec.beta2 = num(p, a, 'beta2', unit, 'in [0, 1)') ?? 0.999;
    spec.eps = num(p, a, 'eps', positive, 'a positive number') ?? 1e-8;
  }
  if (kind === 'coordinate_descent') {
    spec.fraction = num(p, a, 'fraction', (x) => x > 0 && x <= 1, 'a share of the weights in (0, 1]') ?? 1e-3;
    spec.tries = num(p, a, 'tries', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1') ?? 4;
  }
  return spec;
}

function schedule(p: TargetProperty | undefined, epochs: number): Schedule {
  if (!p) return { kind: 'constant' };
  const v = p.value as CallValue;
  const a = callArgs(p, 'schedule', SCHEDULE_ARGS[v.call] ?? []);
  const whole = (x: number) => Number.isInteger(x) && x >= 1;
  switch (v.call) {
    case 'step': {
      const every = num(p, a, 'every', whole, 'a whole number of epochs ≥ 1');
      if (every === undefined) fail(p, 'schedule step(…) needs `every`', 'e.g. schedule step(every = 2, gamma = 0.5)');
      return { kind: 'step', every, gamma: num(p, a, 'gamma', positive, 'a positive factor') ?? 0.1 };
    }
    case 'cosine': return { kind: 'cosine', epochs: num(p, a, 'epochs', whole, 'a whole number of epochs ≥ 1') ?? epochs };
    default: return { kind: 'constant' };
  }
}

function rateBand(p: TargetProperty | undefined): RateBand | undefined {
  if (!p) return undefined;
  const a = callArgs(p, 'regularize', RATE_BAND_ARGS);
  const nonNegative = (x: number) => x >= 0 && Number.isFinite(x);
  const band: RateBand = {
    low: num(p, a, 'low', nonNegative, 'a number ≥ 0') ?? 0,
    high: num(p, a, 'high', positive, 'a positive number') ?? 1,
    percentile: num(p, a, 'percentile', (x) => x > 0 && x <= 100, 'in (0, 100]') ?? 99.9,
    weight: num(p, a, 'weight', nonNegative, 'a number ≥ 0') ?? 1e-3,
  };
  if (band.low >= band.high) fail(p, `rate_band(…) needs low < high, not low = ${band.low}, high = ${band.high}`, 'e.g. rate_band(low = 0, high = 1)');
  return band;
}

export function trainConfig(t: TrainDescription): TrainConfig {
  const p = t.props;
  const data = p.data!;
  if (!isCall(data.value)) fail(data, 'data must name a data set, e.g. `data mnist(train = 8000, test = 2000)`');
  const dataName = data.value.call;
  const dataArgs = callArgs(data, 'data', DATA_ARGS[dataName] ?? []);
  const shift = num(data, dataArgs, 'shift', (x) => Number.isInteger(x) && x >= 0 && x <= 8, 'a whole number of pixels from 0 to 8') ?? 0;
  delete dataArgs.shift;
  const numberProp = (k: string) => (typeof p[k]?.value === 'number' ? (p[k]!.value as number) : undefined);
  const epochs = numberProp('epochs') ?? 1;
  const weightDecay = numberProp('weight_decay') ?? 0;
  if (weightDecay < 0) fail(p.weight_decay!, '`weight_decay` must not be negative');
  const deltaL1 = numberProp('delta_l1') ?? 0;
  if (!(deltaL1 >= 0 && Number.isFinite(deltaL1))) fail(p.delta_l1!, '`delta_l1` must be a number ≥ 0', 'e.g. delta_l1 1e-3; 0 turns the cost off');
  const spikingAnneal = numberProp('spiking_anneal') ?? 0;
  if (!(spikingAnneal >= 0 && Number.isFinite(spikingAnneal))) fail(p.spiking_anneal!, '`spiking_anneal` must be a number of epochs ≥ 0', 'e.g. spiking_anneal 2: non-spiking at the start, spiking after two epochs');
  const deltaAnneal = numberProp('delta_anneal') ?? 0;
  if (!(deltaAnneal >= 0 && Number.isFinite(deltaAnneal))) fail(p.delta_anneal!, '`delta_anneal` must be a number of epochs ≥ 0', 'e.g. delta_anneal 2: θ rises from 0 to the layers\' own over two epochs');
  const loss = (p.loss?.value as LossKind | undefined) ?? 'cross_entropy';
  return {
    name: t.name, network: t.network,
    data: { name: dataName, args: dataArgs },
    epochs, batch: numberProp('batch'), seed: numberProp('seed') ?? 0,
    optimizer: optimizer(p.optimizer, weightDecay),
    loss,
    schedule: schedule(p.schedule, epochs),
    augment: { shift },
    deltaL1,
    spikingAnneal,
    deltaAnneal,
    precision: p.precision?.value === 'dfp16' ? 'dfp16' : 'f32',
    ...(p.regularize ? { rateBand: rateBand(p.regularize) } : {}),
  };
}
