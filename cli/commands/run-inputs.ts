/**
 * `kiln run --input FILE.json`: samples from a JSON file, checked against the network before it
 * runs, so a wrong value is reported by its path (`inputs[3][17]`, `labels[2]`) rather than as
 * NaN outputs, a kernel error without a sample, or a crash. JSON cannot hold NaN or Infinity, but
 * 1e400 parses as Infinity, so finiteness is checked too.
 */
import { readInputText } from '../../compiler/io/read-input.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { isInteger } from '../../compiler/ir/dtype.ts';
import type { Dataset } from '../../runtime/data/dataset.ts';

const SHAPE_HINT = 'give a JSON array of samples, or {"inputs": [...], "labels": [...]}';
/** Deeper nesting than any tensor rank is a malformed file (and would recurse without bound). */
const MAX_DEPTH = 32;

/** What one sample must be for the network's (first) input, and how many classes it outputs. */
export interface InputSpec {
  network: string;
  input: string;
  /** One sample's shape (the input's without its batch dimension) and its values. */
  sampleShape: number[];
  perSample: number;
  /** Integer inputs (token ids): the allowed range [lo, hi) and why. */
  integers?: { lo: number; hi: number; why: string };
  /** Classes of the output (its last dimension): labels lie in [0, classes). */
  classes: number;
}

export function inputSpec(m: Module): InputSpec {
  const node = m.nodes[m.inputs[0]!]!;
  const shape = node.type?.shape ?? (node.attrs.shape as number[]);
  const dtype = node.type?.dtype ?? 'f32';
  const out = m.nodes[m.outputs[0]!]!.type?.shape ?? [];
  let integers: InputSpec['integers'];
  if (isInteger(dtype)) {
    const bits = dtype === 'i32' ? 32 : dtype === 'i16' ? 16 : 8;
    integers = { lo: -(2 ** (bits - 1)), hi: 2 ** (bits - 1), why: `\`${node.id}\` is ${dtype}` };
    const table = Object.values(m.nodes).find((n) => n.op === 'embedding' && n.inputs[0] === node.id);
    if (table && typeof table.attrs.vocab === 'number') integers = { lo: 0, hi: table.attrs.vocab, why: `\`${table.id}\` has a vocabulary of ${table.attrs.vocab}` };
  }
  return { network: m.name, input: node.id, sampleShape: shape.slice(1), perSample: shape.slice(1).reduce((a, b) => a * b, 1), integers, classes: out[out.length - 1] ?? 0 };
}

function fail(file: string, message: string, hint?: string): KilnError {
  return new KilnError(error('input', `${file}: ${message}`, undefined, hint));
}

const show = (v: unknown) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)).slice(0, 40));

/** One sample's numbers, depth-first, each checked where it stands. */
function flatten(sample: unknown, file: string, at: string, spec: InputSpec): number[] {
  const out: number[] = [];
  const stack: [unknown, string, number][] = [[sample, at, 0]];
  while (stack.length) {
    const [v, where, depth] = stack.pop()!;
    if (Array.isArray(v)) {
      if (depth >= MAX_DEPTH) throw fail(file, `${where} is nested more than ${MAX_DEPTH} levels deep`, 'a sample is an array of numbers, e.g. [0.1, 0.5, …]');
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${where}[${i}]`, depth + 1]);
      continue;
    }
    if (typeof v !== 'number') throw fail(file, `${where} is ${show(v)}, not a number`, 'a sample is an array of numbers, e.g. [0.1, 0.5, …]');
    if (!Number.isFinite(v)) throw fail(file, `${where} is too large to be a finite number`, 'inputs must be finite numbers');
    const r = spec.integers;
    if (r && (!Number.isInteger(v) || v < r.lo || v >= r.hi)) {
      throw fail(file, `${where} is ${v}, but input ${spec.input} of ${spec.network} takes whole numbers in [${r.lo}, ${r.hi}) (${r.why})`, 'token ids must index the vocabulary');
    }
    out.push(v);
  }
  return out;
}

/** A JSON file of samples as a data set (labels −1 when absent). */
export function jsonInputs(file: string, spec: InputSpec): { data: Dataset; labelled: boolean } {
  const text = readInputText(file, { kind: 'data', what: 'inputs', code: 'input' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new KilnError(error('input', `cannot read inputs \`${file}\`: ${(e as Error).message}`, undefined, SHAPE_HINT));
  }
  const obj = Array.isArray(doc) ? { inputs: doc } : (doc as { inputs?: unknown; labels?: unknown } | null);
  if (!obj || typeof obj !== 'object' || !Array.isArray(obj.inputs) || obj.inputs.length === 0) throw fail(file, 'holds no samples', SHAPE_HINT);
  const at = Array.isArray(doc) ? (i: number) => `sample ${i}` : (i: number) => `inputs[${i}]`;
  const rows = obj.inputs.map((s, i) => {
    const row = flatten(s, file, at(i), spec);
    if (row.length !== spec.perSample) {
      throw fail(file, `${at(i)} has ${row.length} values, but input ${spec.input} of ${spec.network} takes samples of [${spec.sampleShape.join(', ')}] (${spec.perSample} values)`, 'every sample must hold exactly one input row');
    }
    return row;
  });
  const labels = obj.labels;
  if (labels !== undefined) {
    if (!Array.isArray(labels) || labels.length !== rows.length) throw fail(file, `\`labels\` must be one class number per sample (${rows.length}), not ${Array.isArray(labels) ? `${labels.length} values` : show(labels)}`);
    labels.forEach((l, i) => {
      if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l >= spec.classes) {
        throw fail(file, `labels[${i}] is ${show(l)}, but ${spec.network} has classes 0 to ${spec.classes - 1}`, 'a label is the index of the right output class');
      }
    });
  }
  const y = labels ? Int32Array.from(labels as number[]) : new Int32Array(rows.length).fill(-1);
  return { data: { name: file, sampleShape: [spec.perSample], x: Float32Array.from(rows.flat()), y, count: rows.length, classes: 0 }, labelled: labels !== undefined };
}
