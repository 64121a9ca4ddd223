/**
 * `kiln convert FILE[:NET] --checkpoint ANN.ckpt --timesteps T --out SNN.kiln`: ANN→SNN conversion
 * (runtime/convert). Writes SNN.kiln and SNN.ckpt beside it, both only after the generated network
 * compiled and took its weights, and prints the thresholds and the test accuracy of the ANN and
 * of the SNN after each requested number of steps.
 */
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import { writeCheckpointAtomic } from '../../runtime/checkpoint.ts';
import { scoresOverTime } from '../../runtime/convert/accuracy-over-time.ts';
import { classAxis } from '../../runtime/autodiff/class-axis.ts';
import { compileConverted } from '../../runtime/convert/compile-snn.ts';
import { emitKiln } from '../../runtime/convert/emit-kiln.ts';
import { type MaxpoolMode, prepareAnn } from '../../runtime/convert/prepare-ann.ts';
import { isWeightPrecision, quantizeSnnWeights, WEIGHT_PRECISIONS } from '../../runtime/convert/quantize-weights.ts';
import { buildSnn, thresholdLayers } from '../../runtime/convert/snn.ts';
import { calibrateScales, formatNormalization, parseNormalization } from '../../runtime/convert/thresholds.ts';
import { DATA_SPLIT, loadData } from '../../runtime/data/index.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { evaluate, isSegmentationModel } from '../../runtime/train.ts';
import { loadCheckpointInto, paramKey, paramMap } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { UsageError } from '../args.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import { type CommandIo, wholeNumber } from './train.ts';

export interface ConvertArgs {
  source: string;
  checkpoint?: string;
  timesteps?: string;
  normalize?: string;
  calibrate?: string;
  samples?: string;
  maxpool?: string;
  weights?: string;
  out?: string;
  evaluate?: string;
  limit?: string;
  json: boolean;
  overrides: Map<string, number>;
}

const usage = (why: string) => new UsageError(`kiln convert: ${why}`);

function stepList(text: string | undefined, t: number): number[] {
  if (text === undefined) return [t];
  const steps = text.split(',').map((s) => s.trim());
  if (steps.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s)))) throw usage(`--evaluate takes step counts separated by commas, e.g. 10,25,50,100,200, not '${text}'`);
  return steps.map(Number);
}

