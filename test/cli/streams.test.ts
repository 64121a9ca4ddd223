/**
 * Issue 9: in every command, results go to stdout and diagnostics and warnings to stderr. Each
 * command runs in-process with both streams captured: once clean (with a warning where the
 * command has one to give), once with an error in its input, once with a command-line mistake.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles, type RunResult } from '../helpers/cli.ts';
import { examplesDir } from '../helpers/paths.ts';
import { writeCase } from '../compiler/onnx/helpers/make-onnx.ts';

afterAll(removeTempFiles);

const SNN = `network snn {
  input x : f32[1, 16]
  timesteps 4
  # 8-bit weights, as Loihi stores them: an f32 network would be warned about (assumed quantized).
  h = dense(x, 32, weights = i8) -> lif
  y = dense(h, 10, weights = i8) -> lif
  output y
}
`;
const dir = tempFiles({
  'warn.kiln': 'network w {\n  input x : f32[1, 4]\n  unused = relu(x)\n  y = dense(x, 2)\n  output y\n}\n',
  'bad.kiln': 'network b {\n  input x : f32[1, 4]\n  y = dense(x, 2) -> relux\n  output y\n}\ntrain b { data iris(train = 120, test = 30) epochs 1 batch 1 optimizer adam(lr = 1e-2) loss cross_entropy }\n',
  'snn.kiln': SNN,
  'tiny.kiln': 'target tiny : systolic { array 8 x 8 }\n',
  'broken-target.kiln': 'target t : systolic { array 8 x 8  clokc 1 GHz }\n',
});
const at = (f: string) => path.join(dir, f);
const iris = path.join(examplesDir, 'iris_mlp.kiln');

/** Stderr holds only diagnostics (FILE:LINE:COL or kiln: …, their source lines, hints, counts). */
function onlyDiagnostics(err: string): void {
  for (const line of err.split('\n').filter(Boolean)) {
    expect(line, `not a diagnostic line on stderr: ${line}`).toMatch(/^(\S+:\d+:\d+: |kiln: |kiln \w+: |\s+\d* \| |\s+hint: |\d+ errors$)/);
  }
}

/** An input error: exit 1, diagnostics on stderr, nothing on stdout. */
function inputError(r: RunResult, message: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(STACK_TRACE);
  onlyDiagnostics(r.err);
}

