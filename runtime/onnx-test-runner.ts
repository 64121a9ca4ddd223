/**
 * `kiln onnx-test DIR…`: run ONNX backend node-test cases (a directory holding model.onnx and
 * test_data_set_N/{input,output}_M.pb) through the importer and the reference interpreter, and
 * compare with the published outputs using ONNX's own backend-test tolerance,
 * |actual − expected| ≤ atol + rtol·|expected| with rtol = 1e-3 and atol = 1e-7
 * (onnx/backend/test/runner: np.testing.assert_allclose). A directory without model.onnx is
 * searched one level down, so a whole suite can be named at once.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KilnError } from '../compiler/lang/diagnostics.ts';
import { run } from './interpreter.ts';
import { forward } from './autodiff/forward.ts';
import type { Tensor } from './tensor.ts';
import { importOnnx, unsupportedModel } from '../compiler/onnx/importer.ts';
import { type OnnxTensor, halfToFloat, readModel, readTensor } from '../compiler/onnx/proto.ts';

export const RTOL = 1e-3;
export const ATOL = 1e-7;

export interface OnnxTestIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface CaseResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
  /** Largest |actual − expected| over all compared outputs. */
  maxAbsErr?: number;
}

const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function pbFiles(dir: string, prefix: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb')).sort(byNumber).map((f) => path.join(dir, f));
}

/** Round to the stored precision of a 16-bit float output, as a runtime writing that type would. */
function storedAs(t: Tensor, dataType: number): Tensor {
  if (dataType !== 10 && dataType !== 16) return t;
  const bits = new Uint32Array(1), f = new Float32Array(bits.buffer);
  const round = dataType === 16
    ? (v: number) => { f[0] = v; bits[0] = (bits[0]! + 0x7fff + ((bits[0]! >> 16) & 1)) & 0xffff0000; return f[0]!; }
    : (v: number) => { f[0] = v; return halfToFloat(floatToHalf(f[0]!)); };
  return { shape: t.shape, data: t.data.map(round) };
}

const roundEven = (v: number): number => {
  const f = Math.floor(v);
  return v - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(v);
};

/** Round-to-nearest-even float → IEEE half bits (overflow to ±∞, subnormals kept). */
function floatToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundEven(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = roundEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) { m = 0; e++; }
  return sign | ((e + 15) << 10) | m;
}

/** Compare one output; returns a failure reason or undefined, and the largest absolute error. */
export function compareTensor(name: string, computed: Tensor, want: OnnxTensor): { reason?: string; maxAbsErr: number } {
  const got = storedAs(computed, want.dataType);
  const shape = `[${got.shape.join(', ')}]`, wantShape = `[${want.dims.join(', ')}]`;
  if (shape !== wantShape) return { reason: `output ${name} has shape ${shape}, expected ${wantShape}`, maxAbsErr: Infinity };
  const exp = want.values!;
  let maxErr = 0, bad = 0, worst = -1;
  for (let i = 0; i < exp.length; i++) {
    const g = got.data[i]!, e = exp[i]!;
    if (Number.isNaN(e) && Number.isNaN(g)) continue;
    const err = g === e ? 0 : Math.abs(g - e);
    if (!(err <= ATOL + RTOL * Math.abs(e))) { bad++; if (worst < 0 || err > Math.abs(got.data[worst]! - exp[worst]!)) worst = i; }
    if (err > maxErr || Number.isNaN(err)) maxErr = Number.isNaN(err) ? Infinity : err;
  }
  if (bad === 0) return { maxAbsErr: maxErr };
  return {
    reason: `output ${name}: ${bad} of ${exp.length} values beyond rtol ${RTOL}, atol ${ATOL} (worst at ${worst}: got ${got.data[worst]}, expected ${exp[worst]})`,
    maxAbsErr: maxErr,
  };
}

