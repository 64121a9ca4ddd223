import { describe, expect, it } from 'vitest';
import { compileText } from '../../helpers/kiln.ts';
import type { NeuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { countEvents } from '../../../targets/neuromorphic/events.ts';
import { mapHypergraphInput, mapNetwork, type NetworkMapping } from '../../../targets/neuromorphic/network-mapping.ts';
import type { Hypergraph } from '../../../targets/neuromorphic/partition/types.ts';

const cfg: NeuromorphicConfig = {
  name: 'tiny', chips: 16, chipMesh: [4, 4], coresPerChip: 8, tileMesh: [2, 2], coresPerTile: 2,
  limits: { neurons: 64, inputAxons: 512, outputAxons: 256, synapseWords: 2048 }, weightBits: 8,
  barrierS: 1e-6, staticPowerW: 0, latency: { synop: 1e-9, 'neuron.active': 1e-9, 'neuron.inactive': 1e-9, 'hop.ew': 1e-9, 'hop.ns': 1e-9 },
};
const snn = `network s(batch = 1) { timesteps 4  input x : f32[1, 2, 16, 16]  a = conv2d(x, 8, 3, pad = 1) -> lif  b = conv2d(a, 8, 3, pad = 1) -> lif  c = conv2d(b, 8, 3, stride = 2) -> lif  y = flatten(c) -> dense(10) -> lif  output y }`;
const across = (mp: NetworkMapping, c: NeuromorphicConfig) => countEvents(mp, c).perPopulation.reduce((a, p) => a + p.acrossChips, 0);

/**
 * `sources` one-neuron vertices, each sending to every one of `targets` vertices of 29 neurons.
 * The mapper packs to 80% of a 64-neuron core, so no two targets share a core and every source
 * needs one output axon per target; the estimates assume the targets pack (0.57 cores each), so
 * with 10 output axons a core and 6 targets the partition puts two sources on a core (6.8 axons
 * by the estimates), which needs 12 by the exact count: splitting is certain, whatever the seed.
 */
function fanOut(sources: number, targets: number): Hypergraph {
  const eptr = [0], pins: number[] = [];
  for (let s = 0; s < sources; s++) {
    pins.push(targets + s);
    for (let t = 0; t < targets; t++) pins.push(t);
    eptr.push(pins.length);
  }
  return { nv: targets + sources, ne: sources, eptr: Int32Array.from(eptr), pins: Int32Array.from(pins), vwgt: Float64Array.from({ length: targets + sources }, (_, v) => (v < targets ? 29 : 1)) };
}
const fanCfg = (chips: number): NeuromorphicConfig => ({
  ...cfg, chips, chipMesh: [chips, 1], coresPerChip: 4, tileMesh: [2, 2], coresPerTile: 1, limits: { ...cfg.limits, outputAxons: 10 },
});

describe('chips first, then cores (the mapper on a multi-chip target)', () => {
  // About 100 cores on 7 of 16 chips of 16 cores, seeds 1–5: 430 / 367 / 392 / 419 / 385 inter-chip
  // messages per step chips first against 435 / 426 / 415 / 507 / 469 for the flat partition whose
  // cores placement groups onto chips: −1% to −18% a seed, −11.5% in all. One seed is a coin toss
  // (on chips of 8 cores the same network gave −12% to +0.3%), so the claim is on the five.
  // docs/neuromorphic-mapping.md has the large networks (dvs_large: −5% to −18% on seeds 1–3,
  // −12.6 / −4.8 / −17.6%).
  it('keeps each chip group on one chip and sends fewer messages across chips than the flat partition', () => {
    const big = { ...cfg, coresPerChip: 16, coresPerTile: 4 };
    const m = compileText(snn).module;
    let hierAcross = 0, flatAcross = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const hier = mapNetwork(m, big, { defaultRate: 0.1, seed });
      const flat = mapNetwork(m, big, { defaultRate: 0.1, seed, hierarchy: 'flat' });
      expect(flat.cores.chipGroup).toBeUndefined();
      const group = hier.cores.chipGroup!;
      expect(group).toHaveLength(hier.cores.k);
      expect(new Set(hier.placement.chip).size).toBeGreaterThan(1);
      const chipOfGroup = new Map<number, number>();
      for (let c = 0; c < hier.cores.k; c++) {
        const chip = chipOfGroup.get(group[c]!) ?? hier.placement.chip[c]!;
        chipOfGroup.set(group[c]!, chip);
        expect(hier.placement.chip[c], `core ${c}`).toBe(chip);
      }
      expect(new Set(chipOfGroup.values()).size).toBe(chipOfGroup.size);
      hierAcross += across(hier, big);
      flatAcross += across(flat, big);
    }
    expect(hierAcross).toBeLessThan(0.95 * flatAcross);
  }, 60_000);

  // fanOut(20, 6) is partitioned into 10 cores on 3 chips of 4 and needs 20 after splitting (a
  // core holds at most one source), more than 3 chips hold: groups must grow past a chip. Whole
  // cores then move to chips with room (placement used to drop the grouping without a word).
  it('keeps every chip group within a chip\'s cores when splitting adds cores', () => {
    for (const seed of [1, 2]) {
      const progress: string[] = [];
      const mp = mapHypergraphInput(fanOut(20, 6), fanCfg(16), { seed, progress: (s) => progress.push(s) });
      const chipsFirst = /into (\d+) cores on (\d+) chips, chips first/.exec(progress.find((s) => s.startsWith('partitioning'))!)!;
      expect(mp.cores.splits).toBeGreaterThan(0);
      expect(mp.cores.k).toBeGreaterThanOrEqual(20);
      expect(mp.cores.k).toBeGreaterThan(Number(chipsFirst[2]) * 4);
      const group = mp.cores.chipGroup!;
      const size = new Map<number, number>();
      const chipOfGroup = new Map<number, number>();
      for (let c = 0; c < mp.cores.k; c++) {
        size.set(group[c]!, (size.get(group[c]!) ?? 0) + 1);
        expect(mp.placement.chip[c], `core ${c}`).toBe(chipOfGroup.get(group[c]!) ?? chipOfGroup.set(group[c]!, mp.placement.chip[c]!).get(group[c]!));
      }
      expect(Math.max(...size.values())).toBeLessThanOrEqual(4);
      expect(new Set(chipOfGroup.values()).size).toBe(chipOfGroup.size);
    }
  }, 60_000);

  // On 4 chips of 4 the partition's 10 cores fit the 16, and splitting makes the 20 that fanOut
  // needs at least. The cores after splitting are checked once, against what the chips hold, with
  // the same message as the check before partitioning.
  it('refuses more cores after splitting than the chips hold, once, in the mapper\'s words', () => {
    const progress: string[] = [];
    expect(() => mapHypergraphInput(fanOut(20, 6), fanCfg(4), { seed: 1, progress: (s) => progress.push(s) }))
      .toThrowError('the network needs at least 20 cores, more than the 16 cores of `tiny`');
    expect(progress.filter((s) => s.startsWith('partitioning'))).toHaveLength(1);
    expect(progress.some((s) => s.startsWith('splitting'))).toBe(true);
  }, 60_000);

  it('maps a one-chip network flat, without chip groups', () => {
    const m = compileText(snn.replace('16, 16', '3, 3')).module;
    expect(mapNetwork(m, cfg, { defaultRate: 0.1 }).cores.chipGroup).toBeUndefined();
  });
});
