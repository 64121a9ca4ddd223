/**
 * Mapping spiking networks onto cores: every per-core limit holds on every core, counted again
 * neuron by neuron from the synapse maps (not from the blocks and merged nets the mapper works
 * with), on random networks and limits and on every spiking example on both Loihi presets.
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { neuromorphicConfig, type NeuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { coreUse, LIMIT_NAMES } from '../../../targets/neuromorphic/core-use.ts';
import { mapNetwork, type NetworkMapping } from '../../../targets/neuromorphic/network-mapping.ts';
import { blockOf } from '../../../targets/neuromorphic/neuron-graph.ts';
import { projectionMaps } from '../../../targets/neuromorphic/synapse-maps.ts';
import { spikingGraph } from '../../../targets/neuromorphic/populations.ts';
import { buildMapping } from '../../../targets/neuromorphic/mapping-artifact.ts';
import { countEvents } from '../../../targets/neuromorphic/events.ts';
import { presets } from '../../../targets/resolve.ts';
import { compileText } from '../../helpers/kiln.ts';
import { examplesDir } from '../../helpers/paths.ts';

/** The network as single neurons: one net per presynaptic neuron, targets from the synapse maps. */
function neuronLevel(m: Module, mp: NetworkMapping) {
  const sg = spikingGraph(m);
  const pops = mp.graph.populations;
  const base = new Map<string, number>();
  let nv = 0;
  for (const p of pops) if (!p.source) { base.set(p.name, nv); nv += p.neurons; }
  const parts = new Int32Array(nv);
  for (const p of pops) if (!p.source) for (let i = 0; i < p.neurons; i++) parts[base.get(p.name)! + i] = mp.cores.parts[p.offset + blockOf(p, i)]!;
  const eptr = [0], pins: number[] = [], sourceless: number[] = [];
  let synapses = 0;
  for (const p of pops) {
    const out = sg.projections.filter((q) => q.from === p.name).map((q) => ({ to: base.get(q.to)!, maps: projectionMaps(m, q) }));
    if (out.length === 0) continue;
    for (let u = 0; u < p.neurons; u++) {
      const targets = new Set<number>();
      for (const o of out) {
        let cur = [u];
        for (const map of o.maps) { const next: number[] = []; for (const i of cur) map(i, next); cur = [...new Set(next)]; }
        for (const t of cur) targets.add(o.to + t);
      }
      if (targets.size === 0) continue;
      if (!p.source) pins.push(base.get(p.name)! + u);
      pins.push(...targets);
      synapses += targets.size;
      eptr.push(pins.length);
      sourceless.push(p.source ? 1 : 0);
    }
  }
  const h = { nv, ne: eptr.length - 1, eptr: Int32Array.from(eptr), pins: Int32Array.from(pins), sourceless: Uint8Array.from(sourceless) };
  return { h, parts, synapses };
}

const RATE = 0.1;

