/**
 * ONNX backend node tests (ONNX v1.22.0, test/fixtures/onnx-node): every case either passes
 * within ONNX's backend-test tolerance or is a skip listed here with the reason Kiln gives and why
 * that is right. A case not listed must pass, so a new failure or an unexplained skip fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../helpers/fixtures.ts';
import { repoRoot } from '../../helpers/paths.ts';
import { caseDirs, runOnnxCase, type CaseResult } from '../../../runtime/onnx-test-runner.ts';

const suite = fixture('onnx-node');

interface ExpectedSkip {
  cases: RegExp;
  reason: RegExp;
  /** Why skipping is correct rather than a gap. */
  why: string;
}

const EXPECTED_SKIPS: ExpectedSkip[] = [
  { cases: /^test_(add|mul)_uint(8|16|32|64)$|^test_maxpool_2d_uint8$/, reason: /is uint\d+, which is not a Kiln dtype/, why: 'Kiln has no unsigned integer dtypes (f32, f16, bf16, i32, i16, i8 only)' },
  { cases: /^test_(average|max)pool_3d_/, reason: /over 3 spatial axes: Kiln's window ops are 2-D/, why: 'Kiln pools over 2-D images (1-D is lifted to 2-D); volumetric pooling is not in the vocabulary' },
  { cases: /^test_convtranspose/, reason: /transposed convolution is not in Kiln's vocabulary/, why: 'Kiln has no transposed convolution; its decoders use upsample2d + conv2d' },
  { cases: /^test_(de)?quantizelinear_(e4m3fn|e5m2|float4e2m1|u?int[24])/, reason: /Kiln's integer ranges are int8, uint8, int16 and uint16/, why: 'float8, float4, int4 and int2 are not Kiln precisions; the int8, uint8, int16 and uint16 cases pass' },
  { cases: /^test_(de)?quantizelinear_blocked/, reason: /blocked scales: Kiln's scales are per tensor or per channel/, why: 'Kiln precisions share a scale per tensor or per channel, not per block of a channel' },
  { cases: /^test_(clip(?!_default_(int8_)?inbounds)|leakyrelu)\w*_expanded$/, reason: /ONNX op Less has no Kiln equivalent/, why: 'the function-expanded forms use comparison and selection ops (Less, Where) that Kiln does not have; the unexpanded cases pass (and the bound-less clips expand to Identity, which passes)' },
  { cases: /^test_(log)?softmax\w*_expanded(_ver18)?$/, reason: /ONNX op ReduceMax has no Kiln equivalent/, why: 'the expanded forms use reductions, Exp and Log ops Kiln does not have; the unexpanded cases pass' },
  { cases: /^test_relu_expanded_ver18$/, reason: /ONNX op Max has no Kiln equivalent/, why: 'expanded into an elementwise Max, which Kiln does not have; test_relu passes' },
  { cases: /^test_maxpool_with_argmax_/, reason: /Indices output .* has no Kiln equivalent/, why: 'Kiln values are tensors of numbers a layer computes; argmax positions are not one' },
  { cases: /^test_lstm_with_peepholes$/, reason: /peephole connections/, why: 'Kiln\'s lstm has no peepholes (nor initial states, which this case also sets)' },
  { cases: /^test_reshape_allowzero_reordered$/, reason: /zero-sized axis/, why: 'Kiln shapes have positive sizes; a 0-sized tensor has no data to compute' },
  { cases: /^test_round$/, reason: /ONNX op Round has no Kiln equivalent/, why: 'not in Kiln\'s vocabulary' },
  { cases: /^test_sign$/, reason: /Kiln's sign is a binarization that maps 0 to \+1/, why: 'Kiln\'s sign binarizes (BinaryNet: sign(0) = +1, output binary); ONNX Sign(0) = 0, so mapping one to the other would be wrong' },
  { cases: /^test_training_dropout(_default)?$/, reason: /draws a random mask/, why: 'the expected output depends on the reference implementation\'s random generator; Kiln\'s dropout is tested on its own' },
  { cases: /^test_training_dropout(_default)?_mask$/, reason: /mask output of a training-mode Dropout/, why: 'a random mask, and Kiln keeps dropout masks internal' },
];

describe('ONNX backend node tests', () => {
  const { cases } = caseDirs([suite]);
  const results = new Map<string, CaseResult>(cases.map((d) => [path.basename(d), runOnnxCase(d)]));

  // ONNX v1.22.0 has 311 cases for these ops; the fixture leaves out three large ones (its README says which).
  it('finds all 308 cases of the fixture folder', () => {
    expect(cases.length).toBe(308);
  });

  it('has no failures', () => {
    const failed = [...results.values()].filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.reason}`);
    expect(failed).toEqual([]);
  });

  it('passes every case that is not an expected skip, and skips those for the listed reason', () => {
    const wrong: string[] = [];
    for (const r of results.values()) {
      const skip = EXPECTED_SKIPS.find((s) => s.cases.test(r.name));
      if (!skip && r.status !== 'pass') wrong.push(`${r.name} should pass, got ${r.status}: ${r.reason}`);
      if (skip && (r.status !== 'skip' || !skip.reason.test(r.reason ?? ''))) wrong.push(`${r.name} should skip with ${skip.reason}, got ${r.status}: ${r.reason}`);
    }
    expect(wrong).toEqual([]);
  });

  it('uses every entry of the skip list (no stale justifications)', () => {
    const unused = EXPECTED_SKIPS.filter((s) => ![...results.keys()].some((n) => s.cases.test(n))).map((s) => String(s.cases));
    expect(unused).toEqual([]);
  });

  it('passes the cases of every ONNX op Kiln imports that the folder covers', () => {
    const passed = [...results.values()].filter((r) => r.status === 'pass').map((r) => r.name);
    for (const prefix of ['test_add', 'test_mul', 'test_averagepool_2d', 'test_maxpool_2d', 'test_conv_', 'test_basic_conv', 'test_Conv2d', 'test_Conv1d',
      'test_batchnorm', 'test_BatchNorm2d', 'test_clip', 'test_concat', 'test_flatten', 'test_gemm', 'test_matmul_', 'test_globalaveragepool',
      'test_gru', 'test_lstm', 'test_rnn', 'test_simple_rnn', 'test_leakyrelu', 'test_LeakyReLU', 'test_PReLU', 'test_logsoftmax', 'test_softmax',
      'test_relu', 'test_sigmoid', 'test_tanh', 'test_reshape', 'test_transpose', 'test_dropout', 'test_Linear',
      'test_quantizelinear', 'test_dequantizelinear', 'test_qlinearconv', 'test_qlinearmatmul', 'test_convinteger', 'test_matmulinteger']) {
      expect(passed.some((n) => n.startsWith(prefix)), prefix).toBe(true);
    }
  });

  it('matches the counts stated in docs/onnx-conformance.md', () => {
    const counts = { pass: 0, fail: 0, skip: 0 };
    for (const r of results.values()) counts[r.status]++;
    const doc = readFileSync(path.join(repoRoot, 'docs/onnx-conformance.md'), 'utf8');
    expect(doc).toContain(`${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
  });
});
