/**
 * The graph IR: plain data, no classes and no parent pointers, so immer can draft it, JSON can
 * round-trip it, and any pass can be a pure Module → Module function. Node order in `nodes` is a
 * topological order (the verifier checks it); graph algorithms use graph-view.ts on demand.
 */
import type { Loc } from '../lang/ast.ts';
import type { Precision, TensorType } from './dtype.ts';

export type NodeId = string;

export type AttrValue = number | string | boolean | number[] | Precision;

export interface Node {
  id: NodeId;
  op: string;
  inputs: NodeId[];
  attrs: Record<string, AttrValue>;
  /** The output type, set by the infer-shapes pass. Nodes of equal type share one object: never edit it in place. */
  type?: TensorType;
  /** Shapes of the node's learnable parameters (weight, bias, …), set by infer-shapes. */
  params?: Record<string, TensorType>;
  /** Where in the source the node came from, for diagnostics in every later stage. */
  loc?: Loc;
}

export interface Module {
  name: string;
  /** The network's parameters after defaults and overrides, e.g. `{ batch: 64 }`. */
  params: Record<string, number>;
  /** Time steps a spiking network runs per inference; 1 for a non-spiking one. */
  timesteps: number;
  inputs: NodeId[];
  outputs: NodeId[];
  nodes: Record<NodeId, Node>;
}

export function nodeList(m: Module): Node[] {
  return Object.values(m.nodes);
}

/**
 * The nodes reading each node, in node order. `distinct`: a node that reads one value twice
 * (add(x, x)) counts once, for questions about which nodes read a value rather than how often.
 */
export function readersOf(m: Module, o: { distinct?: boolean } = {}): Map<NodeId, Node[]> {
  const readers = new Map<NodeId, Node[]>();
  for (const n of Object.values(m.nodes)) {
    for (const i of o.distinct ? new Set(n.inputs) : n.inputs) {
      const r = readers.get(i);
      if (r) r.push(n);
      else readers.set(i, [n]);
    }
  }
  return readers;
}

/** Node ids are names from the source (dotted for chain intermediates): never integer-like, so
 * object key order stays insertion order. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/**
 * Names that JavaScript objects already carry (`__proto__`, `constructor`, `toString`, …, and
 * `prototype`). Names index records all through Kiln (nodes, attributes, parameters, weights), and
 * as a record key such a name either reads an inherited value or, for `__proto__`, replaces the
 * record's prototype; so Kiln refuses them as names, in sources and in JSON alike.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

export const isReservedName = (name: string): boolean => RESERVED_NAMES.has(name);

export const reservedNameHint = 'the name is reserved (JavaScript objects already have it); rename it';
