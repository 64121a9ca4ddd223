import { describe, expect, it } from 'vitest';
import { compileText } from '../../helpers/kiln.ts';
import type { NeuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { countEvents } from '../../../targets/neuromorphic/events.ts';
import { mapNetwork, type NetworkMapping } from '../../../targets/neuromorphic/network-mapping.ts';

const cfg: NeuromorphicConfig = {
  name: 'tiny', chips: 16, chipMesh: [4, 4], coresPerChip: 8, tileMesh: [2, 2], coresPerTile: 2,
  limits: { neurons: 64, inputAxons: 512, outputAxons: 256, synapseWords: 2048 }, weightBits: 8,
  barrierS: 1e-6, staticPowerW: 0, latency: { synop: 1e-9, 'neuron.active': 1e-9, 'neuron.inactive': 1e-9, 'hop.ew': 1e-9, 'hop.ns': 1e-9 },
};
const snn = `network s(batch = 1) { timesteps 4  input x : f32[1, 2, 16, 16]  a = conv2d(x, 8, 3, pad = 1) -> lif  b = conv2d(a, 8, 3, pad = 1) -> lif  c = conv2d(b, 8, 3, stride = 2) -> lif  y = flatten(c) -> dense(10) -> lif  output y }`;
const across = (mp: NetworkMapping) => countEvents(mp, cfg).perPopulation.reduce((a, p) => ({ chips: a.chips + p.acrossChips, all: a.all + p.sameTile + p.acrossTiles + p.acrossChips }), { chips: 0, all: 0 });

describe('chips first, then cores (the mapper on a multi-chip target)', () => {
  // About 100 cores on chips of 8: seed 1 measured 519 inter-chip messages per step chips first
  // against 568 for the flat partition whose cores placement groups onto chips (seeds 1–5:
  // −12% to +4%, three of five lower; docs/neuromorphic-mapping.md has the large networks).
  it('keeps each chip group on one chip and sends fewer messages across chips than the flat partition', () => {
    const m = compileText(snn).module;
    const hier = mapNetwork(m, cfg, { defaultRate: 0.1, seed: 1 });
    const flat = mapNetwork(m, cfg, { defaultRate: 0.1, seed: 1, hierarchy: 'flat' });
    expect(flat.cores.chipGroup).toBeUndefined();
    const group = hier.cores.chipGroup!;
    expect(group).toHaveLength(hier.cores.k);
    const chipOfGroup = new Map<number, number>();
    for (let c = 0; c < hier.cores.k; c++) {
      const chip = chipOfGroup.get(group[c]!) ?? hier.placement.chip[c]!;
      chipOfGroup.set(group[c]!, chip);
      expect(hier.placement.chip[c], `core ${c}`).toBe(chip);
    }
    expect(new Set(chipOfGroup.values()).size).toBe(chipOfGroup.size);
    expect(across(hier).chips).toBeLessThan(0.95 * across(flat).chips);
  }, 60_000);

  // Seed 3: splitting over-full cores after the partition grew chip group 12 to 11 cores of a
  // chip's 8, and placement then dropped the grouping without a word (what the seed-1 network
  // did once label propagation's moves changed). Whole cores now move to chips with room.
  it('keeps every chip group within a chip\'s cores when splitting adds cores', () => {
    const mp = mapNetwork(compileText(snn).module, cfg, { defaultRate: 0.1, seed: 3 });
    expect(mp.cores.splits).toBeGreaterThan(0);
    const group = mp.cores.chipGroup!;
    const size = new Map<number, number>();
    const chipOfGroup = new Map<number, number>();
    for (let c = 0; c < mp.cores.k; c++) {
      size.set(group[c]!, (size.get(group[c]!) ?? 0) + 1);
      expect(mp.placement.chip[c], `core ${c}`).toBe(chipOfGroup.get(group[c]!) ?? chipOfGroup.set(group[c]!, mp.placement.chip[c]!).get(group[c]!));
    }
    expect(Math.max(...size.values())).toBeLessThanOrEqual(cfg.coresPerChip);
    expect(new Set(chipOfGroup.values()).size).toBe(chipOfGroup.size);
  }, 60_000);

  it('maps a one-chip network flat, without chip groups', () => {
    const m = compileText(snn.replace('16, 16', '3, 3')).module;
    expect(mapNetwork(m, cfg, { defaultRate: 0.1 }).cores.chipGroup).toBeUndefined();
  });
});
