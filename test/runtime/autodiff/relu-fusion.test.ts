/**
 * ReLU folded into its neighbours in training (runtime/autodiff/relu-fusion.ts): a conv2d whose
 * only reader is a relu rectifies its own output, and a max pool reading a relu does the relu's
 * backward in its own pass. Both must give the unfused ops' bits; the kernels are compared with
 * the unfused composition on both backends, and the fused network against finite differences.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RULES, backward, forward } from '../../../runtime/autodiff.ts';
import type { RuleArgs } from '../../../runtime/autodiff/types.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { relu } from '../../../runtime/kernels/activations.ts';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { maxPool, maxPoolBackward, type PoolOptions } from '../../../runtime/kernels/pool.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { type Tensor, fromArray, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { build, inputsFor } from './helpers.ts';

const BACKENDS = ['js', 'wasm'] as const;
const POOL: PoolOptions = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] };

afterEach(() => setKernelBackend(undefined));

/** Values with exact zeros, negative zeros and ties, where the relu mask and argmax tie rules bite. */
function awkward(shape: number[], seed: number): Tensor {
  const rng = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng();
    v[i] = r < 0.15 ? 0 : r < 0.2 ? -0 : r < 0.3 ? 0.5 : Math.fround(rng() * 2 - 1);
  }
  return fromArray(shape, v);
}

/** The relu op's own backward rule: what the fused pass must reproduce. */
const reluRule = (x: Tensor, dy: Tensor): Tensor => RULES.relu!({ entry: { inputs: [x] }, dy } as unknown as RuleArgs).inputs![0]!;

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('relu folded into conv2d and max pooling', () => {
  // [2, 3, 12, 20]: 10 windows a row (two 4-wide vectors and a tail of 2); [2, 3, 9, 9]: the
  // windows do not tile the input, so the JS loop runs.
  for (const shape of [[2, 3, 12, 20], [2, 3, 9, 9], [1, 2, 2, 2]]) {
    for (const backend of BACKENDS) {
      it(`max pool backward with the relu mask = relu backward of max pool backward, ${backend}, [${shape}]`, () => {
        setKernelBackend(backend);
        const x = relu(awkward(shape, 3));
        const { y, argmax } = maxPool(x, POOL);
        const dy = awkward(y.shape, 4);
        const fused = maxPoolBackward(dy, argmax, x.shape, POOL, y.data);
        const unfused = reluRule(x, maxPoolBackward(dy, argmax, x.shape));
        expect(bits(fused.data)).toEqual(bits(unfused.data));
        // Without the mask, the whole-dx kernel matches the scatter.
        expect(bits(maxPoolBackward(dy, argmax, x.shape, POOL).data)).toEqual(bits(maxPoolBackward(dy, argmax, x.shape).data));
      });
    }
  }

  for (const backend of BACKENDS) {
    it(`conv2d with relu = relu of conv2d, ${backend}`, () => {
      setKernelBackend(backend);
      const x = randomUniform([3, 2, 9, 9], mulberry32(5), -1, 1);
      const w = randomUniform([5, 2, 3, 3], mulberry32(6), -1, 1);
      const b = randomUniform([5], mulberry32(7), -1, 1);
      expect(bits(conv2d(x, w, b, { pad: 1 }, true).data)).toEqual(bits(relu(conv2d(x, w, b, { pad: 1 })).data));
    });
  }

  it('a conv → relu → maxpool chain is fused in training, with the gradients of the unfused ops', () => {
    // leaky_relu(alpha = 0) is the same function, which no fusion touches; it differs from relu
    // only at exact zeros (its slope there is 1), which random inputs do not hit.
    // The batchwise dropout makes training plan submatrices (submatrix.ts), whose op table must
    // keep the folded relu.
    const lines = (act: string) => ['input x : f32[4, 2, 12, 12]', `c = conv2d(x, filters = 3, kernel = 3, pad = 1) -> ${act} -> maxpool2d(2)`,
      'h = flatten(c) -> dense(8) -> relu -> dropout(p = 0.5, mode = batchwise)', 'y = dense(h, 4)', 'output y'];
    const run = (act: string) => {
      const m = build(lines(act));
      const fwd = forward(m, initParams(m, 5), inputsFor(m, 11), { training: true, seed: 1 });
      const g = backward(m, fwd, new Map([['y', randomUniform(fwd.outputs.y!.shape, mulberry32(2), -1, 1)]]), { training: true, inputs: true });
      return { fwd, g };
    };
    for (const backend of BACKENDS) {
      setKernelBackend(backend);
      const fused = run('relu'), plain = run('leaky_relu(alpha = 0)');
      const conv = fused.fwd.tape.find((e) => e.op === 'conv2d')!;
      const reluEntry = fused.fwd.tape.find((e) => e.op === 'relu' && e.inputs[0] === conv.output)!;
      expect(reluEntry.output).toBe(reluEntry.inputs[0]);
      expect(reluEntry.output).toBe(conv.output);
      const values = (r: ReturnType<typeof run>) => [r.fwd.outputs.y!, ...Object.values(r.g.params).flatMap((p) => Object.values(p)), r.g.inputs.x!]
        .map((t) => Array.from(t.data, (v) => v + 0));
      expect(values(fused)).toEqual(values(plain));
      expect(values(fused)[1]!.some((v) => v !== 0)).toBe(true);
    }
  });

  it('a conv read by two nodes, or that is a module output, is not fused', () => {
    for (const lines of [
      ['input x : f32[2, 1, 6, 6]', 'c = conv2d(x, filters = 2, kernel = 3)', 'r = relu(c)', 'y = add(r, c)', 'output y'],
      ['input x : f32[2, 1, 6, 6]', 'c = conv2d(x, filters = 2, kernel = 3)', 'r = relu(c)', 'output r, c'],
    ]) {
      const m = build(lines);
      const fwd = forward(m, initParams(m, 5), inputsFor(m, 3), { training: true });
      const reluEntry = fwd.tape.find((e) => e.op === 'relu')!;
      expect(reluEntry.output).not.toBe(reluEntry.inputs[0]);
      expect(Array.from(reluEntry.output.data)).toEqual(Array.from(relu(reluEntry.inputs[0]!).data));
    }
  });
});
