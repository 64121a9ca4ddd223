import { describe, it, expect } from 'vitest';
import { moduleFromJson, moduleToJson } from '../../compiler/ir/json.ts';
import { KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { compileText, expectDiagnostics, net, type ExpectedDiagnostic } from '../helpers/kiln.ts';

const m: Module = compileText(net([
  'input x : f32[batch, 1, 8, 8]',
  'c = conv2d(x, 4, 3, pad = 1, weights = i8 per_channel) -> relu -> maxpool2d(2)',
  'y = flatten(c) -> dense(10) -> softmax',
  'output y',
], 'batch = 2'), { file: 'small.kiln' }).module;

function jsonErrors(text: string): Diagnostic[] {
  try {
    moduleFromJson(text, 'in.json');
  } catch (e) {
    if (e instanceof KilnError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected moduleFromJson to fail');
}
const expectJsonError = (text: string, x: ExpectedDiagnostic) => expectDiagnostics(jsonErrors(text), [x]);

/** The document of `m` with `edit` applied to its module. */
function edited(edit: (doc: { module: Record<string, unknown> & Module }) => void): string {
  const doc = JSON.parse(moduleToJson(m));
  edit(doc);
  return JSON.stringify(doc);
}

describe('module JSON', () => {
  it('wraps the module with a kind and a version', () => {
    const doc = JSON.parse(moduleToJson(m));
    expect(Object.keys(doc)).toEqual(['kiln', 'version', 'module']);
    expect(doc.kiln).toBe('module');
    expect(doc.version).toBe(1);
    expect(Object.keys(doc.module)).toEqual(['name', 'params', 'timesteps', 'inputs', 'outputs', 'nodes']);
    expect(doc.module.nodes['c.conv2d'].attrs.weights).toEqual({ dtype: 'i8', granularity: 'per_channel' });
    expect(doc.module.nodes['c.conv2d'].loc).toEqual({ file: 'small.kiln', line: 3, col: 7, length: 6 });
  });

  it('reads back what it wrote, and writes it again byte for byte', () => {
    const text = moduleToJson(m);
    const back = moduleFromJson(text, 'small.json');
    expect(back).toEqual(m);
    expect(moduleToJson(back)).toBe(text);
  });

  it('writes keys in one fixed order whatever order the module has them in', () => {
    // Reverse the keys of every record but the node map (node order is topological order) and the
    // attribute and parameter maps (which keep the order they have).
    const reverse = (k: string, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) && !['nodes', 'attrs', 'params'].includes(k) ? Object.fromEntries(Object.entries(v).reverse()) : v);
    const shuffled = JSON.parse(JSON.stringify(m), reverse) as Module;
    expect(Object.keys(shuffled.nodes.y!)[0]).not.toBe('id');
    expect(moduleToJson(shuffled)).toBe(moduleToJson(m));
  });

  it('reports invalid JSON at the offending position', () => {
    const text = moduleToJson(m);
    const cut = text.indexOf('"nodes"');
    expectJsonError(text.slice(0, cut) + '"nodes": }', { code: 'json', line: text.slice(0, cut).split('\n').length, message: "invalid JSON: Unexpected token '}'", hint: '--emit json' });
    expectJsonError('{\n  "kiln": "module",\n  "version": 1,,\n}', { code: 'json', file: 'in.json', line: 3, col: 16 });
    expectJsonError('{"kiln": "module"', { code: 'json', line: 1, col: 18, message: "Expected ',' or '}' after property value" });
    expectJsonError('', { code: 'json', line: 1, col: 1, message: 'invalid JSON: Unexpected end of JSON input' });
  });

  it('refuses a document that is not a Kiln module', () => {
    for (const text of ['5', 'null', '[]', '{"kiln": "target", "version": 1, "module": {}}', '{"version": 1}']) {
      expectJsonError(text, { code: 'json', line: 1, col: 1, message: 'not a Kiln module: expected {"kiln": "module", "version": 1, "module": …}' });
    }
  });

  it('refuses another version', () => {
    expectJsonError(edited((d) => { (d as { version?: unknown }).version = 2; }), { code: 'json', message: 'unsupported module version 2; this Kiln reads version 1' });
    expectJsonError(edited((d) => { delete (d as { version?: unknown }).version; }), { code: 'json', message: 'unsupported module version undefined' });
  });

  it('verifies what it reads: a cycle', () => {
    const errs = jsonErrors(edited((d) => { d.module.nodes['c.conv2d']!.inputs = ['c']; }));
    expect(errs.every((e) => e.code === 'verify' && e.message.startsWith('invalid module: '))).toBe(true);
    expect(errs.map((e) => e.message)).toContain('invalid module: node c.conv2d: input "c" comes later (nodes must be in topological order)');
    expect(errs.some((e) => e.message.startsWith('invalid module: cycle: '))).toBe(true);
  });

  it('verifies what it reads: a missing input, a missing attribute, a bad attribute value, a bad field', () => {
    expectJsonError(edited((d) => { d.module.nodes.y!.inputs = ['y.gone']; }), { code: 'verify', line: 1, col: 1, message: 'invalid module: node y: input "y.gone" does not exist' });
    expectJsonError(edited((d) => { delete d.module.nodes['y.dense']!.attrs.units; }), { code: 'verify', message: 'node y.dense: attribute "units" is missing' });
    expectJsonError(edited((d) => { d.module.nodes['y.dense']!.attrs.units = -1; }), { code: 'verify', message: 'attribute "units" must be an integer ≥ 1, not -1' });
    expectJsonError(edited((d) => { (d.module.nodes.y as unknown as { inputs: string }).inputs = 'y.dense'; }), { code: 'verify', message: 'node y: inputs must be a list of node ids' });
    expectJsonError(edited((d) => { d.module.outputs = ['nope']; }), { code: 'verify', message: 'module output "nope" does not exist' });
    expectJsonError(edited((d) => { d.module.nodes = [] as never; }), { code: 'verify', message: 'a module needs a name and a nodes object' });
  });

  it('reports a module whose fields are mistyped without throwing anything but a KilnError', () => {
    for (const edit of [
      (d: { module: Record<string, unknown> }) => { d.module.nodes = { y: 5 }; },
      (d: { module: Record<string, unknown> }) => { d.module.inputs = null; },
      (d: { module: Record<string, unknown> }) => { d.module.params = [1]; },
      (d: { module: Record<string, unknown> }) => { (d.module.nodes as Record<string, Record<string, unknown>>).y!.attrs = 'x'; },
    ]) {
      expect(jsonErrors(edited(edit as never)).length).toBeGreaterThan(0);
    }
  });
});
