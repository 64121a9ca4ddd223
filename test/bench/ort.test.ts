/**
 * bench/ort.ts's models for the onnxruntime-node peer: loaded back through Kiln's own ONNX importer
 * and run in Kiln's interpreter, they compute what the benchmark times on Kiln's kernels (sgemm,
 * conv2d with pad 1), so a wrong model cannot pass for a fast peer. None of this needs
 * onnxruntime-node; its absence must be a message, not a crash.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importOnnx } from '../../compiler/onnx/importer.ts';
import { decodeModel } from '../../compiler/onnx/proto.ts';
import { run } from '../../runtime/interpreter.ts';
import { sgemm } from '../../runtime/kernels/gemm.ts';
import { conv2d } from '../../runtime/kernels/conv2d.ts';
import { mulberry32, randomNormal, type Tensor } from '../../runtime/tensor.ts';
import { convModel, loadOrt, matMulModel, ORT_INSTALL_HINT } from '../../bench/ort.ts';
import { timeTogetherAsync } from '../../bench/timing.ts';
import { burnCpu } from '../helpers/burn-cpu.ts';
import { encodeModel, type ModelIn } from '../../bench/lib/onnx-model.ts';

function runThroughKiln(m: ModelIn, feeds: Record<string, Tensor>): Tensor {
  const r = importOnnx(decodeModel(encodeModel(m)));
  if (!r.ok) throw new Error(`Kiln could not import the bench model: ${r.reason}`);
  const inputs = Object.fromEntries(r.value.inputs.map(({ name, id }) => [id, feeds[name]!]));
  const res = run(r.value.module, r.value.weights, inputs, { training: r.value.training });
  const b = r.value.outputs[0]!.binding;
  if (b.kind !== 'value') throw new Error('the output is not a value');
  return res.outputs[b.id]!;
}

function expectClose(got: Tensor, shape: number[], want: Float32Array): void {
  expect(got.shape).toEqual(shape);
  got.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
}

describe('bench/ort.ts models', () => {
  it('MatMul of two n×n inputs is the product sgemm computes', () => {
    const n = 12, rng = mulberry32(1);
    const a = randomNormal([n, n], rng), b = randomNormal([n, n], rng);
    const c = new Float32Array(n * n);
    sgemm({ m: n, n, k: n, a: a.data, b: b.data, c });
    expectClose(runThroughKiln(matMulModel(n), { a, b }), [n, n], c);
  });

  it('Conv is the 3×3 padded convolution conv2d computes, weights carried in the model', () => {
    const rng = mulberry32(2);
    const x = randomNormal([1, 3, 7, 7], rng), w = randomNormal([5, 3, 3, 3], rng);
    expectClose(runThroughKiln(convModel(x.shape, w), { x }), [1, 5, 7, 7], conv2d(x, w, undefined, { pad: 1 }).data);
  });
});

describe('loadOrt', () => {
  afterEach(() => { vi.unstubAllEnvs(); vi.restoreAllMocks(); });
  it('says how to get onnxruntime-node when it is not where KILN_ORT_PATH points', async () => {
    vi.stubEnv('KILN_ORT_PATH', '/nonexistent/onnxruntime-node');
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await loadOrt()).toBeUndefined();
    expect(err.mock.calls.flat().join('\n')).toContain(ORT_INSTALL_HINT);
  });
});

describe('timeTogetherAsync', () => {
  it('charges each awaited call its own CPU time, in round-robin', async () => {
    const order: string[] = [];
    const [short, long] = await timeTogetherAsync([
      () => { order.push('s'); burnCpu(2); },
      // As onnxruntime-node runs: the work inside a setImmediate, an event-loop turn later.
      async () => { await new Promise((r) => setImmediate(r)); order.push('l'); burnCpu(20); },
    ], 3, 1);
    expect(order.join('')).toBe('slslslsl');
    expect(long!.median).toBeGreaterThan(5 * short!.median);
    expect(short!.median).toBeGreaterThanOrEqual(2);
  });
});
