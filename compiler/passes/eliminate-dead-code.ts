/** Removes nodes no output depends on, warning about each named layer so nothing vanishes silently. */
import { produce } from 'immer';
import { warning } from '../lang/diagnostics.ts';
import { unreachableFromOutputs } from '../ir/graph-view.ts';
import type { Pass } from './pass.ts';

export const eliminateDeadCode: Pass = {
  name: 'eliminate-dead-code',
  description: 'drop layers that no output uses (inputs are kept: they are the interface)',
  run(m, ctx) {
    const dead = unreachableFromOutputs(m).filter((id) => m.nodes[id]!.op !== 'input');
    if (dead.length === 0) return m;
    for (const id of dead) {
      const n = m.nodes[id]!;
      // Chain intermediates (`a.relu`) are reported through the layer they belong to.
      if (!dead.some((d) => id.startsWith(d + '.'))) {
        ctx.diagnostics.push(warning('unused', `\`${id}\` is not used by any output and is dropped`, n.loc, 'use it, list it in `output`, or delete it'));
      }
    }
    return produce(m, (draft) => {
      for (const id of dead) delete draft.nodes[id];
    });
  },
};
