/**
 * A graphlib view of a Module, built on demand for graph algorithms; never stored in the IR.
 * graphlib's own tarjan/topsort recurse once per node and overflow the stack on deep networks
 * (a 10,000-layer chain), so the algorithms here are iterative over the graphlib structure.
 */
import { Graph } from '@dagrejs/graphlib';
import type { Module } from './module.ts';

export function graphView(m: Module): Graph {
  const g = new Graph({ directed: true, multigraph: false });
  for (const id of Object.keys(m.nodes)) g.setNode(id);
  for (const n of Object.values(m.nodes)) {
    for (const i of n.inputs) if (i in m.nodes) g.setEdge(i, n.id);
  }
  return g;
}

/** Strongly connected components (Tarjan, with an explicit stack). */
export function stronglyConnected(g: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of g.nodes()) {
    if (index.has(root)) continue;
    const work: { v: string; succ: string[]; i: number }[] = [];
    const enter = (v: string) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      work.push({ v, succ: g.successors(v) ?? [], i: 0 });
    };
    enter(root);
    while (work.length) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.succ.length) {
        const w = frame.succ[frame.i++]!;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
      if (low.get(frame.v) === index.get(frame.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** Components that are cycles: more than one node, or one node with an edge to itself. */
export function findCyclesIn(g: Graph): string[][] {
  return stronglyConnected(g).filter((c) => c.length > 1 || g.hasEdge(c[0]!, c[0]!));
}

export function findCycles(m: Module): string[][] {
  return findCyclesIn(graphView(m));
}

/** Kahn's algorithm; throws if the graph has a cycle (the verifier reports cycles first). */
export function topologicalOrder(m: Module): string[] {
  const g = graphView(m);
  const indegree = new Map(g.nodes().map((v) => [v, g.predecessors(v)?.length ?? 0]));
  const ready = g.nodes().filter((v) => indegree.get(v) === 0);
  const order: string[] = [];
  while (ready.length) {
    const v = ready.pop()!;
    order.push(v);
    for (const w of g.successors(v) ?? []) {
      const d = indegree.get(w)! - 1;
      indegree.set(w, d);
      if (d === 0) ready.push(w);
    }
  }
  if (order.length !== g.nodeCount()) throw new Error('topologicalOrder: the module has a cycle');
  return order;
}

/** Node ids from which no output can be reached. */
export function unreachableFromOutputs(m: Module): string[] {
  const live = new Set<string>();
  const stack = [...m.outputs];
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id) || !(id in m.nodes)) continue;
    live.add(id);
    stack.push(...m.nodes[id]!.inputs);
  }
  return Object.keys(m.nodes).filter((id) => !live.has(id));
}