function checkMapping(m: Module, mp: NetworkMapping, cfg: NeuromorphicConfig): void {
  const ref = neuronLevel(m, mp);
  expect(mp.graph.synapses).toBe(ref.synapses);
  const use = coreUse(ref.h, ref.parts, mp.cores.k, cfg.weightBits);
  for (const n of LIMIT_NAMES) {
    // The mapper's own count equals the neuron-level one, and no core is over.
    expect(Array.from(mp.cores.use[n]), n).toEqual(Array.from(use[n]));
    for (let c = 0; c < mp.cores.k; c++) expect(use[n][c], `${n} of core ${c}`).toBeLessThanOrEqual(mp.limits[n]);
  }
  // Every core holds something; cores fit their chip and tile.
  for (let c = 0; c < mp.cores.k; c++) expect(use.neurons[c]).toBeGreaterThan(0);
  const perTile = new Map<string, number>(), perChip = new Map<number, number>();
  for (let c = 0; c < mp.cores.k; c++) {
    const chip = mp.placement.chip[c]!, tile = mp.placement.tile[c]!;
    expect(chip).toBeLessThan(cfg.chipMesh[0] * cfg.chipMesh[1]);
    expect(tile).toBeLessThan(cfg.tileMesh[0] * cfg.tileMesh[1]);
    perTile.set(`${chip}.${tile}`, (perTile.get(`${chip}.${tile}`) ?? 0) + 1);
    perChip.set(chip, (perChip.get(chip) ?? 0) + 1);
  }
  for (const n of perTile.values()) expect(n).toBeLessThanOrEqual(cfg.coresPerTile);
  for (const n of perChip.values()) expect(n).toBeLessThanOrEqual(cfg.coresPerChip);
  // Messages and synaptic operations, recounted per neuron (every rate is RATE): one message per
  // spike per destination core other than the sender's; host spikes reach every core they target.
  const ev = countEvents(mp, cfg);
  let messages = 0, local = 0, synops = 0;
  for (let e = 0; e < ref.h.ne; e++) {
    const first = ref.h.eptr[e]! + (ref.h.sourceless[e] ? 0 : 1);
    const src = ref.h.sourceless[e] ? -1 : ref.parts[ref.h.pins[ref.h.eptr[e]!]!]!;
    const dest = new Set<number>();
    for (let i = first; i < ref.h.eptr[e + 1]!; i++) dest.add(ref.parts[ref.h.pins[i]!]!);
    synops += RATE * (ref.h.eptr[e + 1]! - first);
    if (dest.has(src)) local += RATE;
    messages += RATE * (dest.size - (dest.has(src) ? 1 : 0));
  }
  const sum = (f: (p: (typeof ev.perPopulation)[number]) => number) => ev.perPopulation.reduce((a, p) => a + f(p), 0);
  expect(sum((p) => p.sameTile + p.acrossTiles + p.acrossChips)).toBeCloseTo(messages, 6);
  expect(sum((p) => p.withinCore)).toBeCloseTo(local, 6);
  expect(sum((p) => p.synops)).toBeCloseTo(synops, 6);
  // The artifact's ranges cover every neuron of every layer exactly once, at distinct addresses.
  const art = buildMapping(mp, countEvents(mp, cfg), cfg, { source: 't.kiln' });
  expect(new Set(art.cores.map((c) => c.address)).size).toBe(art.cores.length);
  for (const p of mp.graph.populations.filter((q) => !q.source)) {
    const seen = new Uint8Array(p.neurons);
    for (const c of art.cores) for (const r of c.ranges) if (r.layer === p.name) for (let i = r.from; i < r.to; i++) seen[i]!++;
    expect(seen.every((x) => x === 1), `${p.name} covered once`).toBe(true);
  }
}

const smallChip = (limits: NeuromorphicConfig['limits']): NeuromorphicConfig => ({
  name: 'tiny', chips: 64, chipMesh: [8, 8], coresPerChip: 16, tileMesh: [2, 2], coresPerTile: 4, limits, weightBits: 8,
  barrierS: 1e-6, staticPowerW: 0, latency: { synop: 1e-9, 'neuron.active': 1e-9, 'neuron.inactive': 1e-9, 'hop.ew': 1e-9, 'hop.ns': 1e-9 },
});

const layerArb = fc.record({
  filters: fc.integer({ min: 2, max: 8 }), kernel: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), pool: fc.boolean(),
});

describe('every core within every limit', () => {
  it('random convolutional spiking networks under random per-core limits (fast-check)', () => {
    let runs = 0, mapped = 0;
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 6, max: 12 }), fc.array(layerArb, { minLength: 1, maxLength: 2 }), fc.integer({ min: 2, max: 12 }),
      fc.record({ neurons: fc.integer({ min: 16, max: 256 }), inputAxons: fc.integer({ min: 64, max: 512 }), outputAxons: fc.integer({ min: 64, max: 512 }), synapseWords: fc.integer({ min: 256, max: 4096 }) }),
      fc.integer({ min: 1, max: 1000 }),
      (channels, size, layers, units, limits, seed) => {
        runs++;
        let cur = 'x', h = size, body = '';
        layers.forEach((l, i) => {
          const k = Math.min(l.kernel, h + 2 * l.pad);
          body += `  c${i} = conv2d(${cur}, ${l.filters}, ${k}, stride = ${l.stride}, pad = ${l.pad}) -> lif\n`;
          h = Math.floor((h + 2 * l.pad - k) / l.stride) + 1;
          cur = `c${i}`;
          if (l.pool && h >= 2) { body += `  p${i} = maxpool2d(${cur}, 2)\n`; cur = `p${i}`; h = Math.floor(h / 2); }
        });
        const src = `network r(batch = 1) { timesteps 2  input x : f32[1, ${channels}, ${size}, ${size}]\n${body}  y = flatten(${cur}) -> dense(${units}) -> lif\n  output y }`;
        const m = compileText(src).module;
        const cfg = smallChip(limits);
        let mp: NetworkMapping;
        try {
          mp = mapNetwork(m, cfg, { defaultRate: RATE, seed, strategy: seed % 3 === 0 ? 'greedy' : 'partition' });
        } catch (e) {
          // Acceptable refusals: one block over a limit (naming the layer), or more cores than the board has.
          expect(e).toBeInstanceOf(KilnError);
          expect((e as KilnError).diagnostics[0]!.message).toMatch(/needs [\d,]+ (input axons|words of synapse memory|output axons) on one core|needs at least [\d,]+ cores, more than the 1,024 cores/);
          return;
        }
        checkMapping(m, mp, cfg);
        mapped++;
      },
    ), { numRuns: 25, seed: 20261123 });
    // Most random cases must map (the refusals are the exception, not what the property tests).
    expect(mapped).toBeGreaterThanOrEqual(runs / 2);
  }, 120_000);

  // The hand-written spiking U-Net (concat, upsample2d, skip connections), shrunk to 8×8.
  for (const [file, override] of [['spiking_cnn.kiln', { batch: 1 }], ['../bench/networks/unet_spiking.kiln', { size: 8, c: 2 }]] as const) {
    for (const target of ['loihi_1chip', 'loihi_32chip']) {
      it(`${file} on ${target}`, () => {
        const m = compile(path.join(examplesDir, file), { overrides: new Map(Object.entries(override)) }).module;
        const { config } = neuromorphicConfig(presets().get(target)!);
        checkMapping(m, mapNetwork(m, config, { defaultRate: RATE }), config);
      }, 60_000);
    }
  }
});

