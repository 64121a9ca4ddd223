/** Shape and dtype inference: every node gets its output type and its parameters' shapes. */
import { produce } from 'immer';
import { error } from '../lang/diagnostics.ts';
import type { DType, Precision, TensorType } from '../ir/dtype.ts';
import { formatType } from '../ir/dtype.ts';
import { opSpec } from '../ir/ops.ts';
import { ShapeError } from '../ir/shape-rules.ts';
import type { Module, Node } from '../ir/module.ts';
import type { Pass } from './pass.ts';

const sameType = (a: TensorType | undefined, b: TensorType): boolean =>
  a !== undefined && a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** The node with this type and these parameters: itself when it already has them, so a second run changes nothing. */
function typed(node: Node, type: TensorType, params?: Record<string, TensorType>): Node {
  const old = node.params ?? {};
  const sameParams = params === undefined ? node.params === undefined : Object.keys(old).length === Object.keys(params).length && Object.entries(params).every(([k, t]) => sameType(old[k], t));
  if (sameType(node.type, type) && sameParams) return node;
  return params ? { ...node, type, params } : { ...node, type };
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
    const types = new Map<string, TensorType>();
    const nodes: Module['nodes'] = {};
    for (const node of Object.values(m.nodes)) {
      if (node.op === 'input') {
        const type: TensorType = { shape: [...(node.attrs.shape as number[])], dtype: node.attrs.dtype as DType };
        types.set(node.id, type);
        nodes[node.id] = typed(node, type);
        continue;
      }
      const inputs = node.inputs.map((i) => types.get(i));
      if (inputs.some((t) => t === undefined)) {
        nodes[node.id] = node;
        continue; // an input failed; its error is already reported
      }
      const spec = opSpec(node.op)!;
      try {
        const type = spec.infer(inputs as TensorType[], node.attrs);
        types.set(node.id, type);
        const shapes = spec.params?.(inputs as TensorType[], node.attrs);
        const params = shapes && Object.fromEntries(Object.entries(shapes).map(([k, shape]) => [k, { shape, dtype: paramDType(k, node.attrs.weights as Precision | undefined) }]));
        nodes[node.id] = typed(node, type, params);
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        nodes[node.id] = node;
        const given = (inputs as TensorType[]).map(formatType).join(' and ');
        ctx.diagnostics.push(error('shape', `${node.op} \`${node.id}\`: ${e.message}`, node.loc, e.hint ?? `its input${inputs.length > 1 ? 's are' : ' is'} ${given}`));
      }
    }
    // A pass that changes nothing returns the very same module (the pass manager's contract).
    if (Object.keys(nodes).every((id) => nodes[id] === m.nodes[id])) return m;
    return produce(m, (draft) => {
      draft.nodes = nodes;
    });
  },
};
