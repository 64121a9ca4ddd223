import { describe, it, expect } from 'vitest';
import { verifyModule } from '../../compiler/ir/verify.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { compileText, net } from '../helpers/kiln.ts';

/** A small typed module: x → h.dense → h (relu) → y (dense), with a second input z. */
const base: Module = compileText(net(['input x : f32[2, 4]', 'input z : f32[2, 3]', 'h = dense(x, 3) -> relu', 'y = add(h, z) -> dense(2)', 'output y'])).module;

/** A deep copy changed by `edit`, so each test breaks exactly one invariant. */
function broken(edit: (m: Module) => void): Module {
  const m = structuredClone(base);
  // Ops without attributes share one attrs object, and so do their clones: each node gets its own,
  // so an edit reaches only the node it names.
  for (const n of Object.values(m.nodes)) n.attrs = { ...n.attrs };
  edit(m);
  return m;
}

describe('verifyModule', () => {
  it('accepts a compiled module, typed or not', () => {
    expect(Object.keys(base.nodes)).toEqual(['x', 'z', 'h.dense', 'h', 'y.add', 'y']);
    expect(verifyModule(base)).toEqual([]);
    expect(verifyModule(base, { requireTypes: true })).toEqual([]);
    expect(verifyModule(broken((m) => { for (const n of Object.values(m.nodes)) { delete n.type; delete n.params; } }))).toEqual([]);
  });

  const cases: [string, (m: Module) => void, string[]][] = [
    ['a module without nodes', (m) => { (m as { nodes?: unknown }).nodes = undefined; }, ['a module needs a name and a nodes object']],
    ['a bad time-step count', (m) => { m.timesteps = 0; }, ['timesteps must be a positive integer of at most 2^31 − 1, not 0']],
    ['a time-step count past the dimension cap', (m) => { m.timesteps = 2 ** 31; }, ['timesteps must be a positive integer of at most 2^31 − 1, not 2147483648']],
    ['a node stored under another id', (m) => { m.nodes.h!.id = 'g'; }, ['node stored under "h" has id "g"']],
    ['an id that is not a name', (m) => {
      const n = m.nodes.y!;
      delete m.nodes.y;
      m.nodes['9y'] = { ...n, id: '9y' };
      m.outputs = ['9y'];
    }, ['node id "9y" is not a name']],
    ['an input node with inputs', (m) => { m.nodes.z!.inputs = ['x']; }, ['input z has inputs']],
    ['an input node with a bad shape', (m) => { m.nodes.x!.attrs.shape = [2, 0]; }, ['input x: shape must be a list of positive integers']],
    ['an input node with a bad dtype', (m) => { m.nodes.x!.attrs.dtype = 'f64'; }, ['input x: unknown dtype "f64"']],
    ['an unknown op', (m) => { m.nodes.h!.op = 'relu6'; }, ['node h: unknown op "relu6"']],
    ['a wrong number of inputs', (m) => { m.nodes.h!.inputs = ['h.dense', 'x']; }, ['node h: relu takes 1..1 inputs, has 2']],
    ['an unknown attribute', (m) => { m.nodes.h!.attrs.alpha = 0.1; }, ['node h: relu has no attribute "alpha"']],
    ['a missing attribute', (m) => { delete m.nodes['h.dense']!.attrs.units; }, ['node h.dense: attribute "units" is missing']],
    ['an input that does not exist', (m) => { m.nodes.h!.inputs = ['gone']; }, ['node h: input "gone" does not exist']],
    ['an input that comes later', (m) => {
      // Move `h.dense` after `h` (object key order is the node order).
      const d = m.nodes['h.dense']!;
      delete m.nodes['h.dense'];
      const rest = { ...m.nodes };
      m.nodes = { x: rest.x!, z: rest.z!, h: rest.h!, 'h.dense': d, 'y.add': rest['y.add']!, y: rest.y! };
    }, ['node h: input "h.dense" comes later (nodes must be in topological order)']],
    ['a bad node type', (m) => { m.nodes.h!.type = { shape: [2, -3], dtype: 'f32' }; }, ['node h: shape must be a list of positive integers']],
    ['a module input that is not an input node', (m) => { m.inputs = ['x', 'h']; }, ['module input "h" is not an input node']],
    ['a module output that does not exist', (m) => { m.outputs = ['nope']; }, ['module output "nope" does not exist']],
    ['no outputs', (m) => { m.outputs = []; }, ['the module has no outputs']],
    // Structure: what a hand-edited JSON file may hold instead of lists and records.
    ['a node that is not an object', (m) => { (m.nodes as Record<string, unknown>).h = null; }, ['node h is not an object']],
    ['inputs that are not a list', (m) => { (m.nodes.h as { inputs: unknown }).inputs = 'h.dense'; }, ['node h: inputs must be a list of node ids']],
    ['attrs that are not an object', (m) => { (m.nodes.h as { attrs: unknown }).attrs = []; }, ['node h: attrs must be an object']],
    ['module outputs that are not a list', (m) => { (m as { outputs: unknown }).outputs = 'y'; }, ['outputs must be a list of node ids']],
    ['module params that are not numbers', (m) => { (m as { params: unknown }).params = { batch: 'two' }; }, ['params must map names to numbers of at most 2^53 − 1']],
    ['a module param past 2^53', (m) => { m.params = { batch: 1e300 }; }, ['params must map names to numbers of at most 2^53 − 1']],
    // Sizes past the documented caps (docs/language.md, Limits).
    ['a shape with a dimension past 2^31 − 1', (m) => { m.nodes.h!.type = { shape: [2, 2 ** 31], dtype: 'f32' }; }, ['node h: dimension 2147483648 is larger than Kiln\'s largest dimension, 2^31 − 1 (2147483647)']],
    ['a shape with more than 2^40 elements', (m) => { m.nodes.h!.type = { shape: [2 ** 21, 2 ** 20], dtype: 'f32' }; }, ['node h: 2199023255552 elements (2097152 × 1048576) is more than Kiln\'s largest tensor, 2^40 elements']],
    ['an input shape past the caps', (m) => { m.nodes.x!.attrs.shape = [2, 1e10]; }, ['input x: dimension 10000000000 is larger than Kiln\'s largest dimension, 2^31 − 1 (2147483647)']],
    ['an integer attribute past 2^53', (m) => { m.nodes['h.dense']!.attrs.units = 1e23; }, ['node h.dense: attribute "units" must be an integer ≥ 1, not 1e+23']],
    // Names that JavaScript objects already have, as keys of every record.
    ['a node id `__proto__`', (m) => { Object.defineProperty(m.nodes, '__proto__', { value: { ...m.nodes.y!, id: '__proto__' }, enumerable: true }); }, ['node id "__proto__" is a reserved name (JavaScript objects already have it)']],
    ['a node id `constructor`', (m) => { m.nodes.constructor = { ...m.nodes.y!, id: 'constructor' } as never; }, ['node id "constructor" is a reserved name (JavaScript objects already have it)']],
    ['an attribute key `toString`', (m) => { m.nodes.h!.attrs.toString = 1 as never; }, ['node h: attribute "toString" is a reserved name (JavaScript objects already have it)']],
    ['a module param `hasOwnProperty`', (m) => { m.params = { hasOwnProperty: 1 } as never; }, ['parameter "hasOwnProperty" is a reserved name (JavaScript objects already have it)']],
    ['a weight name `prototype`', (m) => { m.nodes.y!.params = { prototype: { shape: [2], dtype: 'f32' } }; }, ['node y: parameter "prototype" is a reserved name (JavaScript objects already have it)']],
    ['parameter types that are not types', (m) => { m.nodes.y!.params = { weight: { shape: [2, 0], dtype: 'f32' } }; }, ['node y: params must map names to tensor types']],
    ['a malformed source position', (m) => { (m.nodes.h as { loc: unknown }).loc = { file: 3 }; }, ['node h: loc must be {file, line, col}']],
    // Attribute values against their op's schema.
    ['an integer attribute out of range', (m) => { m.nodes['h.dense']!.attrs.units = -3; }, ['node h.dense: attribute "units" must be an integer ≥ 1, not -3']],
    ['an integer attribute that is text', (m) => { m.nodes['h.dense']!.attrs.units = 'abc'; }, ['node h.dense: attribute "units" must be an integer ≥ 1, not "abc"']],
    ['a boolean attribute that is a number', (m) => { m.nodes['h.dense']!.attrs.bias = 1; }, ['node h.dense: attribute "bias" must be `true` or `false`, not 1']],
    ['a precision that is a bare name', (m) => { m.nodes['h.dense']!.attrs.weights = 'i8'; }, ['node h.dense: attribute "weights" must be a precision {"dtype": …, "granularity": …}, not "i8"']],
    ['a precision of an unknown dtype', (m) => { m.nodes['h.dense']!.attrs.weights = { dtype: 'i4', granularity: 'per_tensor' } as never; }, ['node h.dense: attribute "weights" must be a precision {"dtype": …, "granularity": …}, not {"dtype":"i4","granularity":"per_tensor"}']],
  ];
  for (const [what, edit, problems] of cases) {
    it(`reports ${what}`, () => {
      expect(verifyModule(broken(edit))).toEqual(problems);
    });
  }

  it('reports a missing type only when types are required', () => {
    const m = broken((x) => { delete x.nodes.h!.type; });
    expect(verifyModule(m)).toEqual([]);
    expect(verifyModule(m, { requireTypes: true })).toEqual(['node h has no type (did infer-shapes run?)']);
  });

  it('reports a cycle, and the out-of-order edge that closes it', () => {
    const problems = verifyModule(broken((m) => { m.nodes['h.dense']!.inputs = ['h']; }));
    expect(problems).toContain('node h.dense: input "h" comes later (nodes must be in topological order)');
    expect(problems.filter((p) => p.startsWith('cycle: '))).toHaveLength(1);
    expect(problems.find((p) => p.startsWith('cycle: '))!.slice(7).split(' → ').sort()).toEqual(['h', 'h.dense']);
  });

  it('reports a node that feeds itself', () => {
    expect(verifyModule(broken((m) => { m.nodes.h!.inputs = ['h']; }))).toEqual(['node h: input "h" comes later (nodes must be in topological order)', 'cycle: h']);
  });

  it('checks every attribute type of the vocabulary', () => {
    const m = compileText(net([
      'input x : f32[1, 4, 8, 8]', 'input t : i32[1, 5]',
      'a = conv2d(x, 4, 3, pad = 1) -> maxpool2d(2, ceil_mode = true) -> dropout(0.5, mode = batchwise) -> reshape([1, -1])',
      'e = embedding(t, 10, 4) -> lstm(4, sequence = last)',
      'output a, e',
    ])).module;
    expect(verifyModule(m)).toEqual([]);
    const bad = (id: string, attr: string, v: unknown) => {
      const c = structuredClone(m);
      (c.nodes[id]!.attrs as Record<string, unknown>)[attr] = v;
      return verifyModule(c);
    };
    expect(bad('a.conv2d', 'kernel', [3])).toEqual(['node a.conv2d: attribute "kernel" must be a list of two integers ≥ 1, not [3]']);
    expect(bad('a.conv2d', 'pad', [1, 1])).toEqual(['node a.conv2d: attribute "pad" must be a list of four integers ≥ 0, not [1,1]']);
    expect(bad('a.dropout', 'p', 1.5)).toEqual(['node a.dropout: attribute "p" must be a number in [0, 1), not 1.5']);
    expect(bad('a.dropout', 'mode', 'random')).toEqual(['node a.dropout: attribute "mode" must be one of `elementwise`, `batchwise`, `structured`, not "random"']);
    expect(bad('a', 'shape', [1, 'x'])).toEqual(['node a: attribute "shape" must be a list of integers, not [1,"x"]']);
    expect(bad('e', 'sequence', 'first')).toHaveLength(1);
  });

  it('reports every problem, not only the first', () => {
    expect(verifyModule(broken((m) => { m.timesteps = 1.5; m.outputs = []; m.nodes.h!.op = 'nope'; }))).toHaveLength(3);
  });
});
