/**
 * `kiln run FILE[:NETWORK] --checkpoint PATH --input DATA`: evaluate a trained network. DATA is
 * a data set split (`mnist:test`, `iris:train`, …, split as the file's train block splits it) or
 * a JSON file of inputs: an array of samples, or {"inputs": [...], "labels": [...]}, each sample
 * a (possibly nested) array of numbers holding exactly what one input row holds.
 */
import { readInputText } from '../../compiler/io/read-input.ts';
import { UsageError } from '../args.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import type { Dataset } from '../../runtime/data/dataset.ts';
import { loadData } from '../../runtime/data/index.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { evaluate } from '../../runtime/train.ts';
import { loadCheckpointInto } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { type CommandIo, wholeNumber } from './train.ts';

export interface RunArgs {
  source: string;
  checkpoint?: string;
  input?: string;
  json: boolean;
  limit?: string;
  overrides: Map<string, number>;
}

const SPLIT = new RegExp(`^(${DATASETS.join('|')}):(train|test)$`);

function flatten(v: unknown, out: number[], file: string, at: string): void {
  if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  else if (Array.isArray(v)) v.forEach((x, i) => flatten(x, out, file, `${at}[${i}]`));
  else throw new KilnError(error('input', `${file}: ${at} is ${JSON.stringify(v)}, not a number or an array of numbers`, { file, line: 1, col: 1 }, 'a sample is an array of numbers, e.g. [0.1, 0.5, …]'));
}

/** A JSON file of samples as a data set (labels −1 when absent). */
export function jsonInputs(file: string): { data: Dataset; labelled: boolean } {
  const text = readInputText(file, { kind: 'data', what: 'inputs', code: 'input' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new KilnError(error('input', `cannot read inputs \`${file}\`: ${why}`, undefined, 'give a JSON array of samples, or {"inputs": [...], "labels": [...]}'));
  }
  const obj = Array.isArray(doc) ? { inputs: doc } : (doc as { inputs?: unknown; labels?: unknown });
  if (!obj || !Array.isArray(obj.inputs) || obj.inputs.length === 0) {
    throw new KilnError(error('input', `${file} holds no samples`, { file, line: 1, col: 1 }, 'give a JSON array of samples, or {"inputs": [...], "labels": [...]}'));
  }
  const rows = obj.inputs.map((s, i) => { const out: number[] = []; flatten(s, out, file, `inputs[${i}]`); return out; });
  const len = rows[0]!.length;
  const odd = rows.findIndex((r) => r.length !== len);
  if (odd >= 0) throw new KilnError(error('input', `${file}: sample ${odd} has ${rows[odd]!.length} values, sample 0 has ${len}`, { file, line: 1, col: 1 }, 'every sample must have the same size'));
  const labels = obj.labels;
  if (labels !== undefined && (!Array.isArray(labels) || labels.length !== rows.length || !labels.every((l) => Number.isInteger(l) && l >= 0))) {
    throw new KilnError(error('input', `${file}: \`labels\` must be one class number per sample (${rows.length})`, { file, line: 1, col: 1 }));
  }
  const y = labels ? Int32Array.from(labels as number[]) : new Int32Array(rows.length).fill(-1);
  return { data: { name: file, sampleShape: [len], x: Float32Array.from(rows.flat()), y, count: rows.length, classes: 0 }, labelled: labels !== undefined };
}

export function runRun(a: RunArgs, io: CommandIo): number {
  if (!a.checkpoint) throw new UsageError('kiln run: give the trained weights with --checkpoint PATH (written by kiln train --checkpoint)');
  if (!a.input) throw new UsageError(`kiln run: give --input DATA: ${DATASETS.map((d) => d + ':test').join(', ')} (or :train), or a JSON file of inputs`);
  const limit = wholeNumber('run', '--limit', a.limit, 1);
  const p = prepare(a.source, { overrides: a.overrides });
  if (p.warnings.length) io.warn(p.warnings);
  const split = SPLIT.exec(a.input);
  let data: Dataset;
  let labelled = true;
  if (split) {
    const name = split[1]!;
    const args = p.config?.data.name === name ? p.config.data.args : {};
    const s = loadData(name, args);
    data = split[2] === 'train' ? s.train : s.test;
  } else if (a.input.endsWith('.json')) {
    ({ data, labelled } = jsonInputs(a.input));
  } else {
    throw new UsageError(`kiln run: --input takes ${DATASETS.map((d) => d + ':test').join(', ')} (or :train), or a .json file of inputs, not '${a.input}'`);
  }
  const weights = initParams(p.module, 0);
  loadCheckpointInto(a.checkpoint, p.module, weights);
  const ev = evaluate(p.module, weights, data, { limit });
  const rowsPerSample = ev.rows / Math.min(data.count, limit ?? data.count);
  const outputs = Array.from({ length: ev.rows }, (_, r) => Array.from(ev.outputs.subarray(r * ev.classes, (r + 1) * ev.classes)));
  if (a.json) {
    io.out(JSON.stringify({
      network: p.module.name, input: a.input, samples: ev.rows / rowsPerSample,
      accuracy: labelled ? ev.accuracy : null, correct: labelled ? ev.correct : null,
      predictions: Array.from(ev.predictions), ...(split ? {} : { outputs }),
    }) + '\n');
    return 0;
  }
  const what = `${p.module.name} on ${a.input} (${ev.rows / rowsPerSample} sample${ev.rows === 1 ? '' : 's'})`;
  if (labelled) io.out(`${what}: accuracy ${(100 * ev.accuracy).toFixed(2)}% (${ev.correct}/${ev.rows})\n`);
  else io.out(`${what}:\n`);
  if (!split) {
    for (let r = 0; r < ev.rows; r++) {
      const c = ev.predictions[r]!;
      io.out(`  ${String(r).padStart(String(ev.rows).length)}: class ${c}  (${outputs[r]![c]!.toFixed(4)})${labelled ? `  label ${data.y[r]}` : ''}\n`);
    }
  }
  return 0;
}
