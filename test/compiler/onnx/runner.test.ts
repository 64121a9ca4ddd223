/** `runOnnxTests` (the `kiln onnx-test` command): output lines, summary, exit codes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTensor, runOnnxTests } from '../../../runtime/onnx-test-runner.ts';
import type { ModelIn } from '../../../bench/lib/onnx-model.ts';
import { writeCase } from './helpers/make-onnx.ts';

const root = mkdtempSync(path.join(tmpdir(), 'kiln-onnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const relu: ModelIn = { opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [4] }], outputs: ['y'] };
const x = { dims: [4], values: [-1, 0.5, 2, -3] };

function capture(dirs: string[]): { code: number; out: string[]; err: string } {
  let out = '', err = '';
  const code = runOnnxTests(dirs, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out: out.trimEnd().split('\n'), err };
}

describe('runOnnxTests', () => {
  const suite = path.join(root, 'suite');
  writeCase(path.join(suite, 'test_relu_ok'), relu, [x], [{ dims: [4], values: [0, 0.5, 2, 0] }]);
  writeCase(path.join(suite, 'test_relu_wrong'), relu, [x], [{ dims: [4], values: [0, 0.5, 2.5, 0] }]);
  writeCase(path.join(suite, 'test_unknown'), { ...relu, nodes: [{ op: 'Erf', inputs: ['x'], outputs: ['y'] }] }, [x], [{ dims: [4], values: [0, 0, 0, 0] }]);

  it('prints PASS / FAIL / SKIP per case and the summary, and fails when a case fails', () => {
    const r = capture([suite]);
    expect(r.out).toEqual([
      'PASS test_relu_ok',
      'FAIL test_relu_wrong: output y: 1 of 4 values beyond rtol 0.001, atol 1e-7 (worst at 2: got 2, expected 2.5) (max abs err 0.500)',
      'SKIP test_unknown: ONNX op Erf has no Kiln equivalent',
      '1 passed, 1 failed, 1 skipped',
    ]);
    expect(r.code).toBe(1);
  });

  it('returns 0 when nothing fails, and takes case directories as well as folders of them', () => {
    const r = capture([path.join(suite, 'test_relu_ok'), path.join(suite, 'test_unknown')]);
    expect(r.out.at(-1)).toBe('1 passed, 0 failed, 1 skipped');
    expect(r.code).toBe(0);
  });

  it('reports a directory that holds no case as an error', () => {
    const r = capture([path.join(root, 'nowhere')]);
    expect(r.err).toMatch(/nowhere is not an ONNX test case/);
    expect(r.code).toBe(1);
  });

  it('reports a case whose data do not fit the model as FAIL, not as a crash', () => {
    const dir = writeCase(path.join(root, 'bad', 'test_shape'), relu, [{ dims: [2, 2], values: [1, 2, 3, 4] }], [{ dims: [4], values: [1, 2, 3, 4] }]);
    const r = capture([dir]);
    expect(r.out[0]).toMatch(/^FAIL test_shape: output y has shape \[2, 2\], expected \[4\]/);
  });
});

describe('compareTensor', () => {
  it('uses |got − expected| ≤ atol + rtol·|expected| with ONNX\'s backend-test tolerances', () => {
    const want = { name: 'y', dims: [3], dataType: 1, values: Float64Array.of(1000, 1e-9, 0) };
    expect(compareTensor('y', { shape: [3], data: Float32Array.of(1000.9, 0, 9e-8) }, want).reason).toBeUndefined();
    expect(compareTensor('y', { shape: [3], data: Float32Array.of(1001.2, 0, 0) }, want).reason).toMatch(/1 of 3 values/);
    expect(compareTensor('y', { shape: [3], data: Float32Array.of(1000, 0, 2e-7) }, want).reason).toMatch(/worst at 2/);
  });

  it('treats NaN as equal to NaN, and rounds to half precision when the expected output is float16', () => {
    const nan = { name: 'y', dims: [1], dataType: 1, values: Float64Array.of(NaN) };
    expect(compareTensor('y', { shape: [1], data: Float32Array.of(NaN) }, nan).reason).toBeUndefined();
    // 1 + 2^-11 is halfway between the halves 1 and 1 + 2^-10; round-to-even gives 1.
    const half = { name: 'y', dims: [1], dataType: 10, values: Float64Array.of(1) };
    expect(compareTensor('y', { shape: [1], data: Float32Array.of(1 + 2 ** -11) }, half).maxAbsErr).toBe(0);
  });
});
