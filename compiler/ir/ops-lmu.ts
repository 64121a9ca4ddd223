/**
 * The Legendre Memory Unit and the sigma-delta quantizer (docs/lmu.md): their attribute schemas,
 * shape rules and parameters, kept apart from ops.ts because the two belong together (the LMU's
 * hidden units may themselves be sigma-delta neurons). ops.ts types them as OpSpecs; this file does
 * not import it, which would make a cycle.
 */
import type { AttrSpec } from './attrs.ts';
import type { AttrValue } from './module.ts';
import type { TensorType } from './dtype.ts';
import { ShapeError, expectRank } from './shape-rules.ts';

const stepAttr = (doc: string, optional: boolean): AttrSpec => ({
  name: optional ? 'sigma_delta' : 'scale', type: { kind: 'float', min: 0, minExclusive: true },
  ...(optional ? { optional: true } : { default: 1 }), doc,
});


export const LMU_SPEC = {
  name: 'lmu', group: 'recurrent' as const, doc: 'Legendre Memory Unit over a sequence (Voelker et al. 2019): a fixed linear memory of the input\'s last `theta` steps, read by a tanh hidden layer',
  inputs: [1, 1] as [number, number], positional: ['hidden'],
  attrs: [
    { name: 'hidden', type: { kind: 'int', min: 1 }, doc: 'hidden units' },
    { name: 'order', type: { kind: 'int', min: 1 }, doc: 'memory size: Legendre polynomials the window is projected on' },
    { name: 'theta', type: { kind: 'float', min: 0, minExclusive: true }, doc: 'length of the remembered window, in time steps' },
    { name: 'sequence', type: { kind: 'enum', values: ['all', 'last'] }, default: 'all', doc: 'return every step [batch, time, hidden] or only the last [batch, hidden]' },
    { name: 'hidden_to_memory', type: { kind: 'bool' }, default: false, doc: 'the memory\'s input also encodes the previous hidden state (e_h)' },
    { name: 'memory_to_memory', type: { kind: 'bool' }, default: false, doc: 'the memory\'s input also encodes the previous memory (e_m)' },
    { name: 'input_to_hidden', type: { kind: 'bool' }, default: false, doc: 'the hidden layer also reads the input directly (w_x)' },
    stepAttr('make the hidden units sigma-delta neurons with this quantizer step: each step they send an integer count of steps, carrying the rounding error to the next (absent: ordinary tanh units)', true),
  ] as AttrSpec[],
  infer: ([x]: TensorType[], a: Record<string, AttrValue>): TensorType => {
    expectRank(x!.shape, [3], 'lmu', 'lmu takes a sequence [batch, time, features]; a reshape makes one, e.g. reshape(x, [batch, 784, 1])');
    const [b, t] = x!.shape as [number, number, number];
    const h = a.hidden as number;
    return { shape: a.sequence === 'last' ? [b, h] : [b, t, h], dtype: 'f32' };
  },
  params: ([x]: TensorType[], a: Record<string, AttrValue>) => lmuParams(x!, a),
};

/** Kiln's LMU parameters (runtime/kernels/lmu.ts says what each multiplies). */
function lmuParams(x: TensorType, a: Record<string, AttrValue>): Record<string, number[]> {
  const i = x.shape[2]!, h = a.hidden as number, d = a.order as number;
  return {
    e_x: [1, i],
    ...(a.hidden_to_memory ? { e_h: [1, h] } : {}),
    ...(a.memory_to_memory ? { e_m: [1, d] } : {}),
    w_m: [h, d],
    ...(a.input_to_hidden ? { w_x: [h, i] } : {}),
    w_h: [h, h],
    bias: [h],
  };
}

export const SIGMA_DELTA_SPEC = {
  name: 'sigma_delta', group: 'stateful' as const, doc: 'sigma-delta quantizer along the time axis of [batch, time, ...]: sends round((x_t + e_{t−1}) / scale) events and carries the rounding error e_t to the next step',
  inputs: [1, 1] as [number, number], positional: ['scale'],
  attrs: [stepAttr('quantizer step: the value of one event', false)],
  infer: ([x]: TensorType[], a: Record<string, AttrValue>): TensorType => {
    if (x!.shape.length < 3) throw new ShapeError(`sigma_delta carries its error along time, axis 1 of [batch, time, ...]; its input is [${x!.shape.join(', ')}]`, 'give it a sequence, e.g. the output of a recurrent layer with sequence = all');
    return { shape: [...x!.shape], dtype: 'f32' };
  },
};
