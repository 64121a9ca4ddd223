/**
 * A max pool in a sign network converts to an OR of spikes only where it reads {0, 1} spikes (a
 * step, relu(sign)). In the usual BNN order conv → maxpool → sign it reads currents, and an OR
 * neuron there (fires when the window's sum reaches ½) is not their max: the pool must stay a
 * max, and the one-step network must still compute the ANN exactly.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { compileConverted } from '../../../runtime/convert/compile-snn.ts';
import { emitKiln } from '../../../runtime/convert/emit-kiln.ts';
import { prepareAnn } from '../../../runtime/convert/prepare-ann.ts';
import { buildSnn, thresholdLayers } from '../../../runtime/convert/snn.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

const SRC = `network n(batch = 4) {
  input x : f32[batch, 1, 8, 8]
  c = conv2d(x, filters = 3, kernel = 3, pad = 1) -> maxpool2d(2) -> sign
  y = flatten(c) -> dense(4)
  output y
}`;

describe('a sign network with conv → maxpool → sign', () => {
  it('keeps the max pool over currents and converts exactly in one step', () => {
    const m = compile('t.kiln', { readFile: memoryFiles({ 't.kiln': SRC }) }).module;
    const w = initParams(m, 3);
    for (const id of Object.keys(w)) w[id]!.bias?.data.forEach((_, i, a) => { a[i] = (i % 3) - 1; });
    const x = { shape: [4, 1, 8, 8], data: Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 1.7) * 2) };
    const ann = prepareAnn(m, w, 'spike');
    const snn = buildSnn(ann, thresholdLayers(ann.module).map((node) => ({ node, lambda: 1, positives: 1 })), 5);
    expect(snn.module.timesteps).toBe(1);
    expect(snn.layers.some((l) => l.kind === 'or')).toBe(false);
    expect(Object.values(snn.module.nodes).some((n) => n.op === 'maxpool2d')).toBe(true);
    const text = emitKiln(snn.module, snn.layers, { source: 's', checkpoint: 'c', calibration: 'k', thresholds: 't', changes: ann.changes, weights: 'w' });
    const c = compileConverted('s.kiln', text, snn.weights);
    const want = run(m, w, { x }).outputs.y!;
    const got = Object.values(run(c.module, c.weights, { x }).outputs)[0]!;
    expect(got.shape).toEqual(want.shape);
    for (let i = 0; i < want.data.length; i++) expect(got.data[i]).toBeCloseTo(want.data[i]!, 4);
  });
});
