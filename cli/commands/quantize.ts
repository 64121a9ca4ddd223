/**
 * `kiln quantize SOURCE --checkpoint CKPT --weights "i8 per_channel" --activations i8 …`:
 * post-training quantization of a trained f32 network (runtime/quantize/ptq.ts), its test accuracy
 * before and after side by side (with the other weight granularity beside it for i8), optionally
 * both priced on targets, and the quantized checkpoint written with its static scales.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import { writeCheckpointAtomic } from '../../runtime/checkpoint.ts';
import { DATA_SPLIT, loadData } from '../../runtime/data/index.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { formatMethod, parseMethod } from '../../runtime/quantize/calibrate.ts';
import { type PtqOptions, quantizeNetwork } from '../../runtime/quantize/ptq.ts';
import { evaluate } from '../../runtime/train.ts';
import { hasLoweredLayer, integerExecution } from '../../runtime/lowered/precision/execute.ts';
import { loadCheckpointInto, paramKey, paramMap } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { estimateEach, failed } from '../../targets/estimate.ts';
import { UsageError } from '../args.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import { targetFromCommandLine, targetWarnings } from './target-args.ts';
import { type CommandIo, wholeNumber } from './train.ts';

export interface QuantizeArgs {
  source: string;
  checkpoint?: string;
  weights?: string;
  activations?: string;
  calibrate?: string;
  samples?: string;
  method?: string;
  out?: string;
  targets: string[];
  json: boolean;
  overrides: Map<string, number>;
}

const usage = (why: string) => new UsageError(`kiln quantize: ${why}`);

/** "i8", "i8 per_channel", "i16 per_tensor" …; PTQ computes integer scales, so i8 and i16 only. */
function parsePrecision(flag: string, text: string, defaultGranularity?: Precision['granularity']): Precision {
  const m = /^\s*(i8|i16)(?:\s+(per_channel|per_tensor))?\s*$/.exec(text);
  if (!m) throw usage(`${flag} takes i8 or i16, optionally followed by per_channel or per_tensor (e.g. "i8 per_channel"), not '${text}'` +
    (/binary|ternary/.test(text) ? '; binary and ternary networks need training (declare weights = binary in the network and kiln train it)' : ''));
  return { dtype: m[1] as 'i8' | 'i16', granularity: (m[2] as Precision['granularity'] | undefined) ?? defaultGranularity ?? (m[1] === 'i8' ? 'per_channel' : 'per_tensor') };
}


interface Variant {
  label: string;
  accuracy: number;
  module: Module;
}