describe('results on stdout, diagnostics on stderr', () => {
  it('compile', () => {
    const r = runMain(['compile', at('warn.kiln')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^network w/);
    expect(r.out).not.toMatch(/warning/);
    expect(r.err).toMatch(/warn\.kiln:3:12: warning: `unused` is not used/);
    onlyDiagnostics(r.err);
    inputError(runMain(['compile', at('bad.kiln')]), /bad\.kiln:3:22: error: unknown op `relux`/);
  });

  it('check', () => {
    const r = runMain(['check', at('warn.kiln')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/warn\.kiln: ok \(1 network, 0 targets, 0 train blocks\)\n$/);
    expect(r.err).toMatch(/warning: `unused`/);
    inputError(runMain(['check', at('bad.kiln')]), /unknown op `relux`/);
  });

  it('estimate: the assumed defaults of a target are warnings on stderr, in the report and in --json', () => {
    const r = runMain(['estimate', iris, '--target', `${at('tiny.kiln')}:tiny`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/== totals ==/);
    expect(r.out).not.toMatch(/warning|assuming/);
    expect(r.err).toMatch(/kiln: warning: tiny: `clock` not given; assuming/);
    onlyDiagnostics(r.err);
    const j = runMain(['estimate', iris, '--target', `${at('tiny.kiln')}:tiny`, '--json']);
    expect((JSON.parse(j.out) as { results: { warnings: string[] }[] }).results[0]!.warnings.length).toBeGreaterThan(0);
    expect(j.err).toBe(r.err);
    inputError(runMain(['estimate', at('bad.kiln'), '--target', 'avx2_laptop']), /unknown op `relux`/);
  });

  it('train and run', () => {
    const ckpt = at('iris.ckpt');
    const t = runMain(['train', iris, '--epochs', '1', '--checkpoint', ckpt]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^training iris_mlp on iris[\s\S]*epoch 1\/1[\s\S]*done: test accuracy/);
    expect(t.err).toBe('');
    const again = runMain(['train', iris, '--epochs', '1', '--resume', ckpt]);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/^kiln train: the checkpoint already holds 1 of 1 epochs; nothing to do/);
    inputError(runMain(['train', at('bad.kiln')]), /unknown op `relux`/);
    const r = runMain(['run', iris, '--checkpoint', ckpt, '--input', 'iris:test']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^iris_mlp on iris:test \(30 samples\): accuracy/);
    expect(r.err).toBe('');
    inputError(runMain(['run', iris, '--checkpoint', at('nowhere.ckpt'), '--input', 'iris:test']), /cannot read checkpoint or export `.*nowhere\.ckpt`/);
    // --resume takes no export, and says so; its header waits for training, so stdout stays empty.
    inputError(runMain(['train', iris, '--epochs', '1', '--resume', at('nowhere.ckpt')]), /^kiln: error: cannot read checkpoint `.*nowhere\.ckpt`/m);
  });

  it('partition', () => {
    const r = runMain(['partition', at('snn.kiln'), '--target', 'loihi_1chip']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^snn \(.*\) on loihi_1chip: \d+ cores? on 1 chip/); // the work spreads over idle cores when that saves static energy
    expect(r.out).not.toMatch(/warning/);
    expect(r.err).toMatch(/kiln: warning: no firing rate for x, h, y; assuming 0\.1/);
    onlyDiagnostics(r.err);
    expect(runMain(['partition', at('snn.kiln'), '--target', 'loihi_1chip', '--rate', '0.05']).err).toBe('');
    inputError(runMain(['partition', at('bad.kiln'), '--target', 'loihi_1chip']), /unknown op `relux`/);
  });

  it('onnx-test', () => {
    const relu = { opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [2] }], outputs: ['y'] };
    const ok = writeCase(at('onnx/test_relu'), relu, [{ dims: [2], values: [-1, 2] }], [{ dims: [2], values: [0, 2] }]);
    const r = runMain(['onnx-test', ok]);
    expect(r).toEqual({ code: 0, out: 'PASS test_relu\n1 passed, 0 failed, 0 skipped\n', err: '' });
    const missing = runMain(['onnx-test', ok, at('nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.out).toBe(r.out);
    expect(missing.err).toMatch(/^kiln: error: .*nowhere is not an ONNX test case/);
  });
});

describe('a target named on the command line', () => {
  for (const command of ['estimate', 'partition']) {
    it(`${command}: an unknown preset is a usage error (exit 2) with a did-you-mean and the presets`, () => {
      const r = runMain([command, at('snn.kiln'), '--target', 'loihi_1chp']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(`kiln ${command}: unknown target 'loihi_1chp'\n  hint: did you mean \`loihi_1chip\`? presets: avx2_laptop, avx512_vnni_server, loihi_1chip, loihi_32chip, neon_core, systolic_128x128, systolic_32x32, tpu_v1_like; or FILE.kiln:NAME, or a SCALE-Sim .cfg\n`);
      const far = runMain([command, at('snn.kiln'), '--target', 'no_such_preset']);
      expect(far.code).toBe(2);
      expect(far.err).toMatch(/unknown target 'no_such_preset'\n {2}hint: presets: avx2_laptop,/);
    });

    it(`${command}: a target file with errors is an input error (exit 1), at its position`, () => {
      inputError(runMain([command, at('snn.kiln'), '--target', `${at('broken-target.kiln')}:t`]), /broken-target\.kiln:1:36: error: unknown property `clokc`/);
    });
  }

  it('the preset name is checked before the input is read', () => {
    const r = runMain(['estimate', at('bad.kiln'), '--target', 'tpu_v1_lik']);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/relux/);
  });
});
