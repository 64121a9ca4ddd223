/**
 * The training cost model on hand-computed cases: a single dense layer's forward MACs, its two
 * gradient GEMMs, the optimizer's operations and state per parameter; batchwise dropout shrinking
 * the GEMMs beside it to about the kept fraction; int16 layers priced as int16 GEMMs both ways.
 */
import { describe, expect, it } from 'vitest';
import { checkText, compileText } from '../../helpers/kiln.ts';
import { estimateTraining, offChip, type PhaseFigures, type TrainingPlan } from '../../../targets/training/estimate.ts';
import { updateCost } from '../../../targets/training/optimizers.ts';
import { trainingWork } from '../../../targets/training/work.ts';
import type { TargetResult } from '../../../targets/stats.ts';
import type { TargetDescription } from '../../../compiler/lang/description.ts';

const CPU = `target cpu : simd_cpu {
  clock 1 GHz  cores 1  macs f32 16  macs i16 32  lanes f32 8  lanes i16 16  dram 10 GB/s
  energy { mac.f32 4 pJ  mac.i16 1 pJ  op.vector 1 pJ  instr 0 pJ  dram.read 0 pJ }
}
target arr : systolic { array 8 x 8  clock 1 GHz  word i16  macs i16 1  macs f32 1 }
target chip : neuromorphic { chips 1  cores_per_chip 4 }`;
const targets: Map<string, TargetDescription> = checkText(CPU).targets;
const cpu = targets.get('cpu')!;

const DENSE = (extra = '') => `network one(batch = 4) {
  input x : f32[batch, 32]
  y = dense(x, 16${extra})
  output y
}`;
const adam: TrainingPlan = { batch: 4, samples: 10, optimizer: { name: 'adam', kahan: false, weightDecay: 0 } };
const priced = (m: Parameters<typeof estimateTraining>[0], t: TargetDescription, plan: TrainingPlan) => {
  const r = estimateTraining(m, t, plan);
  if (offChip(r)) throw new Error(r.off_chip);
  return r;
};
const phases = (r: TargetResult) => r.summary.phases as Record<'forward' | 'backward' | 'update', PhaseFigures>;

