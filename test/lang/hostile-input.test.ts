/**
 * Hostile and oversized input on the language and IR side (docs/language.md, "Limits" and
 * "Reserved names"): numbers past 2^53, dimensions and tensors past the caps, names that
 * JavaScript objects already carry, and very long chains. Each ends in a located error (or, for
 * chains, a clean check), and none touches Object.prototype.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as path from 'node:path';
import { compile } from '../../compiler/driver.ts';
import { moduleFromJson, moduleToJson } from '../../compiler/ir/json.ts';
import { findCycles, graphView, topologicalOrder } from '../../compiler/ir/graph-view.ts';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { checkText, compileError, compileText, expectDiagnostic, expectOnlyError, net } from '../helpers/kiln.ts';
import { memoryFiles } from '../helpers/memfs.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';
import { examplesDir } from '../helpers/paths.ts';
import { hugeNumberArb, RESERVED, reservedNameArb } from '../helpers/fuzz.ts';

afterAll(removeTempFiles);

const protoNames = Object.getOwnPropertyNames(Object.prototype).sort().join();
/** Object.prototype as it was: no key added, none replaced. */
function expectPrototypeUntouched(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join()).toBe(protoNames);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
}

describe('numbers and sizes past the limits', () => {
  it('a literal past 2^53 is refused where it is written', () => {
    expectOnlyError(net(['input x : f32[1, 4]', 'y = x -> dense(1e23)', 'output y']), { code: 'too-large', line: 3, col: 18, message: 'number 1e23' });
  });

  it('arithmetic that leaves the range is refused at the operator', () => {
    expectOnlyError(net(['input x : f32[1, 4]', 'y = x -> dense(99999999 * 99999999)', 'output y']), { code: 'too-large', line: 3, message: /larger than Kiln's largest number/ });
  });

  it('a dimension past 2^31 − 1 is refused at the dimension', () => {
    expectOnlyError(net(['input x : f32[1, 3000000000]', 'output x']), { code: 'too-large', line: 2, message: /a dimension 3000000000 is larger than Kiln's largest dimension/ });
    expectOnlyError(net(['input x : f32[1, 4]', 'timesteps 3000000000', 'y = x -> lif', 'output y']), { code: 'too-large', line: 3 });
  });

  it('a layer whose output or weights pass the caps is refused at the layer', () => {
    // 2^31 − 1 units is one dimension under the cap, but with 4096 inputs the weight has 8.8e12 elements.
    const d = expectOnlyError(net(['input x : f32[1, 4096]', 'y = x -> dense(2147483647)', 'output y']), { code: 'too-large', line: 3, col: 12 });
    expect(d.message).toMatch(/dense `y`: its parameter `weight` is too large: 8796093018112 elements/);
    // Each dimension within the cap, the tensor past 2^40 elements.
    expectOnlyError(net(['input x : f32[16384, 16384, 16384]', 'output x']), { code: 'too-large', message: /4398046511104 elements/ });
  });

  it('a network past 2^40 parameters is refused at the layer that passes the cap', () => {
    const layers = Array.from({ length: 9 }, (_, i) => `h${i + 1} = h${i} -> dense(400000)`);
    const d = expectOnlyError(net(['input x : f32[1, 400000]', 'h0 = x -> relu', ...layers, 'output h9']), { code: 'too-large', message: /parameters, more than Kiln's limit of 2\^40/ });
    expect(d.pos!.line).toBeGreaterThan(3);
  });

  it('an override is refused in range (exit 2) and at the layer it makes too large (exit 1)', () => {
    const dir = tempFiles({ 'm.kiln': net(['input x : f32[batch, 784]', 'h = x -> dense(hidden) -> relu', 'output h'], 'batch = 1, hidden = 16', 'm') });
    const file = path.join(dir, 'm.kiln');
    const huge = runMain(['estimate', file, '--target', 'avx2_laptop', '--set', 'batch=1e300']);
    expect(huge.code).toBe(2);
    expect(huge.err).toMatch(/--set batch: 1\.00e\+300 is larger than Kiln's largest number/);
    const wide = runMain(['estimate', file, '--target', 'avx2_laptop', '--set', 'hidden=1e10']);
    expect(wide.code).toBe(1);
    expect(wide.err).toMatch(/m\.kiln:3:12: error: dense `h\.dense`: its output is too large: dimension 10000000000/);
    expect(wide.out).toBe('');
  });

  it('an estimate never prints a figure that is not finite', () => {
    const dir = tempFiles({ 't.kiln': 'target slow : simd_cpu {\n  cores 1\n  clock 1e-320 Hz\n  macs f32 16\n  cache l1 32 KiB 64 B/cycle\n  dram 51 GB/s\n  energy { mac.f32 4.6 pJ  instr 70 pJ/instr  l1.read 10 pJ/access  dram.read 1.3 nJ/access }\n}\n' });
    const r = runMain(['estimate', path.join(examplesDir, 'mlp.kiln'), '--target', `${path.join(dir, 't.kiln')}:slow`]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/t\.kiln:3:3: error: the estimate on `slow` overflows: .* is not a finite number/);
    expect(r.out).not.toMatch(/Infinity|NaN/);
  });

  it('module JSON with sizes past the caps is refused by the verifier', () => {
    const good = JSON.parse(moduleToJson(compile(path.join(examplesDir, 'mlp.kiln')).module)) as { module: Module };
    for (const [edit, problem] of [
      [(m: Module) => { m.nodes.x!.attrs.shape = [64, 1e300]; }, /input x: dimension 1\.00e\+300/],
      [(m: Module) => { m.nodes['h.dense']!.attrs.units = 2 ** 60; }, /attribute "units" must be an integer ≥ 1, not 1152921504606847000/],
      [(m: Module) => { m.params.batch = 1e300; }, /params must map names to numbers of at most 2\^53 − 1/],
    ] as const) {
      const doc = structuredClone(good);
      edit(doc.module);
      expect(() => moduleFromJson(JSON.stringify(doc), 'm.json')).toThrow(problem);
    }
  });

  it('fuzz: any number past 2^53, wherever a number goes, gives diagnostics, never a crash or a module', () => {
    const slots = ['input x : f32[1, N]\ny = x -> relu', 'input x : f32[1, 4]\ny = x -> dense(N)', 'input x : f32[1, 4, 8, 8]\ny = conv2d(x, 4, N)', 'input x : f32[1, 4]\ny = x -> dense(3 * N)', 'input x : f32[1, 4]\ny = x -> leaky_relu(alpha = N)'];
    fc.assert(fc.property(fc.constantFrom(...slots), hugeNumberArb, (slot, n) => {
      const src = `network n {\n${slot.replace('N', n)}\noutput y\n}\n`;
      const e = compileError(src);
      expect(e.diagnostics.filter((d) => d.severity === 'error').every((d) => d.pos && d.pos.line >= 2)).toBe(true);
    }), { numRuns: 60 });
  });
});

describe('names JavaScript objects already have', () => {
  it('are refused as network, parameter, input, layer, target and train names, at the name', () => {
    for (const name of RESERVED) {
      for (const src of [
        `network ${name} { input x : f32[1, 4]\n y = x -> relu\n output y }`,
        `network n(${name} = 1) { input x : f32[1, 4]\n y = x -> relu\n output y }`,
        `network n { input ${name} : f32[1, 4]\n y = ${name} -> relu\n output y }`,
        `network n { input x : f32[1, 4]\n ${name} = x -> relu\n output ${name} }`,
        `target ${name} : simd_cpu { cores 1 }`,
        `train ${name} { epochs 1 }`,
      ]) {
        expectDiagnostic(checkText(src).diagnostics, { code: 'reserved-name', message: `\`${name}\` cannot be used as a name` });
      }
    }
    expectPrototypeUntouched();
  });

  it('are refused as block keys, so no schema lookup meets them', () => {
    expectDiagnostic(checkText('target t : simd_cpu {\n  constructor 2\n}').diagnostics, { code: 'reserved-name', line: 2, col: 3 });
  });

  it('the graph view keeps them as ordinary node names', () => {
    const m = { name: 'g', params: {}, timesteps: 1, inputs: [], outputs: ['constructor'], nodes: Object.create(null) as Module['nodes'] };
    const add = (id: string, inputs: string[]) => Object.defineProperty(m.nodes, id, { value: { id, op: 'relu', inputs, attrs: {} }, enumerable: true, configurable: true, writable: true });
    add('__proto__', []);
    add('toString', ['__proto__']);
    add('constructor', ['toString', 'hasOwnProperty']);
    add('hasOwnProperty', ['constructor']);
    expect(graphView(m).nodeCount()).toBe(4);
    expect(findCycles(m).map((c) => [...c].sort())).toEqual([['constructor', 'hasOwnProperty']]);
    Reflect.deleteProperty(m.nodes, 'hasOwnProperty');
    m.nodes['constructor' as string]!.inputs = ['toString'];
    expect(topologicalOrder(m)).toEqual(['__proto__', 'toString', 'constructor']);
    expectPrototypeUntouched();
  });

  it('module JSON naming nodes, attributes or parameters so is refused, and Object.prototype stays as it was', () => {
    const good = moduleToJson(compile(path.join(examplesDir, 'mlp.kiln')).module);
    fc.assert(fc.property(reservedNameArb, fc.constantFrom('node', 'input', 'attr', 'param', 'weight'), (name, where) => {
      const doc = JSON.parse(good) as { module: Module };
      const m = doc.module;
      let text: string;
      if (where === 'node' || where === 'input') {
        // Rename a node everywhere in the text, so ids, inputs and outputs agree.
        const old = where === 'node' ? 'h.dense' : 'x';
        text = JSON.stringify(doc).replaceAll(`"${old}"`, JSON.stringify(name));
      } else {
        if (where === 'attr') m.nodes['h.dense']!.attrs = JSON.parse(`{${JSON.stringify(name)}: 1, "units": 256}`) as never;
        if (where === 'param') m.params = JSON.parse(`{${JSON.stringify(name)}: 1}`) as never;
        if (where === 'weight') m.nodes['h.dense']!.params = JSON.parse(`{${JSON.stringify(name)}: {"shape": [1], "dtype": "f32"}}`) as never;
        text = JSON.stringify(doc);
      }
      expect(() => compile('m.json', { readFile: memoryFiles({ 'm.json': text }) })).toThrow(KilnError);
      expect(() => compile('m.json', { readFile: memoryFiles({ 'm.json': text }) })).toThrow(/reserved name/);
      expectPrototypeUntouched();
    }), { numRuns: 40 });
  });

  it('a rates file keyed so is an error naming the key', () => {
    const dir = tempFiles({ 'r.json': '{"__proto__": {"polluted": 1}, "constructor": 0.5}' });
    const r = runMain(['estimate', path.join(examplesDir, 'spiking_cnn.kiln'), '--target', 'loihi_1chip', '--rates', path.join(dir, 'r.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rate of `__proto__` must be a number|names `__proto__`/);
    expectPrototypeUntouched();
  });
});

describe('long chains', () => {
  // docs/benchmarks.md has the timings; here only that it completes and is right.
  it('20,000 chained relus check, with every step named in order', () => {
    const m = compileText(net(['input x : f32[1, 8]', `y = x${' -> relu'.repeat(20_000)}`, 'output y'])).module;
    const ids = Object.keys(m.nodes);
    expect(ids.length).toBe(20_001);
    expect(ids.slice(0, 4)).toEqual(['x', 'y.relu', 'y.relu2', 'y.relu3']);
    expect(ids[20_000]).toBe('y');
    expect(m.nodes.y!.inputs).toEqual(['y.relu19999']);
  }, 120_000);
  it('a 2 MB source (one statement of 262,144 relus) checks clean', () => {
    const src = net(['input x : f32[1, 16]', `y = x${' -> relu'.repeat(262_144)}`, 'output y']);
    expect(src.length).toBeGreaterThan(2_000_000);
    const r = checkText(src);
    expect(r.diagnostics).toEqual([]);
    const m = [...r.modules.values()][0]!;
    expect(Object.keys(m.nodes)).toHaveLength(262_145);
    expect(m.nodes.y!.type).toEqual({ shape: [1, 16], dtype: 'f32' });
  }, 180_000);
});