export function runConvert(a: ConvertArgs, io: CommandIo): number {
  if (!a.checkpoint) throw usage('give the trained ANN\'s weights with --checkpoint PATH (written by kiln train --checkpoint)');
  const timesteps = wholeNumber('convert', '--timesteps', a.timesteps, 1);
  if (timesteps === undefined) throw usage('give the number of time steps one inference runs with --timesteps T (e.g. --timesteps 50)');
  const normalize = parseNormalization(a.normalize ?? 'percentile:99.9');
  if (!normalize) throw usage(`--normalize takes max or percentile:P with 0 < P ≤ 100 (e.g. percentile:99.9), not '${a.normalize}'`);
  const maxpool = (a.maxpool ?? 'spike') as MaxpoolMode;
  if (maxpool !== 'avg' && maxpool !== 'spike') throw usage(`--maxpool takes spike (max pooling over each step's spikes) or avg (average pooling instead), not '${a.maxpool}'`);
  const weightPrecision = a.weights ?? 'f32';
  if (!isWeightPrecision(weightPrecision)) throw usage(`--weights takes ${WEIGHT_PRECISIONS.join(' (the default, as trained) or ')} (8-bit integers, one scale per layer folded into the thresholds), not '${a.weights}'`);
  const samples = wholeNumber('convert', '--samples', a.samples, 1) ?? 256;
  const limit = wholeNumber('convert', '--limit', a.limit, 1);
  const steps = stepList(a.evaluate, timesteps);
  const split = a.calibrate === undefined ? undefined : DATA_SPLIT.exec(a.calibrate);
  if (a.calibrate !== undefined && !split) throw usage(`--calibrate takes a data set split, ${DATASETS.map((d) => d + ':train').join(', ')} (or :test), not '${a.calibrate}'`);
  if (!a.out) throw usage('give the spiking network\'s file with --out SNN.kiln (its weights go to SNN.ckpt beside it)');
  if (!a.out.endsWith('.kiln')) throw usage(`--out names the generated .kiln file, not '${a.out}': give a name ending in .kiln`);
  const ckptOut = a.out.slice(0, -'.kiln'.length) + '.ckpt';
  checkOutputs('convert', [['--out', a.out], ['--out (its checkpoint)', ckptOut]], [...inputFiles(a.source), a.checkpoint]);

  const p = prepare(a.source, { overrides: a.overrides });
  if (p.warnings.length) io.warn(p.warnings);
  const weights = initParams(p.module, 0);
  const { checkpoint } = loadCheckpointInto(a.checkpoint, p.module, weights, { weightsOnly: true });
  if (checkpoint.precision) throw new KilnError(error('convert', `\`${a.checkpoint}\` is a quantized checkpoint (or an export)`, undefined, 'convert the f32 training checkpoint it was made from'));
  if (!p.config && !split) throw usage(`${a.source} has no train block for \`${p.module.name}\`, so give the calibration data with --calibrate (e.g. mnist:train)`);
  const data = p.config ? loadData(p.config.data.name, p.config.data.args) : undefined;
  const calName = split?.[1] ?? p.config!.data.name;
  const calSet = calName === p.config?.data.name ? data! : loadData(calName, {});
  const calibration = split?.[2] === 'test' ? calSet.test : calSet.train;

  const ann = prepareAnn(p.module, weights, maxpool);
  const progress = (what: string) => (io.tty ? (done: number, total: number) => io.err(`\r\x1b[K${what} ${done}/${total} samples`) : undefined);
  const scales = calibrateScales(ann.module, ann.weights, calibration, thresholdLayers(ann.module), normalize, { samples, onProgress: progress('calibrating') });
  if (io.tty) io.err('\r\x1b[K');
  const snn = buildSnn(ann, scales, timesteps);
  const quantized = weightPrecision === 'i8' ? quantizeSnnWeights(snn) : undefined;
  const weightsText = quantized
    ? 'i8, integers in [−127, 127]; each layer\'s scale (max |w| / 127) is folded into the threshold and bias of the lif layer it drives, so currents count weight steps'
    : 'f32, as trained (--weights i8 for 8-bit integers)';
  const used = Math.min(samples, calibration.count);
  const calText = `${used} samples of ${calName}:${split?.[2] ?? 'train'}`;
  const text = emitKiln(snn.module, snn.layers, {
    source: a.source, checkpoint: a.checkpoint, calibration: calText,
    thresholds: normalize.kind === 'max' ? 'the largest activation' : `the ${normalize.p}th percentile of the positive activations`,
    changes: ann.changes, weights: weightsText,
  }, p.train);

  // The generated text must compile to a network that takes exactly these weights before anything is written.
  const compiled = compileConverted(a.out, text, snn.weights);
  const snnWeights = compiled.weights;
  writeCheckpointAtomic(ckptOut, {
    network: compiled.module.name, epoch: 0, seed: checkpoint.seed, params: paramMap(snnWeights), optimizer: { step: 0, slots: new Map() },
    extra: {
      shapes: Object.fromEntries(Object.entries(snnWeights).flatMap(([id, ps]) => Object.entries(ps).map(([n, t]) => [paramKey(id, n), t.shape]))),
      convert: { from: a.source, checkpoint: a.checkpoint, normalize: formatNormalization(normalize), calibration: calText, maxpool, weights: weightPrecision },
    },
    preprocess: checkpoint.preprocess,
  });
  writeFileAtomic(a.out, text, 'network');

  const test = data?.test;
  const count = test ? Math.min(test.count, limit ?? test.count) : 0;
  const annEval = test ? evaluate(p.module, weights, test, { limit }) : undefined;
  const annAccuracy = annEval?.accuracy ?? NaN;
  const segmentation = isSegmentationModel(p.module);
  const annOut = p.module.nodes[p.module.outputs[0]!]!;
  const preparedAccuracy = test && ann.changes.some((c) => c.includes('avgpool2d')) ? evaluate(ann.module, ann.weights, test, { limit }).accuracy : undefined;
  const scores = test
    ? scoresOverTime(compiled.module, snnWeights, test, steps, { limit, onProgress: progress(`running ${Math.max(...steps)} steps on`), classAxis: classAxis(annOut, annOut.type!.shape.length), overlap: segmentation })
    : undefined;
  const snnAccuracy = scores?.accuracy ?? [];
  const iou = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : x);
  if (io.tty) io.err('\r\x1b[K');

  const thresholds = snn.layers.map((l) => ({ layer: l.name, from: l.from, threshold: l.threshold, positives: l.positives, output: l.output }));
  if (a.json) {
    io.out(JSON.stringify({
      network: p.module.name, snn: compiled.module.name, out: a.out, checkpoint: ckptOut, timesteps, normalize: formatNormalization(normalize),
      calibration: calText, maxpool, weights: weightPrecision, changes: ann.changes, thresholds,
      ...(quantized ? { weight_scales: quantized.map((q) => ({ layer: q.layer, lif: q.lif, scale: q.scale, threshold_f32: q.threshold.from, threshold: q.threshold.to })) } : {}),
      test_samples: count,
      ann_accuracy: test ? annAccuracy : null, ...(preparedAccuracy !== undefined ? { avgpool_ann_accuracy: preparedAccuracy } : {}),
      ...(segmentation ? { ann_iou: iou(annEval?.overlap?.iou) } : {}),
      snn_accuracy: steps.map((t, i) => ({ timesteps: t, accuracy: snnAccuracy[i] ?? null, ...(segmentation ? { iou: iou(scores?.iou?.[i]) } : {}) })),
    }) + '\n');
    return 0;
  }
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  io.out(`${p.module.name} → ${compiled.module.name}: ${snn.layers.length} integrate-and-fire layers, thresholds ${formatNormalization(normalize)} on ${calText}\n`);
  io.out(`  weights ${weightsText}\n`);
  for (const c of ann.changes) io.out(`  ${c}\n`);
  for (const l of snn.layers) io.out(`  ${l.name.padEnd(16)} threshold ${String(l.threshold).padEnd(10)} from \`${l.from}\`${l.output ? ' (output)' : ''}\n`);
  if (test) {
    const overlap = (x: number | undefined) => (segmentation ? `  IoU ${x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3)}` : '');
    io.out(`  test accuracy (${count} samples${segmentation ? ', per pixel' : ''})\n    ANN${' '.repeat(17)}${pct(annAccuracy)}${overlap(annEval?.overlap?.iou)}\n`);
    if (preparedAccuracy !== undefined) io.out(`    ANN, avgpool${' '.repeat(8)}${pct(preparedAccuracy)}\n`);
    steps.forEach((t, i) => io.out(`    SNN, T = ${String(t).padEnd(10)}${pct(snnAccuracy[i]!)}  (${(100 * (snnAccuracy[i]! - annAccuracy)).toFixed(2)} points)${overlap(scores?.iou?.[i])}\n`));
  }
  io.out(`spiking network: ${a.out}\nits weights: ${ckptOut}\n`);
  return 0;
}
