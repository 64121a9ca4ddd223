/** Shape and dtype inference: every node gets its output type and its parameters' shapes. */
import { produce } from 'immer';
import { error } from '../lang/diagnostics.ts';
import type { DType, Precision, TensorType } from '../ir/dtype.ts';
import { formatType } from '../ir/dtype.ts';
import { opSpec } from '../ir/ops.ts';
import { ShapeError } from '../ir/shape-rules.ts';
import type { Pass } from './pass.ts';

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
    return produce(m, (draft) => {
      const failed = new Set<string>();
      for (const node of Object.values(draft.nodes)) {
        if (node.op === 'input') {
          node.type = { shape: [...(node.attrs.shape as number[])], dtype: node.attrs.dtype as DType };
          continue;
        }
        if (node.inputs.some((i) => failed.has(i))) {
          failed.add(node.id);
          continue;
        }
        const spec = opSpec(node.op)!;
        const inputs = node.inputs.map((i) => draft.nodes[i]!.type as TensorType);
        try {
          node.type = spec.infer(inputs, node.attrs);
          const params = spec.params?.(inputs, node.attrs);
          if (params) {
            node.params = Object.fromEntries(Object.entries(params).map(([k, shape]) => [k, { shape, dtype: paramDType(k, node.attrs.weights as Precision | undefined) }]));
          }
        } catch (e) {
          if (!(e instanceof ShapeError)) throw e;
          failed.add(node.id);
          const given = inputs.map(formatType).join(' and ');
          ctx.diagnostics.push(error('shape', `${node.op} \`${node.id}\`: ${e.message}`, node.loc, e.hint ?? `its input${inputs.length > 1 ? 's are' : ' is'} ${given}`));
        }
      }
    });
  },
};
