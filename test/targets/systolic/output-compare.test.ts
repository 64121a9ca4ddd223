/**
 * On an array, a binary layer whose sums only reach the network through batch norm → sign (folded
 * into one threshold compare, targets/threshold-fold.ts) stores the sign, not the sum: TPU v1's
 * activation pipeline takes the accumulators' outputs on their way to the unified buffer (Jouppi
 * et al. 2017). On tpu_v1_like the sign is stored as the byte its i8 MACs read back, so the layer
 * writes 1/4 of the words of the 32-bit sums it wrote before. Counts are SCALE-Sim's ws ofmap
 * writes, rowFolds · M · N (docs/scalesim-semantics.md): K = 256 is one row fold, so every write
 * is a final output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { estimate } from '../../../targets/estimate.ts';
import { presets } from '../../../targets/resolve.ts';
import { moduleWork } from '../../../targets/workload.ts';
import type { LayerStats, TargetResult } from '../../../targets/stats.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { uniformVariants, variantModule } from '../../../cli/explore/variants.ts';
import { scaleSimTarget } from '../../../targets/systolic/scalesim-import.ts';
import { memoryFiles } from '../../helpers/memfs.ts';
import { forward } from '../../../runtime/autodiff.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';

// `output y, b` makes the network output the batch norm, which must then produce its values.
const net = (name: string, outputs: string) => `network ${name}(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm
  s = sign(b)
  y = dense(s, 10, weights = binary)
  output ${outputs}
}`;
// A bare sign is the compare with 0: nothing to fold, the same way out. In `mixed` the sign is
// read by a layer whose MACs run wider than the sign (binary × i8 runs i8).
const signed = (name: string, x: string, first: string, next: string) => `network ${name}(batch = 4) {
  input x : ${x}[batch, 256]
  h = dense(x, 256, weights = ${first}) -> sign
  y = dense(h, 10, weights = ${next})
  output y
}`;
const BARE = signed('bare', 'i8', 'i8', 'binary');
const MIXED = signed('mixed', 'binary', 'binary', 'i8');
const SOURCE = `${net('folded', 'y')}\n${net('kept', 'y, b')}\n${BARE}\n${MIXED}`;

const tpu = presets().get('tpu_v1_like')!, cpu = presets().get('avx2_laptop')!;
const priced = (name: string, target = tpu): TargetResult => estimate({ kind: 'module', module: compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module }, target);
const layer = (r: TargetResult, name: string): LayerStats => r.layers.find((l) => l.name === name)!;

describe('tpu_v1_like: batch norm + sign applied as a binary layer\'s outputs leave the accumulators', () => {
  const folded = priced('folded'), kept = priced('kept');

  it('the layer stores the sign as a byte: 1/4 of the SRAM and DRAM output words of its 32-bit sums', () => {
    const f = layer(folded, 'b.dense'), k = layer(kept, 'b.dense');
    expect(k.sram_writes).toEqual({ ofmap: 4 * 256 * 4 });
    expect(f.sram_writes).toEqual({ ofmap: 4 * 256 });
    expect(f.dram_writes!.ofmap * 4).toBe(k.dram_writes!.ofmap);
    expect(f.details!.output_bits).toBe(8);
    expect(k.details!.output_bits).toBe(32);
    expect(f.notes!.join()).toMatch(/b's threshold compare .* 8 bits a value .* not the 32-bit sum/);
    // The products are the same: only what is stored changed.
    expect(f.actions['mac.i8']).toBe(k.actions['mac.i8']);
  });

  it('the folded batch norm is one compare an element in the activation pipeline: priced, no buffer traffic, no cycles of its own', () => {
    const bn = layer(folded, 'b');
    expect(bn.unit).toBe('activation pipeline');
    expect(bn.actions).toEqual({ 'vector.op': 4 * 256 });
    expect(bn.energy_j).toBeCloseTo(4 * 256 * 0.9e-12, 20);
    // 256 lanes keep pace with the 256 columns that deliver the outputs.
    expect(bn.cycles).toBe(0);
    expect(layer(folded, 's').unit).toBe('none');
  });

  it('a batch norm the network outputs is not folded: scale and shift on the vector unit, reading the stored sums', () => {
    const bn = layer(kept, 'b');
    expect(bn.unit).toBe('vector');
    expect(bn.actions['vector.op']).toBe(2 * 4 * 256);
    expect(bn.actions['sram.read']).toBe(4 * 256 * 4);
    expect(layer(kept, 's').unit).toBe('vector');
    expect(folded.summary.energy_j).toBeLessThan(kept.summary.energy_j);
  });

  it('a narrower activation unit than the array is wide adds the cycles it cannot keep pace with', () => {
    const narrow = { ...tpu, props: { ...tpu.props, vector: { ...tpu.props.vector!, value: 64 } } };
    const m = compile('t.kiln:folded', { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module;
    const bn = estimate({ kind: 'module', module: m }, narrow).layers.find((l) => l.name === 'b')!;
    expect(bn.cycles).toBe(4 * 256 / 64 - 4 * 256 / 256);
  });
});

describe('a bare sign after a layer, and a training step', () => {
  it('a sign alone is compared on the way out too: the layer stores the byte, the sign is the pipeline\'s compare', () => {
    const r = priced('bare');
    expect(layer(r, 'h.dense').sram_writes).toEqual({ ofmap: 4 * 256 });
    expect(layer(r, 'h.dense').details!.output_bits).toBe(8);
    expect(layer(r, 'h').unit).toBe('activation pipeline');
    expect(layer(r, 'h').notes!.join()).toMatch(/the sign \(a compare with 0\) of h\.dense's outputs/);
  });

  it('a training step keeps batch norm and sign apart, so no layer stores a compare', () => {
    const m = compile('t.kiln:folded', { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module;
    expect(moduleWork(m).find((l) => l.name === 'b.dense')!.compareOnOutput).toEqual({ by: 'b', dtype: 'binary', threshold: true, readBy: ['y'] });
    expect(moduleWork(m, { training: true }).some((l) => l.compareOnOutput || l.comparesFor)).toBe(false);
  });
});

describe('binary_mlp on tpu_v1_like: uniform binary is cheaper than i8', () => {
  it('once the binary layers store signs, not f32 sums (hidden = 256 to keep it quick)', () => {
    const m = prepare('examples/binary_mlp.kiln', { overrides: new Map([['hidden', 256]]) }).module;
    const [i8, binary] = uniformVariants(m, ['i8', 'binary'], [undefined]).map((v) => estimate({ kind: 'module', module: variantModule(m, v) }, tpu).summary.energy_j);
    expect(binary!).toBeLessThan(i8!);
  });
});

describe('the stored width of a compare: as wide as its readers read it, never wider than the layer stored it', () => {
  it('a layer that already outputs 1 bit keeps storing 1 bit: the sign does not widen it, and says nothing (ebp_mlp, binary)', () => {
    const m = prepare('examples/ebp_mlp.kiln').module;
    const [binary] = uniformVariants(m, ['binary'], [undefined]);
    const h = estimate({ kind: 'module', module: variantModule(m, binary!) }, tpu).layers.find((l) => l.name === 'h.dense')!;
    expect(h.details!.output_bits).toBe(1);
    // 100 × 201 outputs of 1 bit in 8-bit words, K = 784 over 256 rows: 3 partial-sum words + 1/8 per output (ws).
    expect(h.sram_writes!.ofmap).toBe(Math.ceil(100 * 201 * 4 * (3 + 1 / 8) / 4));
    expect(h.notes!.join()).not.toMatch(/leave the accumulators/);
  });

  it('a sign read by i8 MACs is stored as a byte on an array with binary MACs (systolic_32x32), as wide as y reads it', () => {
    const r = priced('mixed', presets().get('systolic_32x32')!);
    const h = layer(r, 'h.dense'), y = layer(r, 'y');
    expect(y.details!.mac_class).toBe('i8');
    expect(h.details!.output_bits).toBe(8);
    // What h.dense writes is what y reads: one byte word a value on both sides.
    expect(h.details!.words_per_access).toMatchObject({ ofmap: 1 });
    expect(y.details!.words_per_access).toMatchObject({ ifmap: 1 });
    expect(h.notes!.join()).toMatch(/h's sign .* 8 bits a value \(as y reads it\)/);
  });

  it('a SCALE-Sim .cfg target stores one word an output either way: no width, no note', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-cfg-'));
    const cfgFile = path.join(dir, 'scale.cfg');
    writeFileSync(cfgFile, '[general]\nrun_name = scale_run\n\n[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow: os\n\n[run_presets]\nInterfaceBandwidth: CALC\n');
    const h = layer(priced('bare', scaleSimTarget(cfgFile)), 'h.dense');
    expect(h.details).not.toHaveProperty('output_bits');
    expect(h.notes!.join()).not.toMatch(/leave the accumulators/);
  });
});

/**
 * A batch norm that binarizes its own output (`activations = binary`, explore's binary variants of
 * lenet5_bn) is sign(γ(x − μ)/σ + β) with 0 → +1, and a relu after it writes that ±1 as 0 or 1: one
 * compare of the sums either way, so it folds like batch norm → sign. A relu before a sign does
 * not: sign(relu(z)) is +1 for every z.
 */