describe('the mapper follows its inputs', () => {
  const snn = `network s(batch = 1) { timesteps 4  input x : f32[1, 2, 12, 12]  a = conv2d(x, 8, 3, pad = 1) -> lif  b = conv2d(a, 8, 3, stride = 2) -> lif  y = flatten(b) -> dense(10) -> lif  output y }`;
  const cfg = smallChip({ neurons: 128, inputAxons: 256, outputAxons: 256, synapseWords: 2048 });

  it('the same seed gives the same mapping, with at least the cores its neurons need', () => {
    const a = mapNetwork(compileText(snn).module, cfg, { defaultRate: 0.1, seed: 3 });
    const b = mapNetwork(compileText(snn).module, cfg, { defaultRate: 0.1, seed: 3 });
    expect(Array.from(a.cores.parts)).toEqual(Array.from(b.cores.parts));
    expect(Array.from(a.placement.chip)).toEqual(Array.from(b.placement.chip));
    // At least as many cores as the total neurons need.
    expect(a.cores.k).toBeGreaterThanOrEqual(Math.ceil((1152 + 200 + 10) / 128));
  });

  it('tighter limits take more cores', () => {
    const loose = mapNetwork(compileText(snn).module, cfg, { defaultRate: 0.1 });
    const tight = mapNetwork(compileText(snn).module, smallChip({ ...cfg.limits, synapseWords: 512 }), { defaultRate: 0.1 });
    expect(tight.cores.k).toBeGreaterThan(loose.cores.k);
  });

  it('on spiking_cnn the partitioner needs fewer cores and sends fewer messages than the layer-order fill (nengo-loihi Greedy)', () => {
    const m = compile(path.join(examplesDir, 'spiking_cnn.kiln'), { overrides: new Map([['batch', 1]]) }).module;
    const { config } = neuromorphicConfig(presets().get('loihi_32chip')!);
    const across = (mp: NetworkMapping) => countEvents(mp, config).perPopulation.reduce((a, p) => a + p.sameTile + p.acrossTiles + p.acrossChips, 0);
    const part = mapNetwork(m, config, { defaultRate: RATE });
    const greedy = mapNetwork(m, config, { defaultRate: RATE, strategy: 'greedy' });
    checkMapping(m, greedy, config);
    expect(part.cores.k).toBeLessThan(greedy.cores.k);
    expect(across(part)).toBeLessThan(across(greedy));
  }, 60_000);

  it('a neuron whose spikes reach more cores than it has output axons is an error naming its layer', () => {
    const wide = compileText('network w { timesteps 2  input x : f32[1, 4]  a = dense(x, 4) -> lif  b = dense(a, 300) -> lif  output b }').module;
    const few = smallChip({ neurons: 2, inputAxons: 64, outputAxons: 64, synapseWords: 4096 });
    expect(() => mapNetwork(wide, few, { defaultRate: RATE })).toThrowError(/`a\.dense` needs 150 output axons on one core: its neurons' targets fill at least that many cores of 2 neurons; the limit is 64/);
  });

  it('a rates file naming no population is an error with a suggestion', () => {
    expect(() => mapNetwork(compileText(snn).module, cfg, { rates: { bb: 0.1 } })).toThrowError(/names `bb`, which is not a population.*did you mean `b`/);
  });
});