describe('a single dense layer, by hand', () => {
  const m = compileText(DENSE()).module;
  it('forward 4·32·16 MACs; backward dX and dW, each the forward size', () => {
    const w = trainingWork(m, updateCost(adam.optimizer));
    const g = w.forward.find((l) => l.op === 'dense')!;
    expect(g.macs).toBe(4 * 32 * 16);
    const back = w.backward.filter((l) => l.op === 'dense').map((l) => l.work);
    // dX[4×32] = dY[4×16]·Wᵀ and dW[32×16] = Xᵀ[32×4]·dY[4×16]
    expect(back).toEqual([
      expect.objectContaining({ kind: 'gemm', m: 4, n: 32, k: 16 }),
      expect.objectContaining({ kind: 'gemm', m: 32, n: 16, k: 4 }),
    ]);
    const r = priced(m, cpu, adam);
    expect(phases(r).forward.macs).toBe(2048);
    expect(phases(r).backward.macs).toBe(2 * 2048);
    expect(r.summary.macs).toBe(3 * 2048);
  });

  it('the update: ops and state per parameter by optimizer (32·16 weights + 16 biases = 528)', () => {
    const cases: [TrainingPlan['optimizer'], number, number][] = [
      [{ name: 'sgd', kahan: false, weightDecay: 0 }, 2, 0],
      [{ name: 'momentum', kahan: false, weightDecay: 0 }, 4, 1],
      [{ name: 'adam', kahan: false, weightDecay: 0 }, 14, 2],
      [{ name: 'adam', kahan: true, weightDecay: 0 }, 17, 3],
      [{ name: 'sgd', kahan: true, weightDecay: 1e-4 }, 2 + 3 + 2, 1],
    ];
    for (const [optimizer, ops, state] of cases) {
      const r = priced(m, cpu, { ...adam, optimizer });
      const o = r.summary.optimizer as { ops_per_param: number; state_buffers: number; state_bytes: number };
      expect(o.ops_per_param).toBe(ops);
      expect(o.state_buffers).toBe(state);
      expect(o.state_bytes).toBe(528 * 4 * state);
      // op.vector is 1 pJ on this target: the update's energy counts its operations, nothing else.
      expect(phases(r).update.energy_j).toBeCloseTo(528 * ops * 1e-12, 18);
    }
  });

  it('weights stored in f16, bf16 or i16: 2-byte weights, each rounded after the update; with Kahan the compensation too, at 2 bytes', () => {
    const cases: [string, boolean, number, number][] = [
      ['bf16', false, 2 + 1, 0], // sgd 2, round 1
      ['f16', true, 2 + 3 + 2, 2], // sgd 2, Kahan 3, round weights and compensation
      ['i16', false, 2 + 2, 0], // sgd 2, max|w| and round
      ['i16', true, 2 + 3 + 4, 2],
    ];
    for (const [storage, kahan, ops, stateBytes] of cases) {
      const r = priced(m, cpu, { ...adam, optimizer: { name: 'sgd', kahan, weightDecay: 0, storage } });
      const o = r.summary.optimizer as { ops_per_param: number; state_bytes: number; note: string };
      expect(o.ops_per_param, storage).toBe(ops);
      expect(o.state_bytes, storage).toBe(528 * stateBytes);
      expect(o.note).toContain(`${storage} storage: 2-byte weights`);
      expect(phases(r).update.energy_j).toBeCloseTo(528 * ops * 1e-12, 18);
    }
  });

  it('ebp: 3 operations per parameter per sample, and one more forward-sized pass (the variances)', () => {
    const r = priced(m, cpu, { ...adam, optimizer: { name: 'ebp', kahan: false, weightDecay: 0 } });
    const o = r.summary.optimizer as { ops_per_param: number; state_buffers: number; state_bytes: number };
    expect(o).toMatchObject({ ops_per_param: 3, state_buffers: 1, state_bytes: 528 * 4 });
    // The update phase: the variance pass's 2,048 MACs, and 528 · 3 · batch 4 operations.
    expect(phases(r).update.macs).toBe(2048);
    expect(phases(r).backward.macs).toBe(2 * 2048);
    const ops = r.layers.find((l) => l.op === 'dense')!.actions['op.vector'];
    expect(ops).toBe(528 * 3 * 4);
  });

  it('coordinate_descent: ternary weights ranked and moved without state, the biases on Adam, one confirming forward pass', () => {
    const t = compileText(DENSE(', weights = ternary')).module;
    const r = priced(t, cpu, { ...adam, optimizer: { name: 'coordinate_descent', kahan: false, weightDecay: 0 } });
    const o = r.summary.optimizer as { state_bytes: number };
    expect(o.state_bytes).toBe(16 * 2 * 4); // Adam's two f32 moments for the 16 biases only
    // 512 ternary weights: 4 operations and ⌈log2 512⌉ = 9 comparisons each; 16 biases: Adam's 14.
    expect(r.layers.find((l) => l.op === 'dense')!.actions['op.vector']).toBe(512 * (4 + 9) + 16 * 14);
    expect(phases(r).update.macs).toBe(2048);
  });

  it('an optimizer without a cost row is said, not priced as another', () => {
    const r = priced(m, cpu, { ...adam, optimizer: { name: 'lion', kahan: false, weightDecay: 0 } });
    const o = r.summary.optimizer as { priced: boolean; note: string };
    expect(o.priced).toBe(false);
    expect(o.note).toMatch(/`lion` has no row/);
    expect(phases(r).update.energy_j).toBe(0);
  });

  it('an epoch is ceil(samples ÷ batch) steps', () => {
    const r = priced(m, cpu, adam);
    expect(r.summary.per_epoch).toEqual({ steps: 3, latency_s: r.summary.latency_s * 3, energy_j: r.summary.energy_j * 3 });
    expect(r.summary.per_step).toEqual({ latency_s: r.summary.latency_s, energy_j: r.summary.energy_j });
    expect(r.summary.phase).toBe('training');
  });

  it('per layer, the phases add up to the layer', () => {
    const r = priced(m, cpu, adam);
    for (const l of r.layers) {
      const p = l.details!.phases as Record<string, PhaseFigures>;
      expect(p.forward!.energy_j + p.backward!.energy_j + p.update!.energy_j).toBeCloseTo(l.energy_j, 18);
    }
  });

  it('every joule has a priced action: energy = Σ count × price per layer, on a CPU and an array', () => {
    for (const t of [cpu, targets.get('arr')!]) {
      const r = priced(m, t, adam);
      for (const l of r.layers) {
        const sum = Object.entries(l.actions).reduce((a, [k, n]) => a + n * r.prices[k]!.joules, 0);
        expect(sum).toBeCloseTo(l.energy_j, 18);
      }
    }
  });

  it('a neuromorphic target says training is off-chip', () => {
    const r = estimateTraining(m, targets.get('chip')!, adam);
    expect(offChip(r) && r.off_chip).toMatch(/off-chip/);
  });
});

describe('int16 dynamic fixed point trains on int16 GEMMs both ways', () => {
  it('forward and backward MACs are priced as mac.i16; an i8 layer back-propagates at f32', () => {
    const i16 = priced(compileText(DENSE(', weights = i16, activations = i16').replace('f32[batch, 32]', 'i16[batch, 32]')).module, cpu, adam);
    const dense = (r: TargetResult) => r.layers.find((l) => l.op === 'dense')!;
    expect(dense(i16).actions['mac.i16']).toBe(3 * 2048);
    expect(dense(i16).actions['mac.f32']).toBeUndefined();
    const f32 = priced(compileText(DENSE()).module, cpu, adam);
    expect(phases(i16).backward.energy_j).toBeLessThan(phases(f32).backward.energy_j);
    const i8 = priced(compileText(DENSE(', weights = i8').replace('f32[batch, 32]', 'i8[batch, 32]')).module, cpu, adam);
    expect(dense(i8).actions['mac.i16']).toBe(2048); // forward: i8 on the target's i16 MACs (it has no i8)
    expect(dense(i8).actions['mac.f32']).toBe(2 * 2048);
  });
});

