/**
 * A stand-in for `kiln convert` (being written separately) so the spiking U-Net can be mapped,
 * measured and priced end to end: bench/networks/unet_spiking.kiln takes the trained
 * examples/unet_small.kiln weights, normalized layer by layer from activation percentiles
 * (Rueckauer et al. 2017: λ = the 99.9th percentile of a layer's ReLU outputs on training images;
 * a layer's weights from input channel c scale by λ_source(c) / λ_layer, its bias by 1 / λ_layer,
 * threshold 1, reset by subtraction), then rounded to 8-bit weights per layer (Loihi's synapses).
 * A concat joins channels of two layers with different λ, hence the per-channel scale. The input
 * drives the first layer as a current (λ = 1 for pixels in [0, 1]); the output layer is a readout
 * (no lif: λ = 1, its potential averaged over the steps is the ANN's logit).
 *
 * Prints ANN and SNN pixel accuracy, IoU and Dice on the same test images; writes the spiking
 * checkpoint for `kiln estimate bench/networks/unet_spiking.kiln --checkpoint OUT --measure …`.
 * `nice -n 10 npx tsx bench/unet-snn.ts ANN.ckpt OUT.ckpt [--calibrate 64] [--test 100]`
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../compiler/driver.ts';
import type { Module } from '../compiler/ir/module.ts';
import { writeCheckpointAtomic } from '../runtime/checkpoint.ts';
import { loadData } from '../runtime/data/index.ts';
import { subset } from '../runtime/data/dataset.ts';
import { initParams, run, type Weights } from '../runtime/interpreter.ts';
import { evaluate } from '../runtime/train.ts';
import { gather, inputPlan } from '../runtime/train/batches.ts';
import { loadCheckpointInto, paramKey } from '../runtime/train/state.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, d: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : d; };
const [annCkpt, outCkpt] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!annCkpt || !outCkpt) { console.error('usage: npx tsx bench/unet-snn.ts ANN.ckpt OUT.ckpt [--calibrate 64] [--test 100]'); process.exit(2); }
const calibrate = flag('--calibrate', 64), testCount = flag('--test', 100);

const load = (file: string) => compile(file).module;
const ann = load(path.join(here, '../examples/unet_small.kiln'));
const snn = load(path.join(here, 'networks/unet_spiking.kiln'));
const annW = initParams(ann, 0);
loadCheckpointInto(annCkpt, ann, annW);
const data = loadData('mnist_masks', { train: Math.max(calibrate, 16), test: testCount });

/** The ANN relu each lif stands for: `a.lif` → `a.relu`, `a` → `a`. */
const annOf = (lif: string) => (lif.endsWith('.lif') ? lif.replace(/\.lif$/, '.relu') : lif);
const lifs = Object.values(snn.nodes).filter((n) => n.op === 'lif').map((n) => n.id);

// λ per lif layer: the 99.9th percentile of the ANN activation on the calibration images.
const samples: Record<string, number[]> = Object.fromEntries(lifs.map((id) => [id, []]));
const plan = inputPlan(ann, data.train);
for (let start = 0; start + plan.batch <= calibrate; start += plan.batch) {
  const { x } = gather(data.train, plan, undefined, start, plan.batch);
  const r = run(ann, annW, { [plan.id]: x }, { keepValues: true });
  for (const id of lifs) for (const v of r.values![annOf(id)]!.data) if (v > 0) samples[id]!.push(v);
}
const lambda: Record<string, number> = { x: 1 };
for (const id of lifs) {
  const s = samples[id]!.sort((a, b) => a - b);
  lambda[id] = s.length ? s[Math.min(s.length - 1, Math.floor(0.999 * s.length))]! : 1;
}

/** λ of every channel of a value: its population's, through pooling, upsampling and concat. */
function channelLambdas(m: Module, id: string): number[] {
  const n = m.nodes[id]!;
  if (n.op === 'lif' || n.op === 'input') return new Array<number>(n.type!.shape[1]!).fill(lambda[id]!);
  if (n.op === 'concat') return n.inputs.flatMap((i) => channelLambdas(m, i));
  return channelLambdas(m, n.inputs[0]!);
}

const snnW: Weights = initParams(snn, 0);
for (const layer of Object.values(snn.nodes).filter((n) => n.op === 'conv2d')) {
  const lif = lifs.find((id) => snn.nodes[id]!.inputs[0] === layer.id);
  const outL = lif ? lambda[lif]! : 1;
  const inL = channelLambdas(snn, layer.inputs[0]!);
  const w = annW[layer.id]!.weight!, b = annW[layer.id]!.bias!;
  const [cout, cin, kh, kw] = w.shape as [number, number, number, number];
  const out = snnW[layer.id]!.weight!.data;
  for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) for (let k = 0; k < kh * kw; k++) {
    const i = (o * cin + c) * kh * kw + k;
    out[i] = (w.data[i]! * inL[c]!) / outL;
  }
  // 8-bit weights, symmetric per layer: what a Loihi synapse stores.
  const scale = out.reduce((a, v) => Math.max(a, Math.abs(v)), 0) / 127;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(out[i]! / scale) * scale;
  snnW[layer.id]!.bias!.data.set(b.data.map((v) => v / outL));
}

const params = new Map<string, Float32Array>();
for (const [id, ps] of Object.entries(snnW)) for (const [name, t] of Object.entries(ps)) params.set(paramKey(id, name), t.data);
writeCheckpointAtomic(outCkpt, { network: snn.name, epoch: 0, seed: 0, params, optimizer: { step: 0, slots: new Map() }, extra: { converted_from: annCkpt, lambda } });

const test = subset(data.test, Array.from({ length: testCount }, (_, i) => i));
const a = evaluate(ann, annW, test);
console.error(`running the SNN (${snn.timesteps} time steps) on ${testCount} test images …`);
const t0 = performance.now();
const s = evaluate(snn, snnW, test);
const f = (e: typeof a) => `pixel accuracy ${(100 * e.accuracy).toFixed(2)}%  IoU ${e.overlap!.iou.toFixed(3)}  Dice ${e.overlap!.dice.toFixed(3)}`;
console.log(`λ (99.9th percentile): ${lifs.map((id) => `${id} ${lambda[id]!.toFixed(2)}`).join(', ')}`);
console.log(`ANN (f32)                        on ${testCount} test images: ${f(a)}`);
console.log(`SNN (8-bit, ${snn.timesteps} steps, ${((performance.now() - t0) / 1e3).toFixed(0)} s) on ${testCount} test images: ${f(s)}`);
console.log(`wrote ${outCkpt}`);
