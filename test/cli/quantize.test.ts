/** kiln quantize and kiln export on the command line: usage errors, output checks, JSON, run on the results. */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wasmCalls } from '../../runtime/kernels/wasm/calls.ts';
import { setI16WasmMinMacs } from '../../runtime/kernels/wasm/gemm-i16.ts';
import { residentBytes, setKernelBackend } from '../../runtime/kernels/wasm/instance.ts';
import { runMain } from '../helpers/cli.ts';
import { writeUntrainedCheckpoint } from '../helpers/checkpoint.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kiln-quantize-cli-'));
const ckpt = path.join(dir, 'iris.ckpt');
writeUntrainedCheckpoint('examples/iris_mlp.kiln', ckpt);
const q = (...args: string[]) => runMain(['quantize', 'examples/iris_mlp.kiln', '--checkpoint', ckpt, ...args]);

describe('kiln quantize: bad command lines are exit 2 before any work', () => {
  it.each([
    [['--weights', 'i4'], /--weights takes i8 or i16/],
    [['--weights', 'binary'], /binary and ternary networks need training/],
    [['--activations', 'i8 per_channel'], /one static scale per tensor/],
    [['--method', 'entropy'], /--method takes max, mse or percentile:P/],
    [['--method', 'percentile:120'], /--method takes/],
    [['--samples', '0'], /--samples takes a whole number ≥ 1/],
    [['--calibrate', 'cifar:train'], /--calibrate takes a data set split/],
    [['--target', 'no_such_chip'], /unknown target 'no_such_chip'/],
    [['--out', path.join(dir, 'missing', 'q.ckpt')], /--out .* the directory .* does not exist/],
  ])('%j', (args, message) => {
    const r = q(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('needs --checkpoint', () => {
    const r = runMain(['quantize', 'examples/iris_mlp.kiln']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--checkpoint PATH/);
  });

  it('has --help', () => {
    const r = runMain(['quantize', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--method M/);
  });
});

describe('kiln quantize, kiln export and kiln run together', () => {
  const out = path.join(dir, 'iris-i8.ckpt');
  it('prints one JSON object with both accuracies and writes a checkpoint kiln run and kiln export read', () => {
    const r = q('--samples', '50', '--method', 'percentile:99.9', '--out', out, '--target', 'avx2_laptop', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.f32_accuracy).toBeGreaterThanOrEqual(0);
    expect(j.quantized_accuracy).toBeLessThanOrEqual(1);
    expect(typeof j.per_tensor_accuracy).toBe('number');
    expect(j.estimates.quantized[0].param_bytes).toBeLessThan(j.estimates.f32[0].param_bytes);
    const run = runMain(['run', 'examples/iris_mlp.kiln', '--checkpoint', out, '--input', 'iris:test', '--json']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out).accuracy).toBe(j.quantized_accuracy);
    const exp = path.join(dir, 'iris-i8.kexp');
    const e = runMain(['export', 'examples/iris_mlp.kiln', '--checkpoint', out, '--out', exp, '--json']);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).bytes).toBeLessThan(JSON.parse(e.out).checkpoint_bytes);
    const fromExport = runMain(['run', 'examples/iris_mlp.kiln', '--checkpoint', exp, '--input', 'iris:test', '--json']);
    expect(JSON.parse(fromExport.out).predictions).toEqual(JSON.parse(run.out).predictions);
  });

  it('refuses to quantize a quantized checkpoint, and training refuses to resume one', () => {
    const r = runMain(['quantize', 'examples/iris_mlp.kiln', '--checkpoint', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already quantized/);
    const t = runMain(['train', 'examples/iris_mlp.kiln', '--resume', out, '--checkpoint', path.join(dir, 'again.ckpt')]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/keeps no latent weights/);
  });
});

describe('kiln export: bad command lines', () => {
  it('needs --checkpoint and --out', () => {
    expect(runMain(['export', 'examples/iris_mlp.kiln', '--out', path.join(dir, 'x.kexp')]).code).toBe(2);
    expect(runMain(['export', 'examples/iris_mlp.kiln', '--checkpoint', ckpt]).code).toBe(2);
  });
  it('refuses to overwrite its input', () => {
    const r = runMain(['export', 'examples/iris_mlp.kiln', '--checkpoint', ckpt, '--out', ckpt]);
    expect(r.code).toBe(2);
    expect(existsSync(ckpt)).toBe(true);
  });
});

describe('kiln quantize and kiln run give back the weights their integer layers packed', () => {
  afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); });

  it.each(['i8', 'i16'])('--weights %s: the kernels\' resident memory is back where it started after each command', (weights) => {
    // Iris's layers are below the size the integer GEMMs go to WebAssembly at: every size goes, so
    // the layers pack their weights into resident blocks that only dispose() gives back.
    setKernelBackend('wasm');
    setI16WasmMinMacs(0);
    const out = path.join(dir, `iris-dispose-${weights}.ckpt`);
    // Every lowered layer's call on that path quantizes its input in WebAssembly (counted).
    const before = residentBytes();
    let calls = wasmCalls('quantize');
    const r = q('--samples', '30', '--weights', weights, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(wasmCalls('quantize')).toBeGreaterThan(calls);
    expect(residentBytes()).toBe(before);
    calls = wasmCalls('quantize');
    const run = runMain(['run', 'examples/iris_mlp.kiln', '--checkpoint', out, '--input', 'iris:test', '--json']);
    expect(run.code, run.err).toBe(0);
    expect(wasmCalls('quantize')).toBeGreaterThan(calls);
    expect(residentBytes()).toBe(before);
  });
});
