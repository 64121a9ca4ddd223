/**
 * The real executable, as a user runs it: the bundle in dist/ (test/global-setup.ts builds it
 * before the tests), and once the TypeScript sources. Only these few tests spawn a process; the
 * rest go through main() in-process.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { distIsCurrent } from '../../bin/dist-stamp.js';
import { removeTempFiles, runKilnProcess, runMain, runProcess, tempFiles } from '../helpers/cli.ts';
import { goldenDir, repoRoot } from '../helpers/paths.ts';
import { writeCase } from '../compiler/onnx/helpers/make-onnx.ts';

afterAll(removeTempFiles);

const lenetIr = readFileSync(path.join(goldenDir, 'lenet5.ir'), 'utf8');

// Concurrent: the processes overlap, so the file takes about as long as its slowest test.
describe.concurrent('bin/kiln.js', () => {
  it('runs the bundle: dist/ was built from the sources as they are', () => {
    expect(distIsCurrent()).toBe(true);
  });

  it('runs from the TypeScript sources with KILN_FROM_SOURCE=1, with the same output', async () => {
    const r = await runKilnProcess(['compile', 'examples/lenet5.kiln'], repoRoot, { KILN_FROM_SOURCE: '1' });
    expect(r).toEqual({ code: 0, out: lenetIr, err: '' });
  });

  it('finds its data files from the bundle: presets and report template (estimate), onnx.proto (onnx-test)', async () => {
    const args = ['estimate', 'examples/lenet5.kiln', '--target', 'tpu_v1_like', '--target', 'avx2_laptop'];
    expect(await runKilnProcess(args)).toEqual(runMain(args));
    const dir = tempFiles({});
    writeCase(path.join(dir, 'test_relu'), { opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [3] }], outputs: ['y'] },
      [{ dims: [3], values: [-1, 0.5, 2] }], [{ dims: [3], values: [0, 0.5, 2] }]);
    expect(await runKilnProcess(['onnx-test', dir])).toEqual({ code: 0, out: 'PASS test_relu\n1 passed, 0 failed, 0 skipped\n', err: '' });
  });

  it('compiles examples/lenet5.kiln from the repository root (the README command)', async () => {
    const r = await runKilnProcess(['compile', 'examples/lenet5.kiln']);
    expect(r).toEqual({ code: 0, out: lenetIr, err: '' });
  });

  it('runs as `npx kiln` through the package bin entry', async () => {
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const r = await runProcess(npx, ['--no-install', 'kiln', 'compile', 'examples/lenet5.kiln'], repoRoot);
    expect(r.code).toBe(0);
    expect(r.out).toBe(lenetIr);
  }, 60_000);

  it('exits 1 with formatted diagnostics on stderr and nothing on stdout', async () => {
    const dir = tempFiles({ 'bad.kiln': 'network n {\n  input x : f32[2, 3, 4, 4]\n  y = dense(x, 10)\n  output y\n}\n' });
    const r = await runKilnProcess(['compile', 'bad.kiln'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe([
      'bad.kiln:3:7: error: dense `y`: dense expects a 2 or 3-D input but got 4-D [2, 3, 4, 4]',
      '    3 |   y = dense(x, 10)',
      '      |       ^~~~~',
      '  hint: insert `flatten` before `dense` to turn [batch, c, h, w] into [batch, c·h·w]',
      '',
    ].join('\n'));
  });
});
