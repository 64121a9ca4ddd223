/**
 * `kiln run FILE[:NETWORK] --checkpoint PATH --input DATA`: evaluate a trained network. DATA is
 * a data set split (`mnist:test`, `iris:train`, …, split as the file's train block splits it) or
 * a JSON file of inputs: an array of samples, or {"inputs": [...], "labels": [...]}, each sample
 * a (possibly nested) array of numbers holding exactly what one input row holds.
 */
import { UsageError } from '../args.ts';
import { warning } from '../../compiler/lang/diagnostics.ts';
import type { Inputs } from '../../runtime/interpreter/types.ts';
import { hasLoweredLayer, integerExecution } from '../../runtime/lowered/precision/execute.ts';
import { binaryReadsInput } from '../../runtime/lowered/precision/lower.ts';
import { CALIBRATION_SAMPLES } from '../../runtime/lowered/precision/scales.ts';
import type { Tensor } from '../../runtime/tensor.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import type { Dataset } from '../../runtime/data/dataset.ts';
import { DATA_SPLIT, loadData } from '../../runtime/data/index.ts';
import { applyPreprocess } from '../../runtime/data/preprocess.ts';
import { mnistLoadNote } from '../../runtime/data/mnist.ts';
import { emptyParams } from '../../runtime/interpreter.ts';
import { evaluate, isSequenceModel } from '../../runtime/train.ts';
import { loadCheckpointInto, remakeHint } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { inputPlan } from '../../runtime/train/batches.ts';
import { type CommandIo, wholeNumber } from './train.ts';
import { inputSpec, jsonInputs } from './run-inputs.ts';
import { inputLevels } from '../../runtime/kernels/bitplane.ts';
import { PhaseTiming } from './phase-timing.ts';
import { deltaActivity, formatDeltaActivity } from './delta-summary.ts';
import { formatSigmaDeltaActivity, sigmaDeltaActivity } from './sigma-delta-summary.ts';

export interface RunArgs {
  source: string;
  checkpoint?: string;
  input?: string;
  json: boolean;
  limit?: string;
  /** Fake-quantize in f32 as training does instead of running the integer lowering. */
  emulate?: boolean;
  /** Print where the time went, phase by phase, to stderr. */
  timing?: boolean;
  overrides: Map<string, number>;
}


