/** `run` itself: argument checks as KilnErrors, intermediate values, and the tape for backward. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { full, zeros } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

function runError(f: () => unknown): KilnError {
  try { f(); } catch (e) { if (e instanceof KilnError) return e; throw e; }
  throw new Error('expected a KilnError');
}

describe('run', () => {
  const m = build(['input x : f32[batch, 4]', 'h = dense(x, 3) -> relu', 'y = dense(h, 2) -> softmax', 'output y'], 'batch = 2');
  const w = initParams(m, 0);

  it('reports a missing input, a wrong input shape and a missing parameter with a position and a hint', () => {
    const missing = runError(() => run(m, w, {}));
    expect(missing.diagnostics[0]!.message).toMatch(/no value for input `x`/);
    const shape = runError(() => run(m, w, { x: zeros([3, 4]) }));
    expect(shape.diagnostics[0]!.message).toBe('input `x` is [3, 4] but the network declares [2, 4]');
    expect(shape.diagnostics[0]!.hint).toMatch(/--set batch=N/);
    expect(shape.diagnostics[0]!.pos?.line).toBe(2);
    // Data that does not fill the declared shape is refused (it would read NaN past its end).
    const short = runError(() => run(m, w, { x: { shape: [2, 4], data: new Float32Array(5) } }));
    expect(short.diagnostics[0]!.message).toBe('input `x` says [2, 4] (8 values) but holds 5');
    const param = runError(() => run(m, { ...w, 'y.dense': {} }, { x: zeros([2, 4]) }));
    expect(param.diagnostics[0]!.message).toMatch(/no value for parameter `weight` of `y.dense`/);
    const wrong = runError(() => run(m, { ...w, 'y.dense': { ...w['y.dense'], weight: zeros([3, 3]) } }, { x: zeros([2, 4]) }));
    expect(wrong.diagnostics[0]!.message).toMatch(/is \[3, 3\], expected \[2, 3\]/);
  });

  it('returns every intermediate value on request', () => {
    const r = run(m, w, { x: full([2, 4], 1) }, { keepValues: true });
    expect(Object.keys(r.values!)).toEqual(Object.keys(m.nodes));
    expect(r.values!['h']!.data.every((v) => v >= 0)).toBe(true);
    expect(r.values!['y']).toBe(r.outputs.y);
    expect(run(m, w, { x: full([2, 4], 1) }).values).toBeUndefined();
  });

  it('records a tape with each node\'s inputs, output and what its backward needs', () => {
    const c = build(['input x : f32[2, 1, 6, 6]', 'a = conv2d(x, 2, 3) -> batchnorm -> relu -> maxpool2d(2)', 'y = flatten(a) -> dropout(0.5) -> dense(3)', 'output y']);
    const r = run(c, initParams(c, 0), { x: full([2, 1, 6, 6], 0.5) }, { record: true, training: true });
    expect(r.tape!.map((e) => e.node)).toEqual(Object.keys(c.nodes).filter((id) => c.nodes[id]!.op !== 'input'));
    const entry = (op: string) => r.tape!.find((e) => e.op === op)!;
    expect(Object.keys(entry('maxpool2d').saved)).toEqual(['argmax']);
    expect(Object.keys(entry('batchnorm').saved)).toEqual(['mean', 'invStd']);
    expect(Object.keys(entry('dropout').saved)).toEqual(['mask']);
    expect(entry('relu').inputs[0]).toBe(entry('batchnorm').output);
    expect(r.state['a.batchnorm']).toBeDefined();
  });

  it('hands every op evaluation to onNode; consumers and outputs see what it returns, the tape the op\'s own', () => {
    const x = full([2, 4], 1);
    const plain = run(m, w, { x }, { keepValues: true });
    const seen: string[] = [];
    const r = run(m, w, { x }, {
      record: true, keepValues: true,
      onNode: (e) => {
        seen.push(`${e.node.id}@${e.step}`);
        expect(e.entry?.output).toBe(e.output);
        // Zero the hidden layer: the softmax then sees only the second layer's bias.
        return e.node.id === 'h' ? zeros(e.output.shape) : e.output;
      },
    });
    expect(seen).toEqual(['h.dense@0', 'h@0', 'y.dense@0', 'y@0']);
    expect(r.tape!.find((e) => e.node === 'h')!.output.data).toEqual(plain.values!.h!.data);
    expect(Array.from(r.values!.h!.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(r.values!['y.dense']!.data)).toEqual([...w['y.dense']!.bias!.data, ...w['y.dense']!.bias!.data]);
    expect(r.tape!.find((e) => e.node === 'y.dense')!.params.weight).toBe(w['y.dense']!.weight);
  });

  it('checkShapes: false runs a module compiled for one batch on another', () => {
    const r = run(m, w, { x: full([5, 4], 1) }, { checkShapes: false });
    expect(r.outputs.y!.shape).toEqual([5, 2]);
    expect(Array.from(r.outputs.y!.data.subarray(0, 2))).toEqual(Array.from(run(m, w, { x: full([2, 4], 1) }).outputs.y!.data.subarray(0, 2)));
    expect(runError(() => run(m, w, {}, { checkShapes: false })).diagnostics[0]!.message).toMatch(/no value for input `x`/);
  });
});