export function runQuantize(a: QuantizeArgs, io: CommandIo): number {
  if (!a.checkpoint) throw usage('give the trained f32 weights with --checkpoint PATH (written by kiln train --checkpoint)');
  const weightsP = parsePrecision('--weights', a.weights ?? 'i8 per_channel');
  const actText = a.activations ?? weightsP.dtype;
  const activations = actText === 'f32' ? undefined : parsePrecision('--activations', actText, 'per_tensor');
  if (activations?.granularity === 'per_channel') throw usage('--activations takes one static scale per tensor: give i8 or i16 (per_tensor), not per_channel');
  const method = parseMethod(a.method ?? 'max');
  if (!method) throw usage(`--method takes max, mse or percentile:P with 0 < P ≤ 100 (e.g. percentile:99.99), not '${a.method}'`);
  const samples = wholeNumber('quantize', '--samples', a.samples, 1) ?? 256;
  const split = a.calibrate === undefined ? undefined : DATA_SPLIT.exec(a.calibrate);
  if (a.calibrate !== undefined && !split) throw usage(`--calibrate takes a data set split, ${DATASETS.map((d) => d + ':train').join(', ')} (or :test), not '${a.calibrate}'`);
  const targets = a.targets.map((t) => targetFromCommandLine(t, 'quantize'));
  checkOutputs('quantize', [['--out', a.out]], [...inputFiles(a.source), a.checkpoint]);

  const p = prepare(a.source, { overrides: a.overrides });
  if (p.warnings.length) io.warn(p.warnings);
  const weights = initParams(p.module, 0);
  const { checkpoint } = loadCheckpointInto(a.checkpoint, p.module, weights, { weightsOnly: true });
  if (checkpoint.precision) {
    throw new KilnError(error('quantize', `\`${a.checkpoint}\` is already quantized (or an export)`, undefined, 'quantize the f32 training checkpoint it was made from'));
  }
  if (!p.config) throw new KilnError(error('quantize', `${a.source} has no train block for \`${p.module.name}\`, so there is no test set to measure accuracy on`, undefined, 'add a train block naming the data set'));
  const data = loadData(p.config.data.name, p.config.data.args);
  const calName = split?.[1] ?? p.config.data.name;
  const calSet = calName === p.config.data.name ? data : loadData(calName, {});
  const calibration = split?.[2] === 'test' ? calSet.test : calSet.train;
  const progress = io.tty ? (done: number, total: number) => io.err(`\r\x1b[Kcalibrating ${done}/${total} samples`) : undefined;
  const base: PtqOptions = { weights: weightsP, activations, method, calibration, samples, onProgress: progress };
  const q = quantizeNetwork(p.module, weights, base);
  if (progress) io.err('\r\x1b[K');

  const f32 = evaluate(p.module, weights, data.test).accuracy;
  // The accuracy `kiln run` will report on the quantized checkpoint: its layers through the integer
  // kernels with the scales just calibrated, not the f32 emulation of them.
  const integerAccuracy = (m: typeof q.module, w: typeof q.weights) => {
    if (!hasLoweredLayer(m)) return evaluate(m, w, data.test).accuracy;
    const exec = integerExecution(m, w, paramMap(w), () => calibration);
    try {
      return evaluate(m, w, data.test, { run: exec.run }).accuracy;
    } finally {
      exec.dispose();
    }
  };
  const emulated = evaluate(q.module, q.weights, data.test).accuracy;
  const describe = (w: Precision) => `${w.dtype} ${w.granularity}${activations ? `, activations ${activations.dtype}` : ''}`;
  const variants: Variant[] = [{ label: describe(weightsP), accuracy: integerAccuracy(q.module, q.weights), module: q.module }];
  if (weightsP.dtype === 'i8') {
    // The whitepaper's comparison: per-tensor scales lose more than per-channel ones; report both.
    const other: Precision = { dtype: 'i8', granularity: weightsP.granularity === 'per_channel' ? 'per_tensor' : 'per_channel' };
    const o = quantizeNetwork(p.module, weights, { ...base, weights: other, onProgress: undefined });
    variants.push({ label: describe(other), accuracy: integerAccuracy(o.module, o.weights), module: o.module });
  }
  const estimates = targets.length ? { f32: estimateEach({ kind: 'module', module: p.module }, targets), quantized: estimateEach({ kind: 'module', module: q.module }, targets) } : undefined;
  if (estimates) io.warn([...estimates.f32, ...estimates.quantized].flatMap((e) => (failed(e) ? [] : targetWarnings(e.warnings))));

  if (a.out) {
    const params = paramMap(q.weights);
    writeCheckpointAtomic(a.out, {
      network: p.module.name, epoch: checkpoint.epoch, seed: checkpoint.seed, params, optimizer: { step: 0, slots: new Map() },
      extra: { shapes: Object.fromEntries([...Object.entries(q.weights)].flatMap(([id, ps]) => Object.entries(ps).map(([n, t]) => [paramKey(id, n), t.shape]))),
        quantize: { method: formatMethod(method), samples: Math.min(samples, calibration.count), calibration: `${calName}:${split?.[2] ?? 'train'}` } },
      preprocess: checkpoint.preprocess, precision: q.precision,
    });
  }

  const per = (entries: ReturnType<typeof estimateEach>) => entries.map((e) => failed(e)
    ? { target: e.target, error: e.error }
    : { target: e.target, latency_s: e.summary.per_inference?.latency_s, energy_j: e.summary.per_inference?.energy_j, param_bytes: e.summary.param_bytes });
  if (a.json) {
    io.out(JSON.stringify({
      network: p.module.name, weights: describe(weightsP), method: formatMethod(method), samples: Math.min(samples, calibration.count),
      f32_accuracy: f32, quantized_accuracy: variants[0]!.accuracy, emulated_accuracy: emulated,
      ...(variants[1] ? { [variants[1].label.startsWith('i8 per_tensor') ? 'per_tensor_accuracy' : 'per_channel_accuracy']: variants[1].accuracy } : {}),
      ...(estimates ? { estimates: { f32: per(estimates.f32), quantized: per(estimates.quantized) } } : {}),
      ...(a.out ? { out: a.out } : {}),
    }) + '\n');
    return 0;
  }
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const pts = (x: number) => `${x - f32 >= 0 ? '+' : ''}${(100 * (x - f32)).toFixed(2)} points`;
  io.out(`${p.module.name}: post-training quantization, ${formatMethod(method)} calibration on ${Math.min(samples, calibration.count)} samples of ${calName}:${split?.[2] ?? 'train'}\n`);
  io.out(`  test accuracy (${data.test.count} samples)\n    f32${' '.repeat(40 - 3)}${pct(f32)}\n`);
  for (const v of variants) io.out(`    ${v.label.padEnd(40)}${pct(v.accuracy)}  (${pts(v.accuracy)})\n`);
  io.out(`    ${'(the first, emulated in f32)'.padEnd(40)}${pct(emulated)}\n`);
  if (estimates) {
    io.out(`  per inference${' '.repeat(12)}${'f32'.padEnd(38)}quantized\n`);
    estimates.f32.forEach((e, i) => {
      const qe = estimates.quantized[i]!;
      const cell = (x: typeof e) => (failed(x) ? `n/a (${x.error})` : `${(x.summary.per_inference!.latency_s * 1e6).toFixed(2)} µs, ${(x.summary.per_inference!.energy_j * 1e6).toFixed(3)} µJ, ${x.summary.param_bytes} B`);
      io.out(`    ${e.target.padEnd(20)} ${cell(e).padEnd(37)} ${cell(qe)}\n`);
    });
  }
  if (a.out) io.out(`quantized checkpoint: ${a.out}\n`);
  return 0;
}
