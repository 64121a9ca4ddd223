import { describe, it, expect } from 'vitest';
import { formatAttr, printModule } from '../../compiler/ir/print.ts';
import { findCycles, graphView, stronglyConnected, topologicalOrder, unreachableFromOutputs } from '../../compiler/ir/graph-view.ts';
import type { Module, Node } from '../../compiler/ir/module.ts';
import { compileText, net } from '../helpers/kiln.ts';

describe('printModule', () => {
  it('prints a network that reads like the source, with types and parameter shapes', () => {
    const { module: m } = compileText(net(['input x : f32[b, 3]', 'timesteps 4', 'h = dense(x, 2, weights = i8 per_channel) -> lif(threshold = 0.5)', 'output h, x'], 'b = 2'));
    expect(printModule(m)).toBe([
      'network n(b = 2) {',
      '  timesteps 4',
      '  input x : f32[2, 3]',
      '  h.dense = dense(x, units = 2, bias = true, weights = i8 per_channel, activations = f32)  # f32[2, 2]  weight i8[2, 3]  bias f32[2]',
      '  h = lif(h.dense, threshold = 0.5, decay = 0.9, reset = subtract, surrogate = fast_sigmoid, slope = 25, readout = spikes)  # spike[2, 2]',
      '  output h, x',
      '}',
      '',
    ].join('\n'));
  });

  it('leaves out the parameter list and the time steps when there are none, and types before inference', () => {
    const m: Module = { name: 'bare', params: {}, timesteps: 1, inputs: ['x'], outputs: ['y'], nodes: {
      x: { id: 'x', op: 'input', inputs: [], attrs: { dtype: 'i32', shape: [5] } },
      y: { id: 'y', op: 'add', inputs: ['x', 'x'], attrs: {} },
    } };
    expect(printModule(m)).toBe('network bare {\n  input x : i32[5]\n  y = add(x, x)\n  output y\n}\n');
  });

  it('formats each kind of attribute value', () => {
    expect(formatAttr([1, 2, 3])).toBe('[1, 2, 3]');
    expect(formatAttr({ dtype: 'i8', granularity: 'per_tensor' })).toBe('i8');
    expect(formatAttr({ dtype: 'ternary', granularity: 'per_channel' })).toBe('ternary per_channel');
    expect(formatAttr(true)).toBe('true');
    expect(formatAttr(0.5)).toBe('0.5');
    expect(formatAttr('batchwise')).toBe('batchwise');
  });
});

/** A module of plain nodes wired as `edges` (id → its inputs), in the given order. */
function wired(edges: Record<string, string[]>, outputs: string[]): Module {
  const nodes: Record<string, Node> = {};
  for (const [id, inputs] of Object.entries(edges)) nodes[id] = { id, op: inputs.length ? 'relu' : 'input', inputs, attrs: {} };
  return { name: 'g', params: {}, timesteps: 1, inputs: [], outputs, nodes };
}

describe('graph view', () => {
  it('orders nodes so every input comes before its users', () => {
    const m = wired({ d: ['b', 'c'], b: ['a'], c: ['a'], a: [] }, ['d']);
    const order = topologicalOrder(m);
    expect(order.sort()).toEqual(['a', 'b', 'c', 'd']);
    const at = new Map(topologicalOrder(m).map((id, i) => [id, i]));
    for (const n of Object.values(m.nodes)) for (const i of n.inputs) expect(at.get(i)!).toBeLessThan(at.get(n.id)!);
  });

  it('finds cycles, self-loops included, and refuses to order them', () => {
    const m = wired({ a: [], b: ['a', 'c'], c: ['b'], d: ['d'] }, ['c']);
    expect(findCycles(m).map((c) => [...c].sort())).toEqual(expect.arrayContaining([['b', 'c'], ['d']]));
    expect(findCycles(m)).toHaveLength(2);
    expect(() => topologicalOrder(m)).toThrow('cycle');
  });

  it('finds what no output depends on', () => {
    const m = wired({ a: [], b: ['a'], c: ['a'], d: ['c'], e: [] }, ['b']);
    expect(unreachableFromOutputs(m).sort()).toEqual(['c', 'd', 'e']);
  });

  it('ignores edges to nodes that do not exist', () => {
    const g = graphView(wired({ a: [], b: ['a', 'ghost'] }, ['b']));
    expect(g.nodeCount()).toBe(2);
    expect(g.edgeCount()).toBe(1);
  });

  it('handles a 6,000-node chain without recursing (graphlib\'s own topsort and findCycles overflow the stack from about 5,000)', () => {
    const edges: Record<string, string[]> = { n0: [] };
    for (let i = 1; i < 6_000; i++) edges[`n${i}`] = [`n${i - 1}`];
    const m = wired(edges, ['n5999']);
    const order = topologicalOrder(m);
    expect(order[0]).toBe('n0');
    expect(order[5_999]).toBe('n5999');
    expect(stronglyConnected(graphView(m)).filter((c) => c.length > 1)).toEqual([]);
    expect(unreachableFromOutputs(m)).toEqual([]);
  });
});
