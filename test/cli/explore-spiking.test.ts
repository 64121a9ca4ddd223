/**
 * How `kiln explore` converts a variant for a neuromorphic target. The interpreter runs weights as
 * given (it does not emulate `weights =` precisions), so the converted network must hold the
 * variant's weights themselves, the values its thresholds were calibrated with: a ternary variant
 * that ran its f32 weights against thresholds calibrated on the ternary ones fired more than
 * either network would. And a sign activation converts to spiking exactly: sign(x) = 2·step(x) − 1 is a lif with threshold 0
 * that fires wherever its current is ≥ 0, and the −1 goes into the next layer's bias. The binarized
 * MLP of examples/binary_mlp.kiln (narrowed to 64 units, trained one short epoch) converted as
 * `kiln explore` converts its binary variant must predict, digit by digit, what the binary network
 * as declared predicts (explore pricing it on a chip is explore-spiking.slow.test.ts).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadData } from '../../runtime/data/index.ts';
import { evaluate, train } from '../../runtime/train.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { spikingNetwork } from '../../cli/explore/spiking.ts';
import { uniformVariants } from '../../cli/explore/variants.ts';
import { removeTempFiles, tempFiles } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/paths.ts';

const SOURCE = readFileSync(path.join(repoRoot, 'examples/binary_mlp.kiln'), 'utf8')
  .replace('hidden = 1024', 'hidden = 64')
  .replace(/data mnist\([^)]*\)\s+epochs 15/, 'data mnist(train = 2000, test = 300)  epochs 1');

afterAll(removeTempFiles);

describe('a binarized network converted to spiking', () => {
  const dir = tempFiles({ 'bnn.kiln': SOURCE });
  const file = path.join(dir, 'bnn.kiln');

  it('predicts every digit as the binary network does, in one time step', () => {
    const p = prepare(file, { requireTrain: true });
    const data = loadData('mnist', { train: 2000, test: 150 });
    const { weights } = train({ module: p.module, config: p.config!, data }, { epochs: 1, testLimit: 0 });
    const declared = evaluate(p.module, weights, data.test);
    // Not a network at chance: the comparison below would hold for one that predicts a constant.
    expect(declared.accuracy).toBeGreaterThan(0.5);
    const binary = uniformVariants(p.module, ['binary'], [undefined])[0]!;
    // Trained as declared, not quantized from f32 (ptq: false): its batch norm learned on sign(w).
    const snn = spikingNetwork({ module: p.module, identity: {}, ptq: false, data }, binary, weights, 25);
    if ('error' in snn) throw new Error(snn.error);
    // Every step computes the whole binarized network, so one is enough whatever T was asked for.
    expect(snn.module.timesteps).toBe(1);
    expect(snn.text).toMatch(/h1_step = lif\(h1_dense, threshold = 0, decay = 0, reset = zero\)/);
    expect(snn.text).toMatch(/readout = membrane/);
    // The hidden layers hold ±1 (batch norm's scale divided out of each row), ±2 once they read a sign's spikes.
    const values = (id: string) => new Set(snn.weights[id]!.weight!.data);
    expect(values('h1_dense')).toEqual(new Set([1, -1]));
    expect(values('h2_dense')).toEqual(new Set([2, -2]));
    const converted = evaluate(snn.module, snn.weights, data.test);
    expect([...converted.predictions]).toEqual([...declared.predictions]);
  }, 60_000);

  it('holds the ternary variant\'s weights: three values a layer, the ones its thresholds were calibrated on', () => {
    const p = prepare(file, { requireTrain: true });
    const data = loadData('mnist', { train: 300, test: 50 });
    const { weights } = train({ module: p.module, config: p.config!, data }, { epochs: 1, testLimit: 0 });
    const ternary = uniformVariants(p.module, ['ternary'], [undefined])[0]!;
    const snn = spikingNetwork({ module: p.module, identity: {}, ptq: true, data }, ternary, weights, 25);
    if ('error' in snn) throw new Error(snn.error);
    // h1 reads the pixels: α·{−1, 0, +1}, batch norm's scale divided out of each row (a sign follows).
    const h1 = snn.weights.h1_dense!.weight!.data;
    const rows = 64, per = h1.length / rows;
    for (let r = 0; r < rows; r++) expect(new Set(h1.subarray(r * per, (r + 1) * per)).size).toBeLessThanOrEqual(3);
    expect([...h1].filter((x) => x === 0).length).toBeGreaterThan(0);
    // The network runs them at f32: nothing quantizes them a second time, differently.
    expect(Object.values(snn.module.nodes).every((n) => !n.attrs.weights || (n.attrs.weights as { dtype: string }).dtype === 'f32')).toBe(true);
    expect(snn.text).toMatch(/h1_dense = dense\(x, units = 64, weights = ternary\)/);
  }, 60_000);
});
