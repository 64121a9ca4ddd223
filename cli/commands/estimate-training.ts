/**
 * `kiln estimate SOURCE --training --target T […]`: one training step and one epoch on each
 * target, with the settings of the network's train block (batch, data, optimizer). A neuromorphic
 * target gets a note that training happens off-chip; a target that cannot run the network is n/a.
 */
import { batchOf, eachTarget, failed } from '../../targets/estimate.ts';
import { renderTraining } from '../../targets/report/training.ts';
import { estimateTraining, offChip, stepsPerEpoch, type TrainingPlan } from '../../targets/training/estimate.ts';
import { lastLayerBits, narrowLastLayer } from '../../targets/training/last-layer-bits.ts';
import { KilnError, warning, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { trainingPlan } from '../../runtime/train/cost-plan.ts';
import { prepare } from '../../runtime/train/setup.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { UsageError } from '../args.ts';
import type { CommandIo } from './train.ts';
import { targetWarnings } from './target-args.ts';
import { entryJson } from '../report/report-data.ts';

export interface TrainingEstimateArgs {
  source: string;
  targets: TargetDescription[];
  json: boolean;
  perLayer: boolean;
  overrides: Map<string, number>;
}

export function runTrainingEstimate(a: TrainingEstimateArgs, io: CommandIo): number {
  if (a.source.endsWith('.csv') || a.source.split(':')[0]!.endsWith('.onnx')) {
    throw new UsageError(`kiln estimate --training prices a .kiln network trained as its train block says; ${a.source} is ${a.source.endsWith('.csv') ? 'a SCALE-Sim topology' : 'an ONNX model'}`);
  }
  const p = prepare(a.source, { overrides: a.overrides });
  const warnings: Diagnostic[] = [...p.warnings];
  const batchOfModule = batchOf({ kind: 'module', module: p.module });
  let plan: TrainingPlan;
  let basis: string;
  if (p.config) {
    plan = trainingPlan(p.config, batchOfModule);
    const o = plan.optimizer;
    basis = `train block \`${p.config.name}\`, ${p.config.data.name} (${plan.samples?.toLocaleString('en-US') ?? '?'} training samples), optimizer ${o.name}${o.kahan ? ' with Kahan summation' : ''}`;
  } else {
    plan = { batch: batchOfModule, optimizer: { name: 'sgd', kahan: false, weightDecay: 0 } };
    basis = `no train block: one step at the network's batch, plain sgd`;
    warnings.push(warning('train', `\`${p.module.name}\` has no train block: priced one training step at its batch of ${batchOfModule} with plain SGD (the cheapest update), and no epoch`, undefined,
      `add a train block (e.g. \`train ${p.module.name} { data mnist(train = 8000, test = 2000)  batch 64  optimizer adam(lr = 1e-3) }\`) to price its optimizer and epochs`));
  }
  const last = lastLayerBits(p.module);
  const narrow = last && narrowLastLayer(last);
  if (narrow) warnings.push(narrow);
  const entries = eachTarget(a.targets, (t) => estimateTraining(p.module, t, plan));
  const failures = entries.filter(failed);
  if (failures.length === entries.length) throw new KilnError(failures.map((f) => f.diagnostic));
  warnings.push(...failures.map((f): Diagnostic => ({ ...f.diagnostic, severity: 'warning' })));
  for (const e of entries) if (!failed(e) && !offChip(e)) warnings.push(...targetWarnings(e.warnings));
  io.warn(warnings);
  const steps = stepsPerEpoch(plan);
  if (a.json) {
    const classifier = last ? { layer: last.layer, classes: last.classes, bits: last.bits, bound_bits: last.bound, too_narrow: last.bits < last.bound } : null;
    const results = entries.map((r) => (offChip(r) ? r : entryJson(r)));
    io.out(JSON.stringify({ phase: 'training', basis, batch: plan.batch, steps_per_epoch: steps ?? null, classifier, results }, null, 2) + '\n');
  } else io.out(renderTraining({ entries, batch: plan.batch, steps, basis, lastLayer: last, perLayer: a.perLayer }));
  return 0;
}