describe('dropout', () => {
  const MLP = (mode: string) => `network mlp(batch = 64) {
  input x : f32[batch, 784]
  h = dense(x, 256) -> relu -> dropout(p = 0.5, mode = ${mode})
  y = dense(h, 10) -> softmax
  output y
}`;
  it('batchwise: the producer and the consumer multiply the kept half; masking keeps full GEMMs', () => {
    const masked = priced(compileText(MLP('elementwise')).module, cpu, adam);
    const sub = priced(compileText(MLP('batchwise')).module, cpu, adam);
    const macs = (r: TargetResult, name: string) => r.layers.find((l) => l.name === name)!.macs;
    expect(macs(masked, 'h.dense')).toBe(3 * 64 * 784 * 256);
    expect(macs(sub, 'h.dense')).toBe(3 * 64 * 784 * 128);
    expect(macs(sub, 'y.dense')).toBe(3 * 64 * 128 * 10);
    // The whole step's GEMM work drops to about the kept fraction (the GEMMs are nearly all of it).
    const ratio = phases(sub).forward.macs / phases(masked).forward.macs;
    expect(ratio).toBeCloseTo(0.5, 2);
    expect(sub.summary.energy_j / masked.summary.energy_j).toBeLessThan(0.75);
    // The masked dropout draws and multiplies every value; the batchwise one draws 256 and multiplies the kept.
    const ops = (r: TargetResult) => r.layers.find((l) => l.op === 'dropout')!.actions['op.vector'];
    expect(ops(masked)).toBe(2 * (64 * 256 * 2));
    expect(ops(sub)).toBe(2 * (256 + 64 * 128));
  });

  it('structured dropout before a recurrent layer drops its input part of K only', () => {
    const m = compileText(`network r(batch = 2) {
  input x : f32[batch, 5, 8]
  d = dropout(x, 0.5, mode = structured)
  h = lstm(d, 6)
  output h
}`).module;
    const lstm = trainingWork(m, updateCost(adam.optimizer)).forward.find((l) => l.op === 'lstm')!;
    expect(lstm.work).toMatchObject({ kind: 'gemm', m: 2, n: 24, k: 4 + 6 });
  });

  const cellLstm = (p: number, mode: string, layers = 1, before = '') => compileText(`network r(batch = 2) {
  input x : f32[batch, 5, 8]
  ${before ? `d = dropout(x, ${before}, mode = structured)
  h = lstm(d` : 'h = lstm(x'}, 8, layers = ${layers}, dropout = ${p}, dropout_mode = ${mode})
  output h
}`).module;
  const lstmOf = (m: ReturnType<typeof cellLstm>) => trainingWork(m, updateCost(adam.optimizer)).forward.find((l) => l.op === 'lstm')!;

  it('in-cell structured dropout cuts the gate rows and the recurrent columns; elementwise cuts nothing', () => {
    // 8 inputs, 8 units, p = 0.25: 6 units kept. N: 4 gates × 6 = 24 of 32; K: 8 inputs + 6 kept
    // recurrent = 14 of 16. MACs per step and sample 24·14 = 336 of 512; × batch 2 × 5 steps.
    const full = lstmOf(cellLstm(0.25, 'elementwise'));
    expect(full.work).toMatchObject({ n: 32, k: 16 });
    expect(full.macs).toBe(2 * 5 * 32 * 16);
    const cut = lstmOf(cellLstm(0.25, 'structured'));
    expect(cut.work).toMatchObject({ kind: 'gemm', m: 2, n: 24, k: 14, repeat: 5 });
    expect(cut.macs).toBe(2 * 5 * 24 * 14);
  });

  it('two layers with dropout before: the first reads the kept inputs, the second the kept units below', () => {
    // p = 0.5 in the cell, 0.5 before it: 4 of 8 units kept per layer; layer 1 K = 4 inputs + 4
    // recurrent, layer 2 K = 4 units below + 4 recurrent; N = 4·4 = 16 in both. A quarter of
    // the full 32 × 16 per layer, as lstm-cut.ts's 4|K_l|·(|K_{l−1}| + |K_l|) gives.
    const cut = lstmOf(cellLstm(0.5, 'structured', 2, '0.5'));
    expect(cut.work).toMatchObject({ n: 16, k: 8, repeat: 10 });
    expect(cut.macs / lstmOf(cellLstm(0.5, 'elementwise', 2)).macs).toBe(0.25);
    // Without the dropout before, layer 1 reads all 8 inputs: K is the mean of 12 and 8.
    expect(lstmOf(cellLstm(0.5, 'structured', 2)).work).toMatchObject({ n: 16, k: 10 });
  });
});
