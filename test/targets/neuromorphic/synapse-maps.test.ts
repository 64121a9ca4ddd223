/**
 * The synapse index maps against the interpreter: with all-positive weights, a one-hot spike on
 * presynaptic neuron u changes exactly the postsynaptic neurons it has a synapse onto, so the
 * nonzero outputs of the same layers run in the interpreter are the ground truth for the maps.
 */
import { describe, expect, it } from 'vitest';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { projectionMaps, twinKeyOf } from '../../../targets/neuromorphic/synapse-maps.ts';
import { spikingGraph } from '../../../targets/neuromorphic/populations.ts';
import { compileText } from '../../helpers/kiln.ts';

/** Targets of u through the maps, as a sorted list of flat indices. */
function mapped(maps: ReturnType<typeof projectionMaps>, u: number): number[] {
  let cur = [u];
  for (const map of maps) { const next: number[] = []; for (const i of cur) map(i, next); cur = [...new Set(next)]; }
  return cur.sort((a, b) => a - b);
}

const CASES: { name: string; pre: number[]; layers: string }[] = [
  { name: 'conv 3×3, pad 1', pre: [3, 6, 6], layers: 'conv2d(4, 3, pad = 1)' },
  { name: 'conv 3×3, stride 2, no pad', pre: [2, 7, 7], layers: 'conv2d(3, 3, stride = 2)' },
  { name: 'conv dilation 2, asymmetric pad', pre: [2, 8, 8], layers: 'conv2d(2, 3, dilation = 2, pad = [1, 0, 2, 1])' },
  { name: 'grouped conv', pre: [4, 5, 5], layers: 'conv2d(6, 3, pad = 1, groups = 2)' },
  { name: 'maxpool 2 then conv', pre: [2, 8, 8], layers: 'maxpool2d(2) -> conv2d(3, 3)' },
  { name: 'overlapping avgpool then conv', pre: [1, 7, 7], layers: 'avgpool2d(3, 2) -> conv2d(2, 2)' },
  { name: 'pool, flatten, dense', pre: [2, 6, 6], layers: 'maxpool2d(2) -> flatten -> dense(5)' },
  { name: 'pool with stride above its kernel skips pixels', pre: [1, 7, 7], layers: 'maxpool2d(2, 3) -> flatten -> dense(3)' },
];

describe('synapse maps agree with the interpreter (one-hot input, positive weights)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const shape = c.pre.join(', ');
      // The spiking network whose projection a → b is mapped …
      const snn = compileText(`network s(batch = 1) { timesteps 2  input x : f32[1, ${shape}]  a = conv2d(x, ${c.pre[0]}, 1) -> lif  b = ${c.layers.replace(/^([a-z0-9]+)\(/, '$1(a, ')} -> lif  output b }`).module;
      const proj = spikingGraph(snn).projections.find((p) => p.from === 'a')!;
      const maps = projectionMaps(snn, proj);
      const key = twinKeyOf(snn, proj, c.pre);
      // … and the same layers as a plain network, run on one-hot inputs.
      const plain = compileText(`network p(batch = 1) { input x : f32[1, ${shape}]  y = ${c.layers.replace(/^([a-z0-9]+)\(/, '$1(x, ')}  output y }`).module;
      const params = initParams(plain, 1);
      for (const layer of Object.values(params)) {
        if (layer.weight) layer.weight.data.forEach((v, i, a) => { a[i] = Math.abs(v) + 0.01; });
        if (layer.bias) layer.bias.data.fill(0);
      }
      const n = c.pre.reduce((a, b) => a * b, 1);
      const byKey = new Map<number, string>();
      for (let u = 0; u < n; u++) {
        const x = new Float32Array(n);
        x[u] = 1;
        const y = run(plain, params, { x: { shape: [1, ...c.pre], data: x } }).outputs.y!;
        const truth = [...y.data.keys()].filter((i) => y.data[i] !== 0);
        const got = mapped(maps, u);
        expect(got, `targets of neuron ${u}`).toEqual(truth);
        // Neurons with one twin key reach the same targets.
        const k = key(u);
        const sig = got.join(',');
        if (byKey.has(k)) expect(sig, `twin key ${k}`).toBe(byKey.get(k));
        else byKey.set(k, sig);
      }
    });
  }
});