function runDataSet(dir: string, model: ReturnType<typeof readModel>, dataDir: string): CaseResult | { status: 'ok'; maxAbsErr: number } {
  const name = path.basename(dir);
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  const fedNames = model.graph.inputs.map((i) => i.name).filter((n) => !initNames.has(n));
  const feeds = new Map<string, OnnxTensor>();
  pbFiles(dataDir, 'input_').forEach((f, i) => { if (fedNames[i] !== undefined) feeds.set(fedNames[i]!, readTensor(f)); });
  const expected = pbFiles(dataDir, 'output_').map((f) => readTensor(f));
  const imported = importOnnx(model, { feeds });
  if (!imported.ok) return { name, status: 'skip', reason: imported.reason };
  const im = imported.value;
  const random = Object.values(im.module.nodes).find((n) => n.op === 'dropout' && (n.attrs.p as number) > 0);
  if (im.training && random) {
    return { name, status: 'skip', reason: `training-mode Dropout \`${random.id}\` draws a random mask; ONNX's expected output comes from another generator` };
  }
  const inputs: Record<string, Tensor> = {};
  for (const { name: onnxName, id } of im.inputs) {
    const t = feeds.get(onnxName)!;
    inputs[id] = { shape: [...t.dims], data: Float32Array.from(t.values!) };
  }
  // Q/DQ pairs imported as layer precisions are computed as training and `kiln run` do: fake-quantized.
  const quantized = Object.values(im.module.nodes).some((n) => [n.attrs.weights, n.attrs.activations].some((p) => typeof p === 'object' && !Array.isArray(p) && p.dtype !== 'f32'));
  const result = quantized ? forward(im.module, im.weights, inputs, { training: im.training, record: false, submatrix: false }) : run(im.module, im.weights, inputs, { training: im.training });
  let maxAbsErr = 0;
  if (expected.length !== im.outputs.length) return { name, status: 'fail', reason: `${expected.length} expected outputs for ${im.outputs.length} graph outputs` };
  for (let i = 0; i < im.outputs.length; i++) {
    const { name: outName, binding } = im.outputs[i]!;
    const got = binding.kind === 'value' ? result.outputs[binding.id]! : result.state[binding.id]?.[binding.param] ?? im.weights[binding.id]![binding.param]!;
    const want = expected[i]!;
    if (!want.values) return { name, status: 'skip', reason: `expected output ${outName} is of a type Kiln cannot read` };
    const c = compareTensor(outName, got, want);
    maxAbsErr = Math.max(maxAbsErr, c.maxAbsErr);
    if (c.reason) return { name, status: 'fail', reason: c.reason, maxAbsErr: c.maxAbsErr };
  }
  return { status: 'ok', maxAbsErr };
}

/**
 * An empty file decodes as an empty ModelProto and a truncated one can decode as a model missing
 * its tail; either is a broken case (FAIL), never an unsupported one (SKIP).
 */
function incompleteModel(model: ReturnType<typeof readModel>): string | undefined {
  if (model.irVersion < 1 && model.graph.nodes.length === 0) return 'is empty (no ir_version, no graph): the file is empty or truncated';
  if (model.irVersion < 1) return 'has no ir_version: the file is truncated or not an ONNX model';
  if (model.opsets.size === 0) return 'has no opset_import: the file is truncated or not an ONNX model';
  if (model.graph.outputs.length === 0) return 'has no graph outputs: the file is truncated or not an ONNX model';
  return undefined;
}

/** Run one case directory. Errors become FAIL results with a message, never exceptions. */
export function runOnnxCase(dir: string): CaseResult {
  const name = path.basename(dir);
  try {
    const model = readModel(path.join(dir, 'model.onnx'));
    const broken = incompleteModel(model);
    if (broken) return { name, status: 'fail', reason: `model.onnx ${broken}` };
    const early = unsupportedModel(model);
    if (early) return { name, status: 'skip', reason: early };
    const sets = readdirSync(dir).filter((d) => /^test_data_set_\d+$/.test(d)).sort(byNumber);
    if (sets.length === 0) return { name, status: 'fail', reason: 'no test_data_set_N directory' };
    let maxAbsErr = 0;
    for (const s of sets) {
      const r = runDataSet(dir, model, path.join(dir, s));
      if (r.status !== 'ok') return r;
      maxAbsErr = Math.max(maxAbsErr, r.maxAbsErr);
    }
    return { name, status: 'pass', maxAbsErr };
  } catch (e) {
    if (e instanceof KilnError) return { name, status: 'fail', reason: e.message };
    return { name, status: 'fail', reason: `internal error (a bug in Kiln, please report it): ${(e as Error).message ?? String(e)}` };
  }
}

/** Case directories named by `dirs`: each itself, or its subdirectories holding model.onnx. */
export function caseDirs(dirs: string[]): { cases: string[]; missing: string[] } {
  const cases: string[] = [];
  const missing: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) { missing.push(d); continue; }
    if (existsSync(path.join(d, 'model.onnx'))) { cases.push(d); continue; }
    const subs = readdirSync(d).sort(byNumber).map((s) => path.join(d, s)).filter((s) => existsSync(path.join(s, 'model.onnx')));
    if (subs.length === 0) missing.push(d);
    cases.push(...subs);
  }
  return { cases, missing };
}

export function formatResult(r: CaseResult): string {
  if (r.status === 'pass') return `PASS ${r.name}`;
  if (r.status === 'skip') return `SKIP ${r.name}: ${r.reason}`;
  const err = r.maxAbsErr !== undefined && Number.isFinite(r.maxAbsErr) ? ` (max abs err ${r.maxAbsErr.toPrecision(3)})` : '';
  return `FAIL ${r.name}: ${r.reason}${err}`;
}

/** The `kiln onnx-test` command: prints one line per case and a summary; 1 if any case failed. */
export function runOnnxTests(dirs: string[], io: OnnxTestIo): number {
  const { cases, missing } = caseDirs(dirs);
  for (const m of missing) io.err(`kiln: error: ${m} is not an ONNX test case (a directory with model.onnx) or a folder of them\n`);
  if (cases.length === 0) return missing.length ? 1 : 0;
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const dir of cases) {
    const r = runOnnxCase(dir);
    counts[r.status]++;
    io.out(formatResult(r) + '\n');
  }
  io.out(`${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped\n`);
  return counts.fail > 0 || missing.length > 0 ? 1 : 0;
}
