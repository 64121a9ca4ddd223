/**
 * A graphlib view of a Module, built on demand for graph algorithms; never stored in the IR.
 * graphlib's own tarjan/topsort recurse once per node and overflow the stack on deep networks
 * (a 10,000-layer chain), so the algorithms here are iterative over the graphlib structure.
 *
 * graphlib keeps its nodes and adjacency in plain objects indexed by name, so a node named
 * `__proto__` would write into Object.prototype and one named `constructor` would seem to exist
 * already. Every name is therefore stored with a `#` in front (no name of Object.prototype starts
 * with one) and stripped on the way out: callers see and pass plain names.
 */
import { Graph } from '@dagrejs/graphlib';
import type { Module } from './module.ts';

const key = (name: string): string => '#' + name;
const unkey = (k: string): string => k.slice(1);

/** A directed graph of these names and edges (from, to); edges may add names. */
export function graphOf(names: Iterable<string>, edges: Iterable<readonly [string, string]>): Graph {
  const g = new Graph({ directed: true, multigraph: false });
  for (const n of names) g.setNode(key(n));
  for (const [from, to] of edges) g.setEdge(key(from), key(to));
  return g;
}

/** Node names of a graph made by graphOf. */
export const graphNodes = (g: Graph): string[] => g.nodes().map(unkey);

export function graphView(m: Module): Graph {
  const edges = Object.values(m.nodes).flatMap((n) => n.inputs.filter((i) => Object.hasOwn(m.nodes, i)).map((i) => [i, n.id] as const));
  return graphOf(Object.keys(m.nodes), edges);
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
        out.push(comp.map(unkey));
      }
    }
  }
  return out;
}

/** Components that are cycles: more than one node, or one node with an edge to itself. */
export function findCyclesIn(g: Graph): string[][] {
  return stronglyConnected(g).filter((c) => c.length > 1 || g.hasEdge(key(c[0]!), key(c[0]!)));
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
  return order.map(unkey);
}

/** Node ids from which no output can be reached. */
export function unreachableFromOutputs(m: Module): string[] {
  const live = new Set<string>();
  const stack = [...m.outputs];
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id) || !Object.hasOwn(m.nodes, id)) continue;
    live.add(id);
    stack.push(...m.nodes[id]!.inputs);
  }
  return Object.keys(m.nodes).filter((id) => !live.has(id));
}
