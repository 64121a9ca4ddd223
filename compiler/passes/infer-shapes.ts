/** Shape and dtype inference: every node gets its output type and its parameters' shapes. */
import { error } from '../lang/diagnostics.ts';
import type { DType, Precision, TensorType } from '../ir/dtype.ts';
import { formatType, numElements } from '../ir/dtype.ts';
import { opSpec } from '../ir/ops.ts';
import { ShapeError } from '../ir/shape-rules.ts';
import type { Module, Node } from '../ir/module.ts';
import { declaredPrecision } from '../ir/node-precision.ts';
import { LIMITS, shapeProblem } from '../ir/limits.ts';
import type { Pass } from './pass.ts';

const sameType = (a: TensorType | undefined, b: TensorType): boolean =>
  a !== undefined && a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** The node with this type and these parameters: itself when it already has them, so a second run changes nothing. */
function typed(node: Node, type: TensorType, params?: Record<string, TensorType>): Node {
  const old = node.params ?? {};
  const sameParams = params === undefined ? node.params === undefined : Object.keys(old).length === Object.keys(params).length && Object.entries(params).every(([k, t]) => sameType(old[k], t));
  if (sameType(node.type, type) && sameParams) return node;
  // One literal holding every field the node has, not `{ ...node, type }` nor fields added after
  // the literal: V8 keeps either in a separate out-of-object store (40 bytes more a node, 10 MB on
  // a 262,144-relu chain).
  const { id, op, inputs, attrs, loc } = node;
  const p = params ?? node.params;
  if (p) return loc ? { id, op, inputs, attrs, type, params: p, loc } : { id, op, inputs, attrs, type, params: p };
  return loc ? { id, op, inputs, attrs, type, loc } : { id, op, inputs, attrs, type };
}

/** Stored dtype of a parameter: the layer's weight precision, except statistics kept in f32. */
function paramDType(name: string, weights: Precision | undefined): DType {
  if (!weights || name === 'running_mean' || name === 'running_var' || name === 'bias' || /^b\d+$/.test(name)) return 'f32';
  return weights.dtype;
}

export const inferShapes: Pass = {
  name: 'infer-shapes',
  description: 'compute every node\'s output type and parameter shapes from the op shape rules',
  establishesTypes: true,
  run(m, ctx) {
    // Types are computed on the plain input and written back as one new `nodes` object: drafting
    // every node through immer proxies costs ~50 µs a node, too slow for 10,000-layer networks.
    const nodes: Module['nodes'] = {};
    // A node's type is read back from `nodes` (no id → type map beside it: 262,144 more entries on
    // a long chain); a node kept unchanged because it failed may carry a stale type, so those are
    // remembered apart (usually none).
    const failed = new Set<string>();
    const typeOf = (id: string): TensorType | undefined => (failed.has(id) ? undefined : nodes[id]?.type);
    // Equal types are one shared object: a chain of 262,144 relus has one type, not 262,144 copies.
    const canonical = new Map<string, TensorType>();
    const shared = (t: TensorType): TensorType => {
      const k = `${t.dtype}[${t.shape.join(',')}]`;
      const seen = canonical.get(k);
      if (seen) return seen;
      canonical.set(k, t);
      return t;
    };
    let paramCount = 0;
    // The one place every shape passes (from source, JSON or ONNX): over the caps it stops here,
    // at the layer, before any cost model multiplies it into Infinity.
    const overCaps = (node: Node, type: TensorType, params?: Record<string, TensorType>): boolean => {
      const problems = [['output', type] as const, ...Object.entries(params ?? {}).map(([k, t]) => [`parameter \`${k}\``, t] as const)]
        .map(([what, t]) => [what, shapeProblem(t.shape)] as const).filter(([, why]) => why);
      // One error a layer: an oversized output usually makes its weights oversized too.
      for (const [what, why] of problems.slice(0, 1)) ctx.diagnostics.push(error('too-large', `${node.op} \`${node.id}\`: its ${what} is too large: ${why}`, node.loc, 'see "Limits" in docs/language.md'));
      if (problems.length) return true;
      const before = paramCount;
      paramCount += Object.values(params ?? {}).reduce((s, t) => s + numElements(t.shape), 0);
      if (before <= LIMITS.maxParams && paramCount > LIMITS.maxParams) {
        ctx.diagnostics.push(error('too-large', `${node.op} \`${node.id}\` brings the network to ${paramCount.toExponential(2)} parameters, more than Kiln's limit of 2^40`, node.loc, 'see "Limits" in docs/language.md'));
        return true;
      }
      return false;
    };
    // An owned input is emptied as its typed copy fills (immer may have frozen it: then it stays).
    const dismantle = ctx.owned === true && !Object.isFrozen(m.nodes);
    for (const id of Object.keys(m.nodes)) {
      const node = m.nodes[id]!;
      if (dismantle) delete m.nodes[id];
      if (node.op === 'input') {
        const type = shared({ shape: [...(node.attrs.shape as number[])], dtype: node.attrs.dtype as DType });
        if (overCaps(node, type)) {
          failed.add(node.id);
          nodes[node.id] = node;
          continue;
        }
        nodes[node.id] = typed(node, type);
        continue;
      }
      const inputs = node.inputs.map(typeOf);
      if (inputs.some((t) => t === undefined)) {
        failed.add(node.id);
        nodes[node.id] = node;
        continue; // an input failed; its error is already reported
      }
      const spec = opSpec(node.op)!;
      try {
        const type = shared(spec.infer(inputs as TensorType[], node.attrs));
        const shapes = spec.params?.(inputs as TensorType[], node.attrs, m.timesteps);
        const params = shapes && Object.fromEntries(Object.entries(shapes).map(([k, shape]) => [k, shared({ shape, dtype: paramDType(k, declaredPrecision(node, 'weights')) })]));
        if (overCaps(node, type, params)) {
          failed.add(node.id);
          nodes[node.id] = node;
          continue;
        }
        nodes[node.id] = typed(node, type, params);
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        failed.add(node.id);
        nodes[node.id] = node;
        const given = (inputs as TensorType[]).map(formatType).join(' and ');
        ctx.diagnostics.push(error('shape', `${node.op} \`${node.id}\`: ${e.message}`, node.loc, e.hint ?? `its input${inputs.length > 1 ? 's are' : ' is'} ${given}`));
      }
    }
    // A pass that changes nothing returns the very same module (the pass manager's contract); an
    // emptied one cannot be returned, so a new module stands in for it.
    if (!dismantle && Object.keys(nodes).every((id) => nodes[id] === m.nodes[id])) return m;
    // A new module around the new nodes, not immer's produce: its auto-freeze walks every new node,
    // type and shape (~40 MB and a second for a 262,144-node chain) and nothing relies on it.
    return { ...m, nodes };
  },
};
