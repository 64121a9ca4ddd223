/**
 * Structured dropout inside the LSTM cell, trained on submatrices. With `dropout_mode =
 * structured` every layer keeps a set K of its H hidden units for the whole minibatch and every
 * time step (interpreter/recurrent.ts draws it). A dropped unit's cell and hidden state are zero,
 * so nothing it would compute is ever read:
 *   its four gate rows of w_ih, w_hh and b are skipped (only the kept units' gates are computed);
 *   its column of w_hh is skipped (its recurrent input is zero);
 *   in the layer above, its column of w_ih is skipped (its output is zero).
 * Layer l is then an ordinary LSTM of |K_l| units on cut weights, run by the same kernel; BPTT
 * runs on the same cut weights, and the weight gradients are spread back to full shape with zeros
 * where units were dropped — what the masked computation gives, so optimizer state and checkpoints
 * do not change. Products per step shrink from 4H·(I + H) to 4|K_l|·(|K_{l−1}| + |K_l|).
 */
import type { Tensor } from '../tensor.ts';
import { lstm, lstmBackward, type LstmCache } from '../kernels/lstm.ts';
import type { RecurrentWeights } from '../kernels/rnn-common.ts';
import { drawUnitMasks, maskedRecurrent } from '../interpreter/recurrent.ts';
import { transpose } from '../interpreter/tensor-ops.ts';
import type { OpContext } from '../interpreter/types.ts';
import { gatherAxis, scatterAxis } from './submatrix.ts';
import type { RuleArgs, RuleResult } from './types.ts';

const GATES = 4;

interface CutLayer {
  /** Kept hidden units of this layer. */
  keep: Int32Array;
  /** Kept input columns (the kept units of the layer below); undefined for the first layer: all. */
  keepIn?: Int32Array;
  /** What the kernel ran on: the cut input [T, B, |keepIn|] and the cut weights. */
  input: Tensor;
  wt: RecurrentWeights;
  cache: LstmCache;
}

/** The tape's record of a cut lstm. */
export interface SavedLstmCut {
  layers: CutLayer[];
  hidden: number;
}

const keptUnits = (mask: Float32Array): Int32Array => Int32Array.from(Array.from(mask).flatMap((v, i) => (v !== 0 ? [i] : [])));

/** Rows of the gate blocks [i; f; g; o] that belong to the kept units. */
function gateRows(keep: Int32Array, hidden: number): Int32Array {
  const rows = new Int32Array(GATES * keep.length);
  for (let g = 0; g < GATES; g++) for (let j = 0; j < keep.length; j++) rows[g * keep.length + j] = g * hidden + keep[j]!;
  return rows;
}

/** Training's lstm: on the kept units' submatrices when in-cell dropout is active, else as the interpreter runs it. */
export function cutLstm(ctx: OpContext): Tensor {
  const masks = drawUnitMasks(ctx);
  // Nothing dropped leaves nothing to skip; everything dropped leaves no product to run.
  if (!masks || masks.some((m) => !m.includes(0) || !m.some((v) => v !== 0))) return maskedRecurrent(ctx, masks);
  const { node, params } = ctx;
  const hidden = node.attrs.hidden as number;
  let seq = transpose(ctx.inputs[0]!, [1, 0, 2]);
  let keepIn: Int32Array | undefined;
  let last: Tensor | undefined;
  const layers: CutLayer[] = [];
  masks.forEach((mask, l) => {
    const keep = keptUnits(mask);
    const rows = gateRows(keep, hidden);
    const wIn = gatherAxis(params[`w_ih${l}`]!, 0, rows);
    const wt: RecurrentWeights = {
      w: keepIn ? gatherAxis(wIn, 1, keepIn) : wIn,
      r: gatherAxis(gatherAxis(params[`w_hh${l}`]!, 0, rows), 1, keep),
      wb: gatherAxis(params[`b${l}`]!, 0, rows),
    };
    const r = lstm(seq, wt, undefined, undefined, { gateOrder: 'ifgo', scale: Float32Array.from(keep, (j) => mask[j]!) });
    layers.push({ keep, keepIn, input: seq, wt, cache: r.cache });
    seq = r.y;
    last = r.hT;
    keepIn = keep;
  });
  ctx.save('lstmCut', { layers, hidden } satisfies SavedLstmCut);
  if (node.attrs.sequence === 'last') return scatterAxis(last!, 1, keepIn!, hidden);
  return transpose(scatterAxis(seq, 2, keepIn!, hidden), [1, 0, 2]);
}

/** BPTT on the cut weights, layer by layer from the top; gradients spread back to full shape. */
export function cutLstmBackward(a: RuleArgs, cut: SavedLstmCut): RuleResult {
  const { hidden } = cut;
  const top = cut.layers[cut.layers.length - 1]!.keep;
  const last = a.node.attrs.sequence === 'last';
  let dy: Tensor | undefined = last ? undefined : gatherAxis(transpose(a.dy!, [1, 0, 2]), 2, top);
  let dhT: Tensor | undefined = last ? gatherAxis(a.dy!, 1, top) : undefined;
  const params: Record<string, Tensor> = {};
  for (let l = cut.layers.length - 1; l >= 0; l--) {
    const { keep, keepIn, input, wt, cache } = cut.layers[l]!;
    const g = lstmBackward(input, wt, cache, dy, dhT);
    const rows = gateRows(keep, hidden);
    const full = a.entry.params[`w_ih${l}`]!.shape;
    params[`w_ih${l}`] = scatterAxis(keepIn ? scatterAxis(g.dw, 1, keepIn, full[1]!) : g.dw, 0, rows, GATES * hidden);
    params[`w_hh${l}`] = scatterAxis(scatterAxis(g.dr, 1, keep, hidden), 0, rows, GATES * hidden);
    params[`b${l}`] = scatterAxis(g.dwb, 0, rows, GATES * hidden);
    // The layer below produced exactly this layer's cut input, so its gradient stays cut.
    dy = g.dx;
    dhT = undefined;
  }
  return { inputs: [a.want[0] && dy ? transpose(dy, [1, 0, 2]) : undefined], params };
}
