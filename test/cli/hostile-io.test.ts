/**
 * Hostile and oversized input on the I/O and numeric side (issue 9), in-process: SCALE-Sim
 * configs and topologies past Kiln's documented limits, option values that are not numbers or
 * absurdly large, output paths that are empty, missing, the input itself, devices, symlinks or
 * FIFOs, and broken ONNX models. Every case must end in exit 1 or 2 with a located message,
 * quickly, and must leave what was on disk untouched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempNameFor, writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles, type RunResult } from '../helpers/cli.ts';
import { writeCase } from '../compiler/onnx/helpers/make-onnx.ts';

afterAll(removeTempFiles);

const CFG = (rows: string, cols = rows, sram = '64') => `[general]
run_name = t
[architecture_presets]
ArrayHeight: ${rows}
ArrayWidth: ${cols}
IfmapSramSzkB: ${sram}
FilterSramSzkB: 64
OfmapSramSzkB: 64
Dataflow: os
`;
const GEMM = 'Layer, M, N, K,\n';
const CONV = 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n';
const TINY = `network tiny(batch = 4) {
  input x : f32[batch, 6]
  y = dense(x, 3) -> softmax
  output y
}

train tiny { data iris(train = 8, test = 4)  epochs 1  batch 4  seed 1  optimizer sgd(lr = 0.1) }
`;
const GRAPH = '4 4\n2 3\n1 4\n1 4\n2 3\n';

const dir = tempFiles({ 'ok.cfg': CFG('32'), 'g.csv': `${GEMM}l1, 64, 64, 64,\n`, 'tiny.kiln': TINY, 'g.graph': GRAPH, 'sub/keep.txt': 'keep\n' });
const at = (name: string) => path.join(dir, name);

function expectClean(r: RunResult, code: 1 | 2, message: RegExp): void {
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(STACK_TRACE);
  expect(r.err).not.toMatch(/internal error/);
  expect(r.code).toBe(code);
}

function timed(argv: string[]): RunResult {
  const t0 = performance.now();
  const r = runMain(argv);
  expect(performance.now() - t0).toBeLessThan(5000);
  return r;
}

describe('SCALE-Sim configs and topologies past the limits', () => {
  // [name, cfg text, csv text, expected message with its line:col]
  const cases: [string, string, string, RegExp][] = [
    ['a 1e9 × 1e9 array', CFG('1000000000'), `${GEMM}l1, 64, 64, 64,\n`, /t\.cfg:4:14: error: ArrayHeight must be at most 65,536, got 1000000000/],
    ['an array side of 2^53', CFG('32', '9007199254740993'), `${GEMM}l1, 64, 64, 64,\n`, /t\.cfg:5:13: error: ArrayWidth must be at most 65,536/],
    ['a huge SRAM', CFG('32', '32', '99999999999'), `${GEMM}l1, 64, 64, 64,\n`, /t\.cfg:6:16: error: IfmapSramSzkB must be at most 1,048,576/],
    ['a zero array side', CFG('0'), `${GEMM}l1, 64, 64, 64,\n`, /t\.cfg:4:14: error: ArrayHeight must be at least 1, got 0/],
    ['a fractional SRAM', CFG('32', '32', '1.5'), `${GEMM}l1, 64, 64, 64,\n`, /t\.cfg:6:16: error: IfmapSramSzkB must be an integer, got `1\.5`/],
    ['a header-only topology', CFG('32'), GEMM, /t\.csv:1:1: error: the topology has no layers/],
    ['a header-only conv topology', CFG('32'), CONV + '\n', /t\.csv:1:1: error: the topology has no layers/],
    ['a GEMM of 1e12', CFG('32'), `${GEMM}l1, 1000000000000, 8, 8,\n`, /t\.csv:2:5: error: M = 1000000000000 is above Kiln's limit of 16,777,216/],
    ['M·N·K past 2^53', CFG('32'), `${GEMM}l1, 16000000, 16000000, 16000000,\n`, /t\.csv:2:25: error: M·N·K = 4\.10e\+21 MACs is above 2\^53/],
    ['a number past 2^64', CFG('32'), `${GEMM}l1, 8, 99999999999999999999999, 8,\n`, /t\.csv:2:8: error: N = 1e\+23 is above/],
    ['1e9 channels', CFG('32'), `${CONV}c1, 10, 10, 3, 3, 1000000000, 1, 1,\n`, /t\.csv:2:19: error: channels 1000000000 is above Kiln's limit of 16,777,216/],
    ['a depthwise row of a million channels', CFG('32'), `${CONV}DP1, 10, 10, 1, 1, 1000000, 1, 1,\n`, /t\.csv:2:20: error: more than 65,536 layers \(a depthwise `DP` row becomes one layer per channel: 1,000,000\)/],
    ['a filter of 3×3×1e6 taps', CFG('32'), `${CONV}c1, 10, 10, 3, 3, 1000000, 1, 1,\n`, /t\.csv:2:19: error: a filter of 3×3×1000000 = 9,000,000 taps is above/],
    ['an output of 3.6e9 pixels', CFG('32'), `${CONV}c1, 60000, 60000, 3, 3, 1, 1, 1,\n`, /t\.csv:2:5: error: an output of 59998×59998 = 3,599,760,004 pixels/],
    ['an overlapping conv of 2.1e9 ifmap words', CFG('32'), `${CONV}c1, 46000, 46000, 17, 17, 1, 1, 16,\n`, /t\.csv:2:1: error: an ifmap of 2116000000 words with overlapping windows is too large to model/],
    ['too many folds for a 1×1 array', CFG('1'), `${GEMM}l1, 16000000, 16, 16,\n`, /t\.csv:2:1: error: layer l1: 256,000,000 folds on the 1×1 array, above Kiln's limit of 4,194,304/],
    ['a missing field', CFG('32'), `${GEMM}l1, 64, 64\n`, /t\.csv:2:11: error: missing K/],
    ['an extra field', CFG('32'), `${GEMM}l1, 64, 64, 64, 7, 9\n`, /t\.csv:2:17: error: unexpected value `7`/],
    ['a non-numeric field', CFG('32'), `${GEMM}l1, 64, abc, 64\n`, /t\.csv:2:9: error: N must be a positive integer, got `abc`/],
    ['a zero field', CFG('32'), `${GEMM}l1, 0, 64, 64\n`, /t\.csv:2:5: error: M must be a positive integer, got `0`/],
    ['a negative field', CFG('32'), `${GEMM}l1, 64, -4, 64\n`, /t\.csv:2:9: error: N must be a positive integer, got `-4`/],
    ['a fractional field', CFG('32'), `${GEMM}l1, 64, 64, 6.5\n`, /t\.csv:2:13: error: K must be a positive integer, got `6\.5`/],
    ['a NaN field', CFG('32'), `${GEMM}l1, NaN, 64, 64\n`, /t\.csv:2:5: error: M must be a positive integer, got `NaN`/],
  ];
  for (const [name, cfg, csv, message] of cases) {
    it(name, () => {
      const d = tempFiles({ 't.cfg': cfg, 't.csv': csv });
      expectClean(timed(['estimate', path.join(d, 't.csv'), '--target', path.join(d, 't.cfg')]), 1, message);
    });
  }

  it('still runs the largest array Kiln accepts, quickly', () => {
    const d = tempFiles({ 't.cfg': CFG('65536') });
    const r = timed(['estimate', at('g.csv'), '--target', path.join(d, 't.cfg'), '--json']);
    expect(r.code).toBe(0);
    const res = (JSON.parse(r.out) as { results: { summary: { cycles: number } }[] }).results[0]!;
    // os, one fold: K + R + C − 2 lines, less one (docs/scalesim-semantics.md).
    expect(res.summary.cycles).toBe(64 + 65536 + 65536 - 2 - 1);
  });
});

describe('option values that are not what the option takes', () => {
  const partition = (flags: string[]) => ['partition', at('g.graph'), '--out', at('g.part'), ...flags];
  const cases: [string[], RegExp][] = [];
  for (const v of ['0', '-1', '1.5', 'abc', 'NaN', '1e300', '9007199254740993', '']) cases.push([partition(['--parts', v]), /--parts takes a whole number ≥ 1, not '/]);
  for (const v of ['5', '2147483648', '9007199254740991']) cases.push([partition(['--parts', v]), new RegExp(`--parts ${v} is more than the 4 vertices of .*g\\.graph; give at most 4`)]);
  for (const v of ['NaN', '1e300', '-1', 'abc', 'Infinity']) cases.push([partition(['--parts', '2', '--imbalance', v]), /--imbalance takes a fraction in \[0, 1\]/]);
  for (const v of ['NaN', '1e300', '-1', 'abc']) cases.push([partition(['--parts', '2', '--seed', v]), /--seed takes a whole number ≥ 0/]);
  for (const v of ['0', 'NaN', '1e300', '-1', 'abc']) cases.push([['partition', at('tiny.kiln'), '--target', 'loihi_1chip', '--chips', v], /--chips takes a whole number ≥ 1/]);
  for (const v of ['4097', '1000000000000']) cases.push([['partition', at('tiny.kiln'), '--target', 'loihi_1chip', '--chips', v], /--chips takes at most 4096 chips/]);
  cases.push([['partition', at('tiny.kiln'), '--target', 'loihi_1chip', '--sweep', 'chips=1,99999999999'], /--sweep takes at most 4096 chips/]);
  for (const v of ['0', 'NaN', '1e300', 'abc']) cases.push([['partition', at('tiny.kiln'), '--target', 'loihi_1chip', '--measure', 'iris:test', '--samples', v], /--samples takes a whole number ≥ 1/]);
  for (const v of ['0', 'NaN', '1e300', '-1', 'abc']) cases.push([['train', at('tiny.kiln'), '--epochs', v], /--epochs takes a whole number ≥ 1/]);
  for (const v of ['0', 'NaN', '1e300', '-1', 'abc']) cases.push([['run', at('tiny.kiln'), '--checkpoint', at('none.ckpt'), '--input', 'iris:test', '--limit', v], /--limit takes a whole number ≥ 1/]);
  for (const v of ['NaN', 'abc']) cases.push([['train', at('tiny.kiln'), '--set', `batch=${v}`], /--set takes NAME=NUMBER/]);
  cases.push([['train', at('tiny.kiln'), '--set', 'batch=1e400'], /--set batch: Infinity is not a finite number/]);
  for (const [argv, message] of cases) {
    it(argv.slice(argv.findIndex((a) => a.startsWith('--') && a !== '--out')).join(' '), () => {
      expectClean(timed(argv), 2, message);
      expect(existsSync(at('g.part'))).toBe(false);
    });
  }
});

describe('rates files that are not rates', () => {
  for (const [name, text, message] of [
    ['null', 'null', /must hold a JSON object, not null/],
    ['an array', '[0.1]', /must hold a JSON object, not an array/],
    ['a string rate', '{"x": "0.1"}', /rate of `x` must be a number in \[0, 1\], not "0\.1"/],
    ['a rate above 1', '{"x": 1e300}', /rate of `x` must be a number in \[0, 1\], not 1e\+300/],
  ] as const) {
    it(name, () => {
      const file = at(`rates-${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, text);
      expectClean(timed(['estimate', at('tiny.kiln'), '--target', 'loihi_1chip', '--rates', file]), 1, message);
    });
  }
});

describe('output paths, checked before any work starts', () => {
  const source = readFileSync(at('tiny.kiln'), 'utf8');
  const cases: [string, string[], RegExp][] = [
    ['an empty checkpoint path', ['train', at('tiny.kiln'), '--checkpoint', ''], /--checkpoint needs a file name, not an empty string/],
    ['an empty resume path', ['train', at('tiny.kiln'), '--resume', ''], /--resume needs a checkpoint file name/],
    ['the checkpoint is the source', ['train', at('tiny.kiln'), '--checkpoint', at('tiny.kiln')], /--checkpoint `.*tiny\.kiln` is the input `.*tiny\.kiln`; writing there would overwrite it/],
    ['the checkpoint is the source through a selector', ['train', `${at('tiny.kiln')}:tiny`, '--checkpoint', at('./tiny.kiln')], /is the input/],
    ['a missing directory', ['train', at('tiny.kiln'), '--checkpoint', at('nowhere/c.ckpt')], /--checkpoint `.*nowhere\/c\.ckpt` cannot be written: the directory `.*nowhere` does not exist; create it first/],
    ['a directory', ['train', at('tiny.kiln'), '--checkpoint', at('sub')], /--checkpoint `.*sub` is a directory/],
    ['a trailing slash', ['train', at('tiny.kiln'), '--checkpoint', at('sub') + '/'], /names a directory/],
    ['a file as the directory', ['train', at('tiny.kiln'), '--checkpoint', at('sub/keep.txt/c.ckpt')], /`.*keep\.txt` is not a directory/],
    ['a partition file over its graph', ['partition', at('g.graph'), '--parts', '2', '--out', at('g.graph')], /--out `.*g\.graph` is the input/],
    ['a partition into a missing directory', ['partition', at('g.graph'), '--parts', '2', '--out', at('nowhere/p')], /--out .* does not exist/],
    ['an empty --out', ['partition', at('g.graph'), '--parts', '2', '--out', ''], /--out needs a file name/],
    ['--mapping and --svg on one file', ['partition', at('tiny.kiln'), '--target', 'loihi_1chip', '--out', at('m.json'), '--svg', at('m.json')], /--svg `.*m\.json` is also given to --out/],
    ['--svg over the source', ['partition', at('tiny.kiln'), '--target', 'loihi_1chip', '--svg', at('tiny.kiln')], /--svg .* is the input/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, () => {
      const before = readdirSync(dir).sort();
      const r = timed(argv);
      expectClean(r, 2, message);
      expect(r.out).toBe(''); // refused before "training …" or any result
      expect(readFileSync(at('tiny.kiln'), 'utf8')).toBe(source);
      expect(readFileSync(at('g.graph'), 'utf8')).toBe(GRAPH);
      expect(readdirSync(dir).sort()).toEqual(before);
    });
  }

  it('refuses a FIFO (a write would wait for a reader forever)', () => {
    const fifo = at('pipe');
    execFileSync('mkfifo', [fifo]);
    expectClean(timed(['partition', at('g.graph'), '--parts', '2', '--out', fifo]), 2, /--out `.*pipe` is a named pipe \(FIFO\)/);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('writes through /dev/null and leaves the device node a device', () => {
    const r = timed(['partition', at('g.graph'), '--parts', '2', '--out', '/dev/null']);
    expect(r.code).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes through a symlink to its target, keeping the link', () => {
    writeFileSync(at('real.part'), 'old\n');
    symlinkSync(at('real.part'), at('link.part'));
    expect(timed(['partition', at('g.graph'), '--parts', '2', '--out', at('link.part')]).code).toBe(0);
    expect(lstatSync(at('link.part')).isSymbolicLink()).toBe(true);
    expect(readFileSync(at('real.part'), 'utf8').trim().split('\n')).toHaveLength(4);
  });
});

describe('the atomic writer', () => {
  it('names its temporary files recognisably and removes those of killed runs', () => {
    const d = tempFiles({ 'out.json': '{"old": true}\n' });
    const file = path.join(d, 'out.json');
    const dead = tempNameFor(file, 2 ** 31 - 2); // no such process
    const live = tempNameFor(file, process.ppid); // a running process: maybe a concurrent write
    writeFileSync(dead, 'half a fi');
    writeFileSync(live, 'in progress');
    expect(path.basename(dead)).toBe(`.out.json.${2 ** 31 - 2}.kiln-tmp`);
    writeFileAtomic(file, '{"new": true}\n', 'result');
    expect(readFileSync(file, 'utf8')).toBe('{"new": true}\n');
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('leaves the previous file whole when a write fails', () => {
    const d = tempFiles({ 'out.json': '{"old": true}\n' });
    const file = path.join(d, 'out.json');
    mkdirSync(tempNameFor(file)); // the temporary file cannot be created
    expect(() => writeFileAtomic(file, '{"new": true}\n', 'result')).toThrowError(/cannot write result `.*out\.json`/);
    expect(readFileSync(file, 'utf8')).toBe('{"old": true}\n');
  });

  it('refuses a directory target without touching it', () => {
    const d = tempFiles({ 'dir/inside.txt': 'x' });
    expect(() => writeFileAtomic(path.join(d, 'dir'), 'text', 'mapping')).toThrowError(/cannot write mapping `.*dir`: is a directory/);
    expect(readFileSync(path.join(d, 'dir/inside.txt'), 'utf8')).toBe('x');
  });
});

describe('kiln onnx-test on a broken model.onnx', () => {
  const relu = { opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [4] }], outputs: ['y'] };
  const x = { dims: [4], values: [-1, 0.5, 2, -3] };
  const y = { dims: [4], values: [0, 0.5, 2, 0] };
  const root = tempFiles({});
  writeCase(path.join(root, 'test_ok'), relu, [x], [y]);
  const whole = readFileSync(path.join(root, 'test_ok', 'model.onnx'));
  for (const [name, bytes] of [['empty', Buffer.alloc(0)], ['half', whole.subarray(0, whole.length >> 1)], ['all-but-one-byte', whole.subarray(0, whole.length - 1)], ['first-byte', whole.subarray(0, 1)]] as const) {
    it(`counts a model.onnx truncated to ${name} as FAIL, not SKIP`, () => {
      const c = path.join(root, `test_${name}`);
      writeCase(c, relu, [x], [y]);
      writeFileSync(path.join(c, 'model.onnx'), bytes);
      const r = timed(['onnx-test', c]);
      expect(r.out).toMatch(new RegExp(`^FAIL test_${name}: .+`, 'm'));
      expect(r.out).toContain('0 passed, 1 failed, 0 skipped');
      expect(r.code).toBe(1);
      expect(r.out + r.err).not.toMatch(STACK_TRACE);
    });
  }
});