const BN_RELU = `network r(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm(activations = binary) -> relu
  y = dense(b, 10, weights = binary)
  output y
}
network plain(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm
  output b
}
network shared(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm(activations = binary)
  r = relu(b)
  y = dense(r, 10, weights = binary)
  z = dense(b, 10, weights = binary)
  output y, z
}
network dropped(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm(activations = binary) -> dropout(p = 0.5) -> relu
  y = dense(b, 10, weights = binary)
  output y
}
network relu_out(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm(activations = binary) -> relu
  y = dense(b, 10, weights = binary)
  output y, b
}
network relu_sign(batch = 4) {
  input x : f32[batch, 256]
  b = sign(x) -> dense(256, weights = binary) -> batchnorm -> relu -> sign
  y = dense(b, 10, weights = binary)
  output y
}`;
const bnRelu = (name: string) => compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': BN_RELU }) }).module;

describe('batch norm → relu after a binary layer, the batch norm binarizing its output', () => {
  it('runtime semantics: the interpreter\'s relu after a binarizing batch norm is 1 exactly where its f32 batch norm is ≥ 0, else 0 (the compare the fold prices)', () => {
    const r = bnRelu('r'), plain = bnRelu('plain');
    const w = initParams(r, 5), rand = mulberry32(6);
    // Shifts and statistics away from the defaults; γ of both signs (a negative γ turns the
    // compare around) and one exactly 0 (the batch norm is then β alone, and sign(0) = +1 decides).
    const bn = w['b.batchnorm']!;
    for (const k of ['gamma', 'beta', 'running_mean'] as const) bn[k]!.data.forEach((_, i, a) => (a[i] = 4 * rand() - 2));
    bn.gamma!.data[3] = 0;
    bn.running_var!.data.forEach((_, i, a) => (a[i] = 0.5 + rand()));
    const gammas = [...bn.gamma!.data];
    expect(gammas.some((g) => g > 0) && gammas.some((g) => g < 0) && gammas.includes(0)).toBe(true);
    const x = { shape: [4, 256], data: Float32Array.from({ length: 4 * 256 }, () => (rand() < 0.5 ? -1 : 1)) };
    const z = forward(plain, { 'b.dense': w['b.dense']!, b: w['b.batchnorm']! }, { x }).outputs.b!.data;
    const out = forward({ ...r, outputs: ['b'] }, w, { x }).outputs.b!.data;
    expect([...out]).toEqual([...z].map((v) => (v >= 0 ? 1 : 0)));
    // Not a constant: the compare goes both ways on these values.
    expect(new Set(out).size).toBe(2);
  });

  it('tpu_v1_like: the layer stores the 1-bit result, the batch norm is the pipeline\'s compare, the relu is free', () => {
    const work = moduleWork(bnRelu('r'));
    expect(work.find((l) => l.name === 'b.dense')!.compareOnOutput).toEqual({ by: 'b.batchnorm', dtype: 'binary', threshold: true, readBy: ['y'] });
    const e = estimate({ kind: 'module', module: bnRelu('r') }, tpu);
    expect(layer(e, 'b.dense').details!.output_bits).toBe(8);
    expect(layer(e, 'b.batchnorm').unit).toBe('activation pipeline');
    expect(layer(e, 'b.batchnorm').actions).toEqual({ 'vector.op': 4 * 256 });
    expect(layer(e, 'b').unit).toBe('none');
    expect(layer(e, 'b').notes!.join()).toMatch(/folded into the batch norm before it/);
  });

  it('a batch norm read twice ends the fold itself: it is the compare, and the relu reading it is still priced', () => {
    const work = moduleWork(bnRelu('shared'));
    expect(work.find((l) => l.name === 'b.dense')!.compareOnOutput).toEqual({ by: 'b', dtype: 'binary', threshold: true, readBy: ['r', 'z'] });
    expect(work.find((l) => l.name === 'b')!.work).toEqual({ kind: 'vector', ops: 4 * 256 });
    expect(work.find((l) => l.name === 'r')!.work).toEqual({ kind: 'vector', ops: 4 * 256 });
  });

  it('a batch norm whose one reader is neither relu nor sign ends the fold itself; a relu behind a dropout is still priced', () => {
    const work = moduleWork(bnRelu('dropped'));
    // The stored compare is read through the dropout, which moves nothing, by the relu.
    expect(work.find((l) => l.name === 'b.dense')!.compareOnOutput).toEqual({ by: 'b.batchnorm', dtype: 'binary', threshold: true, readBy: ['b'] });
    expect(work.find((l) => l.name === 'b.batchnorm')!.work).toEqual({ kind: 'vector', ops: 4 * 256 });
    expect(work.find((l) => l.name === 'b')!.work).toEqual({ kind: 'vector', ops: 4 * 256 });
  });

  it('a relu the network outputs still folds: the compare writes its 0s and 1s', () => {
    const work = moduleWork(bnRelu('relu_out'));
    expect(work.find((l) => l.name === 'b.dense')!.compareOnOutput).toEqual({ by: 'b.batchnorm', dtype: 'binary', threshold: true, readBy: ['y'] });
    expect(work.find((l) => l.name === 'b.batchnorm')!.work).toEqual({ kind: 'vector', ops: 4 * 256 });
    expect(work.find((l) => l.name === 'b')!.work.kind).toBe('free');
  });

  it('a relu before a sign is no compare: that batch norm stays a scale and shift on the vector unit', () => {
    const work = moduleWork(bnRelu('relu_sign'));
    expect(work.find((l) => l.name === 'b.dense')!.compareOnOutput).toBeUndefined();
    const e = estimate({ kind: 'module', module: bnRelu('relu_sign') }, tpu);
    expect(layer(e, 'b.batchnorm').unit).toBe('vector');
    expect(layer(e, 'b.batchnorm').actions['vector.op']).toBe(2 * 4 * 256);
  });

  it('lenet5_bn\'s binary variant: the layers on {0, 1} relus store the compare; c1, on pixels the estimate has not seen, keeps its sums', () => {
    const m = prepare('bench/networks/lenet5_bn.kiln').module;
    const [i8, binary] = uniformVariants(m, ['i8', 'binary'], [undefined]).map((v) => variantModule(m, v));
    const price = (v: Module, t = tpu) => estimate({ kind: 'module', module: v }, t);
    const [i8Tpu, binTpu, i8Cpu, binCpu] = [price(i8!), price(binary!), price(i8!, cpu), price(binary!, cpu)];
    // Read by a max pool on the vector unit, c2's compare is stored at its 1 bit.
    expect(layer(binTpu!, 'c2.conv2d').details!.output_bits).toBe(1);
    expect(layer(binTpu!, 'c2.relu').unit).toBe('none');
    expect(layer(binTpu!, 'c1.batchnorm').unit).toBe('vector');
    expect(layer(binTpu!, 'c1.relu').unit).toBe('vector');
    expect(binTpu!.summary.energy_j).toBeLessThan(i8Tpu!.summary.energy_j);
    // On the CPU the same folds: one vector op an element (32 × 16 × 10 × 10) where i8's scale and shift is two, and no relu.
    expect(layer(binCpu!, 'c2.batchnorm').actions['op.vector']).toBe(32 * 16 * 10 * 10);
    expect(layer(i8Cpu!, 'c2.batchnorm').actions['op.vector']).toBe(2 * 32 * 16 * 10 * 10);
    expect(layer(binCpu!, 'c1.batchnorm').actions['op.vector']).toBe(2 * 32 * 6 * 28 * 28);
    expect(layer(binCpu!, 'c2.relu').energy_j).toBe(0);
    // The figures docs/explore.md prints for these variants (per inference, at its rounding).
    const uJ = (r: TargetResult) => r.summary.per_inference!.energy_j * 1e6;
    expect(uJ(binTpu!).toFixed(1)).toBe('140.0');
    expect(uJ(i8Tpu!).toFixed(1)).toBe('143.8');
    expect(uJ(binCpu!).toFixed(3)).toBe('6.552');
    expect(uJ(i8Cpu!).toFixed(3)).toBe('8.401');
  });
});
