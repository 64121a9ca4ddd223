/** Bits per activation from sent counts, the spiking blend of training, and permuted sequential MNIST. */
import { describe, expect, it } from 'vitest';
import { SentTally } from '../../../runtime/sigma-delta-activity.ts';
import { annealBlend } from '../../../runtime/train/updates.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { mnistSplit } from '../../../runtime/data/mnist.ts';
import { pixelPermutation } from '../../../runtime/data/psmnist.ts';
import { forward } from '../../../runtime/autodiff.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { build, inputsFor } from '../autodiff/helpers.ts';

describe('sigma-delta activity', () => {
  it('fixed-width bits per unit, entropy, events and silence of hand counts', () => {
    const t = new SentTally();
    // Two units over two steps: unit 0 sent 0 then −1, unit 1 sent 1 then 2.
    t.add('h', { counts: Int32Array.from([0, 1, -1, 2]), units: 2 });
    // A second record of the same layer widens unit 0 to −1..3: five levels.
    t.add('h', { counts: Int32Array.from([3, 1]), units: 2 });
    const s = t.summary().h!;
    expect(s.activations).toBe(6);
    expect(s.events).toBe(0 + 1 + 1 + 2 + 3 + 1);
    expect(s.events_per_activation).toBeCloseTo(8 / 6, 12);
    expect(s.zero_fraction).toBeCloseTo(1 / 6, 12);
    expect(s.fixed_bits).toBeCloseTo((Math.log2(5) + Math.log2(2)) / 2, 12);
    // Values 0, −1, 2, 3 once and 1 twice out of 6.
    expect(s.entropy_bits).toBeCloseTo(-(4 * (1 / 6) * Math.log2(1 / 6) + (2 / 6) * Math.log2(2 / 6)), 12);
  });

  it('training blends linearly over spiking_anneal epochs, spiking from the start without it', () => {
    expect([0, 0.5, 1, 2, 3].map((e) => annealBlend(2, e))).toEqual([0, 0.25, 0.5, 1, 1]);
    expect(annealBlend(0, 0)).toBe(1);
  });

  it('a blend of 0 runs the plain LMU, 1 the spiking one', () => {
    const sd = build(['input x : f32[2, 6, 1]', 'y = lmu(x, 3, order = 4, theta = 6, sigma_delta = 0.5)', 'output y']);
    const plain = build(['input x : f32[2, 6, 1]', 'y = lmu(x, 3, order = 4, theta = 6)', 'output y']);
    const w = initParams(sd, 4), x = inputsFor(sd, 2);
    const out = (m: typeof sd, spiking?: number) => Array.from(forward(m, w, x, { training: true, spiking }).outputs.y!.data);
    expect(out(sd, 0)).toEqual(out(plain));
    expect(out(sd, 1)).toEqual(out(sd));
    expect(out(sd, 1)).not.toEqual(out(plain));
  });
});

describe('psmnist', () => {
  it('reads each digit pixel by pixel in one fixed shuffled order, the same for both splits', () => {
    const s = loadData('psmnist', { train: 20, test: 10 });
    const raw = mnistSplit(20, 10);
    const perm = pixelPermutation();
    expect(s.train.sampleShape).toEqual([784, 1]);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
    expect(perm.slice(0, 20)).not.toEqual(Int32Array.from({ length: 20 }, (_, i) => i));
    for (const [d, r] of [[s.train, raw.train], [s.test, raw.test]] as const) {
      for (const i of [0, d.count - 1]) for (const t of [0, 100, 783]) expect(d.x[i * 784 + t]).toBe(r.x[i * 784 + perm[t]!]);
      expect(Array.from(d.y)).toEqual(Array.from(r.y));
    }
    const other = loadData('psmnist', { train: 20, test: 10, seed: 5 });
    expect(Array.from(other.train.x.subarray(0, 784))).not.toEqual(Array.from(s.train.x.subarray(0, 784)));
  });
});
