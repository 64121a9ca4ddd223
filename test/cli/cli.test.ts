/** The `kiln` command run in-process through `main(argv, io)`: output streams and exit codes. */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../../cli/main.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { examplesDir, goldenDir, presetsDir, repoRoot } from '../helpers/paths.ts';
import { net } from '../helpers/kiln.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';

afterAll(removeTempFiles);

const lenet = path.join(examplesDir, 'lenet5.kiln');
const golden = (name: string) => readFileSync(path.join(goldenDir, name), 'utf8');

describe('kiln: help and version', () => {
  it('prints the version from package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    for (const flag of ['--version', '-V']) expect(runMain([flag])).toEqual({ code: 0, out: `kiln ${pkg.version}\n`, err: '' });
  });

  it('prints help with every command and the exit codes', () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = runMain(argv);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toContain('usage: kiln COMMAND [options]');
      expect(r.out).toMatch(/^ {2}compile +compile a network/m);
      expect(r.out).toMatch(/^ {2}check +check a \.kiln file/m);
      expect(r.out).toContain('Exit status: 0 ok, 1 errors in the input, 2 bad command line, 70 internal error.');
    }
  });

  it('prints help but exits 2 when no command is given', () => {
    const r = runMain([]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('usage: kiln COMMAND');
  });

  it('prints the options of one command', () => {
    const c = runMain(['compile', '--help']);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/^usage: kiln compile FILE\[\.kiln\|\.json\|\.onnx\]\[:NETWORK\]/);
    for (const flag of ['--emit ast|ir|json', '--set NAME=VALUE', '--print-after-all', '--verify-each', '--timing']) expect(c.out).toContain(flag);
    const k = runMain(['check', 'whatever.kiln', '-h']);
    expect(k.code).toBe(0);
    expect(k.out).toMatch(/^usage: kiln check FILE\.kiln/);
  });

  it('kiln run --help names every data set --input takes (it once stopped at sequence)', () => {
    const r = runMain(['run', '--help']);
    expect(r.code).toBe(0);
    const from = r.out.indexOf('\n  --input DATA');
    const input = r.out.slice(from, r.out.indexOf('\n  --json', from));
    for (const name of DATASETS) expect(input).toMatch(new RegExp(`[ (]${name}[,)]`));
  });
});