export function runRun(a: RunArgs, io: CommandIo): number {
  const timing = a.timing ? new PhaseTiming() : undefined;
  if (!a.checkpoint) throw new UsageError('kiln run: give the trained weights with --checkpoint PATH (written by kiln train --checkpoint)');
  if (!a.input) throw new UsageError(`kiln run: give --input DATA: ${DATASETS.map((d) => d + ':test').join(', ')} (or :train), or a JSON file of inputs`);
  const limit = wholeNumber('run', '--limit', a.limit, 1);
  const p = prepare(a.source, { overrides: a.overrides });
  if (p.warnings.length) io.warn(p.warnings);
  timing?.mark('compile');
  const split = DATA_SPLIT.exec(a.input);
  let data: Dataset;
  let labelled = true;
  if (split) {
    const name = split[1]!;
    const args = p.config?.data.name === name ? p.config.data.args : {};
    const s = loadData(name, args);
    data = split[2] === 'train' ? s.train : s.test;
  } else if (a.input.endsWith('.json')) {
    ({ data, labelled } = jsonInputs(a.input, inputSpec(p.module)));
  } else {
    throw new UsageError(`kiln run: --input takes ${DATASETS.map((d) => d + ':test').join(', ')} (or :train), or a .json file of inputs, not '${a.input}'`);
  }
  timing?.mark('data', mnistLoadNote() || undefined);
  const weights = emptyParams(p.module);
  // A quantized checkpoint or an export brings its layers' precisions and static scales.
  const { checkpoint, module, kind } = loadCheckpointInto(a.checkpoint, p.module, weights, { weightsOnly: true });
  // A data set split is already preprocessed as in training; raw samples from a file are not.
  if (!split) {
    if (checkpoint.preprocess) applyPreprocess(checkpoint.preprocess, data.x, data.sampleShape[0]!, a.input);
    else {
      io.warn([warning('checkpoint', `${kind} \`${a.checkpoint}\` does not say how training preprocessed its inputs; the samples of ${a.input} are used as given`, undefined,
        `${remakeHint(kind, module.name, checkpoint)}, which records it`)]);
    }
  }
  timing?.mark('checkpoint');
  // Quantized layers run through their integer kernels (runtime/lowered/precision) unless asked not to.
  let run: ((inputs: Inputs) => Tensor) | undefined;
  let dispose = (): void => {};
  // A spiking network's layers read 0/1 spikes, which integer kernels would take exactly, but its
  // first layer reads the analog input as a current, which they would cut to 8 bits: a converted
  // SNN's weights are 8-bit (kiln convert --weights i8), its input is not.
  const spiking = module.timesteps > 1;
  if (!a.emulate && !spiking && hasLoweredLayer(module)) {
    const used = data.x.subarray(0, Math.min(data.count, limit ?? data.count) * (data.x.length / Math.max(data.count, 1)));
    // A binary first layer sums by bit-planes only inputs shown here to be whole numbers over a denominator.
    const levels = binaryReadsInput(module) ? inputLevels(used) : undefined;
    const exec = integerExecution(module, weights, checkpoint.params, p.config ? () => loadData(p.config!.data.name, p.config!.data.args).train : undefined, { inputLevels: levels });
    if (exec.calibrated.length) io.warn([warning('run', `calibrated ${exec.calibrated.join(', ')} on the first ${CALIBRATION_SAMPLES} training samples (max |x|): the checkpoint has no static scales for them`, undefined, 'store them with kiln quantize to fix them in the checkpoint')]);
    run = exec.run;
    dispose = exec.dispose;
    timing?.mark('lowering', [...exec.program.layers].map(([id, l]) => `${id}: ${l.why}`).join('; '));
  }
  let ev: ReturnType<typeof evaluate>;
  try {
    ev = evaluate(module, weights, data, { limit, run });
  } finally {
    dispose();
  }
  const delta = deltaActivity(module, weights, data, limit);
  const sd = sigmaDeltaActivity(module, weights, data, limit);
  timing?.mark('inference', `${ev.rows} rows in batches of ${inputPlan(module, data).batch}`);
  const rowsPerSample = ev.rows / Math.min(data.count, limit ?? data.count);
  // A language model's outputs are next-token distributions: perplexity per token beside accuracy.
  const sequence = isSequenceModel(module);
  const outputs = Array.from({ length: ev.rows }, (_, r) => Array.from(ev.outputs.subarray(r * ev.classes, (r + 1) * ev.classes)));
  if (a.json) {
    io.out(JSON.stringify({
      network: p.module.name, input: a.input, samples: ev.rows / rowsPerSample,
      accuracy: labelled ? ev.accuracy : null, correct: labelled ? ev.correct : null,
      ...(sequence ? { perplexity: labelled ? ev.perplexity : null } : {}),
      ...(ev.overlap ? { iou: labelled ? ev.overlap.iou : null, dice: labelled ? ev.overlap.dice : null } : {}),
      predictions: Array.from(ev.predictions), ...(split ? {} : { outputs }), ...(delta ? { delta: delta.layers } : {}), ...(sd ? { sigma_delta: sd.layers } : {}),
    }) + '\n');
    return done(timing, io);
  }
  const what = `${p.module.name} on ${a.input} (${ev.rows / rowsPerSample} sample${ev.rows === 1 ? '' : 's'})`;
  const overlap = ev.overlap ? `, foreground IoU ${ev.overlap.iou.toFixed(3)}, Dice ${ev.overlap.dice.toFixed(3)}` : '';
  if (labelled) io.out(`${what}: ${ev.overlap ? 'pixel ' : ''}accuracy ${(100 * ev.accuracy).toFixed(2)}% (${ev.correct}/${ev.rows})${sequence ? `, perplexity ${ev.perplexity.toFixed(1)}` : ''}${overlap}\n`);
  else io.out(`${what}:\n`);
  if (delta) io.out(formatDeltaActivity(delta));
  if (sd) io.out(formatSigmaDeltaActivity(sd));
  if (!split) {
    for (let r = 0; r < ev.rows; r++) {
      const c = ev.predictions[r]!;
      io.out(`  ${String(r).padStart(String(ev.rows).length)}: class ${c}  (${outputs[r]![c]!.toFixed(4)})${labelled ? `  label ${data.y[r]}` : ''}\n`);
    }
  }
  return done(timing, io);
}

function done(timing: PhaseTiming | undefined, io: CommandIo): number {
  if (timing) {
    timing.mark('output');
    io.err(timing.format());
  }
  return 0;
}
