/**
 * Typed access to an ONNX node's attributes. Every converter lists the attributes it understands;
 * any other attribute makes the import a SKIP rather than a silently different computation.
 */
import { Unsupported } from './builder.ts';
import type { OnnxAttr, OnnxNode, OnnxTensor } from './proto.ts';

/** Attributes that never change what a node computes. */
const IGNORABLE = new Set(['consumed_inputs']);

export class Attrs {
  constructor(readonly node: OnnxNode) {}

  private get(name: string, kinds: OnnxAttr['kind'][]): OnnxAttr | undefined {
    const a = this.node.attrs.get(name);
    if (a && !kinds.includes(a.kind)) throw new Unsupported(`${this.node.opType} attribute ${name} has an unexpected type (${a.kind})`);
    return a;
  }

  has(name: string): boolean { return this.node.attrs.has(name); }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    const a = this.get(name, ['int']);
    return a?.kind === 'int' ? a.value : dflt;
  }

  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.get(name, ['float', 'int']);
    return a?.kind === 'float' || a?.kind === 'int' ? a.value : dflt;
  }

  str(name: string, dflt: string): string;
  str(name: string): string | undefined;
  str(name: string, dflt?: string): string | undefined {
    const a = this.get(name, ['string']);
    return a?.kind === 'string' ? a.value : dflt;
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, ['ints', 'int']);
    return a?.kind === 'ints' ? a.value : a?.kind === 'int' ? [a.value] : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, ['floats', 'float']);
    return a?.kind === 'floats' ? a.value : a?.kind === 'float' ? [a.value] : undefined;
  }

  strings(name: string): string[] | undefined {
    const a = this.get(name, ['strings', 'string']);
    return a?.kind === 'strings' ? a.value : a?.kind === 'string' ? [a.value] : undefined;
  }

  tensor(name: string): OnnxTensor | undefined {
    const a = this.get(name, ['tensor']);
    return a?.kind === 'tensor' ? a.value : undefined;
  }

  /** SKIP when the node carries an attribute outside `known`. */
  only(...known: string[]): this {
    for (const k of this.node.attrs.keys()) {
      if (!known.includes(k) && !IGNORABLE.has(k)) throw new Unsupported(`${this.node.opType} attribute \`${k}\` is not supported`);
    }
    return this;
  }
}