describe('kiln: usage errors exit 2', () => {
  const usage = (argv: string[], message: string | RegExp) => {
    const r = runMain(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    if (typeof message === 'string') expect(r.err).toContain(message);
    else expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(STACK_TRACE);
  };

  it('an unknown command, with the help', () => {
    usage(['frobnicate'], "kiln: unknown command 'frobnicate'");
    expect(runMain(['frobnicate']).err).toContain('usage: kiln COMMAND');
  });

  it('an unknown flag, listing the options', () => usage(['compile', lenet, '--frob'], "kiln compile: unknown option '--frob' (options: --emit, --set, --print-after-all, --verify-each, --timing)"));
  it('a flag of another command', () => usage(['check', lenet, '--emit', 'json'], "kiln check: unknown option '--emit' (options: --set)"));
  it('a missing value', () => usage(['compile', lenet, '--emit'], 'kiln compile: --emit needs a value'));
  it('a bad --emit choice', () => usage(['compile', lenet, '--emit', 'xml'], "kiln compile: --emit must be one of ast, ir, json, not 'xml'"));
  it('a bad --emit= choice', () => usage(['compile', lenet, '--emit=yaml'], "--emit must be one of ast, ir, json, not 'yaml'"));
  it('a bad --set', () => {
    usage(['compile', lenet, '--set', 'batch'], "kiln compile: --set takes NAME=NUMBER, e.g. --set batch=1, not 'batch'");
    usage(['compile', lenet, '--set', 'batch=many'], "not 'batch=many'");
    usage(['check', lenet, '--set', '1x=2'], "kiln check: --set takes NAME=NUMBER");
  });
  it('a value given to a switch', () => usage(['compile', lenet, '--timing=yes'], 'kiln compile: --timing takes no value'));
  it('a flag given twice', () => usage(['compile', lenet, '--emit', 'ir', '--emit', 'json'], 'kiln compile: --emit given twice'));
  it('no file, or two', () => {
    usage(['compile'], 'kiln compile: expected one FILE, got none');
    usage(['check', 'a.kiln', 'b.kiln'], 'kiln check: expected one FILE, got a.kiln b.kiln');
  });
  it('--emit ast of a JSON module', () => usage(['compile', 'x.json', '--emit', 'ast'], 'kiln compile: --emit ast needs a .kiln file'));
});

describe('kiln compile', () => {
  it('prints the IR on stdout and nothing else', () => {
    expect(runMain(['compile', lenet])).toEqual({ code: 0, out: golden('lenet5.ir'), err: '' });
  });

  it('takes --emit=VALUE, repeated --set, and -- before a file name', () => {
    const r = runMain(['compile', '--emit=ir', '--set', 'batch=1', '--', lenet]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('network lenet5(batch = 1) {');
    expect(r.out).toContain('input x : f32[1, 1, 28, 28]');
    expect(r.out).toContain('# f32[1, 10]');
  });

  it('emits the AST as JSON', () => {
    const r = runMain(['compile', lenet, '--emit', 'ast']);
    expect(r.code).toBe(0);
    const ast = JSON.parse(r.out) as { file: string; decls: { kind: string; name: { name: string } }[] };
    expect(ast.file).toBe(lenet);
    expect(ast.decls.map((d) => `${d.kind} ${d.name.name}`)).toEqual(['network lenet5', 'train lenet5']);
  });

  it('emits the AST only of a file that parses', () => {
    const dir = tempFiles({ 'bad.kiln': 'network n {\n  y = relu(x\n}\n' });
    const r = runMain(['compile', path.join(dir, 'bad.kiln'), '--emit', 'ast']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${path.join(dir, 'bad.kiln')}:3:1: error: expected ')' but found '}'`);
  });

  it('selects a network with FILE:NETWORK, and asks when it must', () => {
    const residual = path.join(examplesDir, 'blocks/residual.kiln');
    const r = runMain(['compile', `${residual}:down_block`]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(golden('residual.down_block.ir'));
    const a = runMain(['compile', residual]);
    expect(a.code).toBe(1);
    expect(a.err).toContain(`${residual}:1:1: error: ${residual} declares 2 networks (basic_block, down_block); say which`);
    expect(a.err).toContain(`hint: write ${residual}:basic_block`);
  });

  it('prints the IR after every pass to stderr with --print-after-all', () => {
    const r = runMain(['compile', lenet, '--print-after-all']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(golden('lenet5.ir'));
    const sections = r.err.split(/^\/\/ ----- IR after (.+) -----$/m);
    expect(sections.filter((_, i) => i % 2 === 1)).toEqual(['eliminate-dead-code', 'infer-shapes']);
    expect(sections[4]).toBe('\n' + golden('lenet5.ir'));
  });

  it('times every pass with --timing', () => {
    const r = runMain(['compile', lenet, '--timing']);
    expect(r.code).toBe(0);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe('pass timing:');
    expect(lines.slice(1).map((l) => /^ {2}(\S+) +(\d+\.\d{3}) ms$/.exec(l)?.[1])).toEqual(['eliminate-dead-code', 'infer-shapes']);
  });

  it('verifies after every pass with --verify-each and prints the same IR', () => {
    expect(runMain(['compile', lenet, '--verify-each'])).toEqual({ code: 0, out: golden('lenet5.ir'), err: '' });
  });

  it('reports errors with position, source line, caret and hint, and exits 1', () => {
    const dir = tempFiles({ 'bad.kiln': net(['input x : f32[1, 3, 8, 8]', 'y = conv3d(x, 4, 3)', 'z = dense(x, unitz = 3)', 'output y, z']) });
    const file = path.join(dir, 'bad.kiln');
    const r = runMain(['compile', file]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe([
      `${file}:3:7: error: unknown op \`conv3d\``,
      '    3 |   y = conv3d(x, 4, 3)',
      '      |       ^~~~~~',
      '  hint: did you mean `conv2d`?',
      `${file}:4:16: error: dense has no attribute \`unitz\``,
      '    4 |   z = dense(x, unitz = 3)',
      '      |                ^~~~~',
      '  hint: did you mean `units`?',
      '2 errors',
      '',
    ].join('\n'));
  });

  it('prints warnings on stderr and still succeeds', () => {
    const dir = tempFiles({ 'w.kiln': net(['input x : f32[2, 3]', 'unused = relu(x)', 'y = tanh(x)', 'output y']) });
    const r = runMain(['compile', path.join(dir, 'w.kiln')]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('w.kiln:3:12: warning: `unused` is not used by any output and is dropped');
    expect(r.out).toContain('y = tanh(x)  # f32[2, 3]');
    expect(r.out).not.toContain('unused');
  });

  it('reports a missing file, a directory, and an unknown --set name with exit 1', () => {
    const missing = runMain(['compile', 'no/such/file.kiln']);
    expect(missing).toEqual({ code: 1, out: '', err: 'kiln: error: cannot read `no/such/file.kiln`: no such file\n' });
    const dir = runMain(['compile', examplesDir]);
    expect(dir.code).toBe(1);
    expect(dir.err).toContain('it is a directory');
    const set = runMain(['compile', lenet, '--set', 'bacth=2']);
    expect(set.code).toBe(1);
    expect(set.err).toContain('no network in');
    expect(set.err).toContain('hint: did you mean `batch`?');
    const json = runMain(['compile', 'missing.json']);
    expect(json).toEqual({ code: 1, out: '', err: 'kiln: error: cannot read `missing.json`: no such file\n' });
  });

  it('reports bad module JSON with exit 1', () => {
    const good = runMain(['compile', lenet, '--emit', 'json']).out;
    const doc = JSON.parse(good);
    doc.module.nodes['c1.relu'].inputs = ['c1'];
    const dir = tempFiles({ 'bad.json': '{\n  "kiln": "module",\n  "version": 1,\n  "module": }\n', 'v2.json': good.replace('"version": 1', '"version": 2'), 'cycle.json': JSON.stringify(doc, null, 2) });
    const bad = runMain(['compile', path.join(dir, 'bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${path.join(dir, 'bad.json')}:4:13: error: invalid JSON: Unexpected token '}'`);
    expect(bad.err).toContain('    4 |   "module": }');
    const v2 = runMain(['compile', path.join(dir, 'v2.json'), '--emit', 'json']);
    expect(v2.code).toBe(1);
    expect(v2.err).toContain('error: unsupported module version 2; this Kiln reads version 1');
    const cycle = runMain(['compile', path.join(dir, 'cycle.json')]);
    expect(cycle.code).toBe(1);
    expect(cycle.out).toBe('');
    expect(cycle.err).toMatch(/error: invalid module: cycle: /);
    expect(cycle.err).toMatch(/errors\n$/);
  });
});

describe('kiln check', () => {
  it('summarizes a clean file', () => {
    const bound = (net: string, classes: number, bits: number) => `  ${net}: last layer \`y.dense\`: ${classes} classes, computes at 32 bits; it needs ≥ ${bits} bits to train (1 + ⌈log2 ${classes}⌉, Kiln's derivation after Park et al. 2018, docs/precision.md)\n`;
    expect(runMain(['check', lenet])).toEqual({ code: 0, out: `${lenet}: ok (1 network, 0 targets, 1 train block)\n${bound('lenet5', 10, 5)}`, err: '' });
    const tpu = path.join(presetsDir, 'tpu-v1-like.kiln');
    expect(runMain(['check', tpu]).out).toBe(`${tpu}: ok (0 networks, 1 target, 0 train blocks)\n`);
    const resnet = path.join(examplesDir, 'resnet18.kiln');
    // The blocks it imports are networks too, but no classifiers.
    expect(runMain(['check', resnet]).out).toBe(`${resnet}: ok (3 networks, 0 targets, 0 train blocks)\n${bound('resnet18', 1000, 11)}`);
  });

  it('reports every error of every declaration', () => {
    const dir = tempFiles({ 'all.kiln': `${net(['input x : f32[2]', 'y = rleu(x)', 'output y'])}target t : systolc { }\ntrain n { epochs 2 }\n` });
    const r = runMain(['check', path.join(dir, 'all.kiln')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('error: unknown op `rleu`');
    expect(r.err).toContain('error: unknown target kind `systolc`');
    expect(r.err).toContain('error: train block `n` has no `data`');
    expect(r.err).toMatch(/\n3 errors\n$/);
  });

  it('applies --set to the networks that have the parameter', () => {
    const r = runMain(['check', lenet, '--set', 'batch=0']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('a dimension must be a positive integer, not 0');
  });
});

describe('kiln: input nested thousands of levels deep', () => {
  const deep: Record<string, string> = {
    'parens.kiln': `network n(a = ${'('.repeat(6000)}1${')'.repeat(6000)}) { input x : f32[a] output x }`,
    'sum.kiln': `network n(a = ${Array(20000).fill('1').join(' + ')}) { input x : f32[1] output x }`,
    'lists.kiln': `network n(a = 1) { input x : f32[1] y = reshape(x, ${'['.repeat(4000)}1${']'.repeat(4000)}) output y }`,
    'blocks.kiln': `target t : systolic { energy ${'{ '.repeat(4000)}${'} '.repeat(4000)} }`,
  };
  const dir = tempFiles(deep);
  for (const name of Object.keys(deep)) {
    it(`${name} is a diagnostic (exit 1), not an internal error, and the next run still works`, () => {
      const r = runMain(['check', path.join(dir, name)]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error: ${path.join(dir, name)} is nested too deeply to compile`);
      expect(r.err).not.toMatch(STACK_TRACE);
      expect(runMain(['compile', lenet]).out).toBe(golden('lenet5.ir'));
    });
  }
});

describe('kiln: never a stack trace for bad input', () => {
  const inputs: Record<string, string> = {
    'empty.kiln': '',
    'binary.kiln': '\u0000\u0001\u0002\uFFFD',
    'deep.kiln': 'network n(a = ' + '('.repeat(300) + '1' + ')'.repeat(300) + ') { input x : f32[a] output x }',
    'unclosed.kiln': 'network n(a = 1 { input',
    'target.kiln': 'target t : systolic { energy { mac.i8 } sram }',
    'train.kiln': 'train t { data mnist( }',
    'bad.json': '{"kiln": "module", "version": 1, "module": {"name": 5, "nodes": {"a": {"id": "a", "op": "input"}}}}',
    'odd.json': '{"kiln": "module", "version": 1, "module": {"name": "m", "params": {}, "timesteps": 1, "inputs": ["a"], "outputs": ["a"], "nodes": {"a": {"id": "a", "op": "input", "inputs": [], "attrs": {"shape": "x", "dtype": "f32"}}}}}',
  };
  const dir = tempFiles(inputs);
  for (const name of Object.keys(inputs)) {
    it(name, () => {
      for (const argv of [['compile', path.join(dir, name)], ['check', path.join(dir, name)], ['compile', path.join(dir, name), '--emit', 'json', '--verify-each']]) {
        const r = runMain(argv);
        expect([0, 1, 2]).toContain(r.code);
        expect(r.err).not.toMatch(STACK_TRACE);
        expect(r.err).not.toContain('internal error');
      }
    });
  }
});
