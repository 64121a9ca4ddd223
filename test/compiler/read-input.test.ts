/**
 * Every file Kiln is given goes through one reader (compiler/io/read-input.ts), which refuses
 * devices, FIFOs, directories and files over its caps before reading a byte. These tests give
 * each kind of input such a path through the real command and expect a clear error (exit 1),
 * not a hang, an allocation failure or an internal error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { READ_LIMITS, readInputBytes, readInputText } from '../../compiler/io/read-input.ts';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import { removeTempFiles, runKilnProcess, runMain, tempFiles } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/paths.ts';

let dir: string;
const at = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = tempFiles({ 'big.kiln': '' });
  // A sparse file: over the text cap without using the disk or the time to write it.
  truncateSync(at('big.kiln'), READ_LIMITS.text + 1);
  for (const f of ['fifo.kiln', 'fifo.json', 'fifo.csv', 'fifo.cfg', 'fifo.graph', 'fifo.hgr', 'case/model.onnx']) {
    mkdirSync(path.dirname(at(f)), { recursive: true });
    execFileSync('mkfifo', [at(f)]);
  }
  mkdirSync(at('dir.kiln'));
  writeFileSync(at('imports.kiln'), 'import "fifo.kiln"\nnetwork n { input x: f32[1, 4]\n y = x -> relu\n output y }\n');
});
afterAll(removeTempFiles);

function refusedBy(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return (e as KilnError).message;
  }
  throw new Error('expected a KilnError');
}

describe('the input reader', () => {
  it('refuses a FIFO without waiting for a writer', () => {
    expect(refusedBy(() => readInputText(at('fifo.kiln')))).toMatch(/not a regular file/);
    expect(refusedBy(() => readInputBytes(at('fifo.graph'), { kind: 'data' }))).toMatch(/not a regular file/);
  });

  it('refuses a device that never ends, a directory and a missing file', () => {
    expect(refusedBy(() => readInputText('/dev/zero'))).toMatch(/not a regular file/);
    expect(refusedBy(() => readInputText(at('dir.kiln')))).toMatch(/it is a directory/);
    expect(refusedBy(() => readInputText(at('missing.kiln')))).toMatch(/no such file/);
  });

  it('refuses a text file over the text cap, saying the size and the cap', () => {
    expect(statSync(at('big.kiln')).size).toBeGreaterThan(READ_LIMITS.text);
    expect(refusedBy(() => readInputText(at('big.kiln'), { what: 'source' }))).toMatch(/cannot read source `.*big\.kiln`: it is 64\.0 MiB, over Kiln's 64 MiB limit for text inputs/);
    expect(READ_LIMITS.data).toBeGreaterThan(READ_LIMITS.text);
  });

  it('reads a regular file whole', () => {
    const f = path.join(repoRoot, 'examples/mlp.kiln');
    expect(readInputText(f)).toBe(readFileSync(f, 'utf8'));
    expect(Buffer.from(readInputBytes(f)).equals(readFileSync(f))).toBe(true);
  });
});

describe('every command refuses what is not a regular file, with exit 1', () => {
  const cases: [string, () => string[]][] = [
    ['check: a FIFO', () => ['check', at('fifo.kiln')]],
    ['check: /dev/zero', () => ['check', '/dev/zero']],
    ['check: a directory', () => ['check', at('dir.kiln')]],
    ['check: an oversized file', () => ['check', at('big.kiln')]],
    ['check: an import of a FIFO', () => ['check', at('imports.kiln')]],
    ['compile --emit ast', () => ['compile', at('fifo.kiln'), '--emit', 'ast']],
    ['compile: module JSON', () => ['compile', at('fifo.json')]],
    ['estimate: SCALE-Sim topology', () => ['estimate', at('fifo.csv'), '--target', 'avx2_laptop']],
    ['estimate: SCALE-Sim config', () => ['estimate', 'examples/mlp.kiln', '--target', at('fifo.cfg')]],
    ['estimate: rates file', () => ['estimate', 'examples/spiking_cnn.kiln', '--target', 'loihi_1chip', '--rates', at('fifo.json')]],
    ['partition: METIS graph', () => ['partition', at('fifo.graph'), '--parts', '2']],
    ['partition: hMETIS hypergraph', () => ['partition', at('fifo.hgr'), '--parts', '2']],
    ['run: checkpoint', () => ['run', 'examples/iris_mlp.kiln', '--checkpoint', at('fifo.json'), '--input', 'iris:test']],
    // With --checkpoint elsewhere, --resume is only read (as the output too, a FIFO is a usage error, exit 2).
    ['train: resume', () => ['train', 'examples/iris_mlp.kiln', '--resume', at('fifo.json'), '--checkpoint', at('resumed.ckpt')]],
    ['onnx-test: model', () => ['onnx-test', at('case')]],
  ];
  for (const [name, argv] of cases) {
    it(name, () => {
      const r = runMain(argv());
      expect(r.code, r.err).toBe(1);
      // onnx-test reports a failed case on stdout, with the others.
      expect(r.err + r.out).toMatch(/not a regular file|it is a directory|limit for text inputs/);
      expect(r.err).not.toMatch(/internal error/);
    });
  }

  it('an import of a FIFO is reported at the import line', () => {
    const r = runMain(['check', at('imports.kiln')]);
    expect(r.err).toMatch(/imports\.kiln:1:8: error: cannot read `.*fifo\.kiln`: it is not a regular file/);
  });

  it('run: --input names a FIFO (checked in a subprocess, so a hang cannot stall the suite)', async () => {
    const ckpt = at('iris.ckpt');
    expect(runMain(['train', 'examples/iris_mlp.kiln', '--epochs', '1', '--checkpoint', ckpt]).code).toBe(0);
    const r = await runKilnProcess(['run', 'examples/iris_mlp.kiln', '--checkpoint', ckpt, '--input', at('fifo.json')]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/cannot read inputs `.*fifo\.json`: it is not a regular file/);
  }, 60_000);
});

/** Files of the four floors, for the routing check below. */
function sources(dirName: string): string[] {
  const root = path.join(repoRoot, dirName);
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, f));
}

describe('one reader', () => {
  it('no code in compiler/, targets/, runtime/ or cli/ reads a file by itself, except Kiln\'s own files', () => {
    const offenders: string[] = [];
    for (const file of ['compiler', 'targets', 'runtime', 'cli'].flatMap(sources)) {
      if (file.endsWith(path.join('io', 'read-input.ts'))) continue;
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        // Kiln's own resources (package.json, onnx.proto, the report template) are named by URL or by packagePath.
        if (/\breadFileSync\(|\bcreateReadStream\(|\bpromises\.readFile\(/.test(line) && !/readFileSync\((new URL|packagePath)\(/.test(line)) offenders.push(`${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
