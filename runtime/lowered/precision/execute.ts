/**
 * A network's integer execution as one call: static scales from the checkpoint, the missing
 * activation scales calibrated on fixed training samples, the lowering, and a runner for
 * evaluate(). `kiln run` and the agreement tests use it.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import type { Module, NodeId } from '../../../compiler/ir/module.ts';
import type { Dataset } from '../../data/dataset.ts';
import type { Inputs, Weights } from '../../interpreter/types.ts';
import { gather, inputPlan } from '../../train/batches.ts';
import type { Tensor } from '../../tensor.ts';
import { type LowerOptions, lowerPrecision, neededScales, type PrecisionProgram } from './lower.ts';
import { runPrecision } from './run.ts';
import { CALIBRATION_SAMPLES, calibrateScales, scalesFromParams } from './scales.ts';
import type { LayerCounts } from './types.ts';

export interface IntegerExecution {
  program: PrecisionProgram;
  /** Scales calibrated here rather than read from the checkpoint, e.g. "fc1/act_scale". */
  calibrated: string[];
  run(inputs: Inputs): Tensor;
  counts: Map<NodeId, LayerCounts>;
  /** The program's dispose(): call it when done running. */
  dispose(): void;
}

/** Does the network have a layer the precision lowering makes integer? */
export { hasLoweredLayer } from './lower.ts';

/** The first CALIBRATION_SAMPLES of `train` as one batch. */
export function calibrationInputs(m: Module, train: Dataset, samples = CALIBRATION_SAMPLES): Inputs {
  const plan = inputPlan(m, train);
  const n = Math.min(samples, train.count);
  return { [plan.id]: gather(train, { ...plan, shape: [n, ...plan.shape.slice(1)] }, undefined, 0, n).x };
}

export function integerExecution(m: Module, weights: Weights, stored: ReadonlyMap<string, Float32Array>,
  calibration: (() => Dataset) | undefined, o: LowerOptions = {}): IntegerExecution {
  let scales = scalesFromParams(stored);
  let calibrated: string[] = [];
  const lacking = neededScales(m).filter((n) => scales.get(n.node)?.[n.what] === undefined);
  if (lacking.length) {
    if (!calibration) {
      const n = m.nodes[lacking[0]!.node]!;
      throw new KilnError(error('run', `layer \`${n.id}\` runs in ${lacking[0]!.dtype} but the checkpoint has no static activation scale for it, and \`${m.name}\` has no train block whose data could calibrate one`, n.loc,
        `quantize the checkpoint with kiln quantize (it stores \`${n.id}/${lacking[0]!.what}_scale\`), or add a train block naming the data set`));
    }
    ({ scales, calibrated } = calibrateScales(m, weights, calibrationInputs(m, calibration()), scales));
  }
  const program = lowerPrecision(m, weights, scales, o);
  const counts = new Map<NodeId, LayerCounts>();
  const out = m.outputs[0]!;
  return {
    program, calibrated, counts, dispose: program.dispose,
    run(inputs) {
      const r = runPrecision(program, weights, inputs);
      for (const [id, c] of r.counts) {
        const t = counts.get(id);
        if (!t) counts.set(id, { ...c });
        else { t.macs += c.macs; t.saturations += c.saturations; t.rescales += c.rescales; }
      }
      return r.outputs[out]!;
    },
  };
}
