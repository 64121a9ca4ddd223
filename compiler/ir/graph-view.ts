/** A graphlib view of a Module, built on demand for graph algorithms; never stored in the IR. */
import { alg, Graph } from '@dagrejs/graphlib';
import type { Module } from './module.ts';

export function graphView(m: Module): Graph {
  const g = new Graph({ directed: true, multigraph: false });
  for (const id of Object.keys(m.nodes)) g.setNode(id);
  for (const n of Object.values(m.nodes)) {
    for (const i of n.inputs) if (i in m.nodes) g.setEdge(i, n.id);
  }
  return g;
}

export function topologicalOrder(m: Module): string[] {
  return alg.topsort(graphView(m));
}

export function findCycles(m: Module): string[][] {
  return alg.findCycles(graphView(m));
}

/** Node ids from which no output can be reached. */
export function unreachableFromOutputs(m: Module): string[] {
  const g = graphView(m);
  const live = new Set<string>();
  const stack = [...m.outputs];
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    for (const p of g.predecessors(id) ?? []) stack.push(p);
  }
  return Object.keys(m.nodes).filter((id) => !live.has(id));
}
