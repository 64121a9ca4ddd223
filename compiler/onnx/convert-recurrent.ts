/**
 * ONNX RNN / LSTM / GRU → Kiln rnn / lstm / gru (see runtime/interpreter/recurrent.ts for Kiln's
 * layout). Kiln's layers are forward-only, start from a zero state, use the default activations,
 * and keep one bias per gate (ONNX's Wb + Rb, exact except for GRU's linear_before_reset = 1).
 * ONNX's Y [T, 1, B, H] and Y_h [1, B, H] (layout 0) or [B, T, 1, H] and [B, 1, H] (layout 1) come
 * from a Kiln layer with sequence = all or last; when both are used, two layers share the weights.
 */
import { Unsupported, type Const, type Value } from './builder.ts';
import { Attrs } from './attrs.ts';
import { type Converter, reshapeTo } from './convert-util.ts';

type Kind = 'RNN' | 'LSTM' | 'GRU';
const GATES: Record<Kind, number> = { RNN: 1, LSTM: 4, GRU: 3 };
const ACTIVATIONS: Record<Kind, string[]> = { RNN: ['tanh'], LSTM: ['sigmoid', 'tanh', 'tanh'], GRU: ['sigmoid', 'tanh'] };
/** Kiln gate block k comes from ONNX block ORDER[k]: LSTM i, o, f, c → i, f, c, o; GRU z, r, h as is. */
const ORDER: Record<Kind, number[]> = { RNN: [0], LSTM: [0, 2, 3, 1], GRU: [0, 1, 2] };

/** Rows of one direction's [G·H, cols] block in Kiln's gate order. */
function reorder(src: ArrayLike<number>, offset: number, kind: Kind, h: number, cols: number): Float64Array {
  const out = new Float64Array(GATES[kind] * h * cols);
  ORDER[kind].forEach((from, to) => {
    for (let i = 0; i < h * cols; i++) out[to * h * cols + i] = src[offset + from * h * cols + i]!;
  });
  return out;
}

function allZero(c: Const | undefined): boolean {
  return !c || c.values.every((v) => v === 0);
}

const recurrentOp = (kind: Kind): Converter => (n, b, opset) => {
  const a = new Attrs(n).only('activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout', 'linear_before_reset');
  const op = kind.toLowerCase();
  if (a.str('direction', 'forward') !== 'forward') throw new Unsupported(`${kind} direction ${a.str('direction')}: Kiln's ${op} runs forward only`);
  if (a.has('clip')) throw new Unsupported(`${kind} with a cell clip`);
  if (a.int('input_forget', 0) !== 0) throw new Unsupported('LSTM with coupled input and forget gates');
  if (a.int('linear_before_reset', 0) !== 0) throw new Unsupported('GRU with linear_before_reset = 1: Kiln\'s gru applies the reset gate before the recurrent product');
  const acts = a.strings('activations');
  if (acts && acts.map((s) => s.toLowerCase()).join() !== ACTIVATIONS[kind].join()) throw new Unsupported(`${kind} activations ${acts.join(', ')} differ from the defaults Kiln uses`);
  if (a.has('activation_alpha') || a.has('activation_beta')) throw new Unsupported(`${kind} activation parameters`);
  const layout = opset >= 14 ? a.int('layout', 0) : 0;
  const x = b.data(n.inputs[0]!);
  if (x.type.shape.length !== 3) throw new Unsupported(`${kind} input must be 3-D`);
  const [t, batch] = layout === 0 ? [x.type.shape[0]!, x.type.shape[1]!] : [x.type.shape[1]!, x.type.shape[0]!];
  const w = b.constant(n.inputs[1]!, `${kind} W`), r = b.constant(n.inputs[2]!, `${kind} R`);
  const g = GATES[kind];
  const h = a.int('hidden_size') ?? r.dims[2]!;
  const inF = x.type.shape[2]!;
  if (w.dims.join() !== [1, g * h, inF].join() || r.dims.join() !== [1, g * h, h].join()) {
    throw new Unsupported(`${kind} W [${w.dims.join(', ')}] / R [${r.dims.join(', ')}] do not fit hidden_size ${h} and one direction`);
  }
  const bias = n.inputs[3] ? b.constant(n.inputs[3], `${kind} B`).values : new Float64Array(2 * g * h);
  const lens = n.inputs[4] ? b.constant(n.inputs[4], `${kind} sequence_lens`) : undefined;
  if (lens && !lens.values.every((v) => v === t)) throw new Unsupported(`${kind} with sequences shorter than ${t} steps (sequence_lens)`);
  for (const [i, what] of [[5, 'initial_h'], [6, 'initial_c']] as const) {
    if (n.inputs[i] && !allZero(b.constant(n.inputs[i]!, `${kind} ${what}`))) throw new Unsupported(`${kind} with a nonzero ${what}: Kiln's ${op} starts from zero state`);
  }
  if (n.inputs[7] && !allZero(b.constant(n.inputs[7]!, 'LSTM peepholes P'))) throw new Unsupported('LSTM peephole connections (P) are not part of Kiln\'s lstm');
  const summed = new Float64Array(g * h).map((_, i) => bias[i]! + bias[g * h + i]!);
  const params = { w_ih0: reorder(w.values, 0, kind, h, inF), w_hh0: reorder(r.values, 0, kind, h, h), b0: reorder(summed, 0, kind, h, 1) };
  const out = n.outputs[0] || n.outputs[1] || `${kind.toLowerCase()}`;
  const seq = layout === 0 ? b.emit('transpose', [x], { perm: [1, 0, 2] }, `${out}.batch_first`) : x;
  const layer = (sequence: 'all' | 'last', name: string): Value => b.emit(op, [seq], { hidden: h, layers: 1, sequence }, name, params);
  if (n.outputs[0]) {
    const y = layer('all', `${n.outputs[0]}.${op}`);
    const tb = layout === 0 ? b.emit('transpose', [y], { perm: [1, 0, 2] }, `${n.outputs[0]}.time_first`) : y;
    b.bindValue(n.outputs[0], reshapeTo(b, tb, layout === 0 ? [t, 1, batch, h] : [batch, t, 1, h], n.outputs[0]));
  }
  if (n.outputs[1]) {
    const last = layer('last', `${n.outputs[1]}.${op}`);
    b.bindValue(n.outputs[1], reshapeTo(b, last, layout === 0 ? [1, batch, h] : [batch, 1, h], n.outputs[1]));
  }
  b.unavailable(n.outputs[2], 'LSTM\'s final cell state output Y_c has no Kiln equivalent');
};

export const RECURRENT_CONVERTERS: Record<string, Converter> = { RNN: recurrentOp('RNN'), LSTM: recurrentOp('LSTM'), GRU: recurrentOp('GRU') };
