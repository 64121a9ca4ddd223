import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { packCores } from '../../../../targets/neuromorphic/partition/flat-pack.ts';
import { chipSubHypergraph, partitionHierarchical } from '../../../../targets/neuromorphic/partition/hierarchy.ts';
import { kahyparMissing } from '../../../../targets/neuromorphic/partition/kahypar.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import { BENCH_SNNS, generateSnn } from '../../../../targets/neuromorphic/partition/snn-generator.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

function hypergraph(nv: number, nets: number[][], w: number[]): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: Float64Array.from(w) };
}

/**
 * Two groups G = {g1, g2, g3} (vertices 0–2) and H = {h1, h2, h3} (3–5), each a net from its
 * first vertex to the other two (weight 10), a synapse g3 → h3 (weight 6), and x, y (6, 7) fed
 * by g1 and h1 (weight 1 each). Cores hold 2 vertices, chips 2 cores. Each group spans two cores
 * (10 messages each) only if g3 and h3 share a core; the unique message-optimal flat partition is
 * {g1 g2} {g3 h3} {h1 h2} {x y}, 22 messages, and whichever chip takes the core {g3 h3} leaves
 * the other group's net crossing chips: 10 + 1 = 11 inter-chip messages at best. Chips first
 * keeps each group on one chip ({G x} {H y}) and cuts only the synapse: 6 inter-chip messages,
 * 26 in all (10 per group inside its chip, x joining g1 or sitting alone).
 */
const twoGroups = hypergraph(8, [[0, 1, 2], [3, 4, 5], [2, 5], [0, 6], [3, 7]], [10, 10, 6, 1, 1]);

describe('hierarchical mapping (chips, then cores)', () => {
  it('sends fewer messages across chips than the message-optimal flat partition, packed, on a hand-checked case', () => {
    const flatParts = Int32Array.from([0, 0, 1, 2, 2, 1, 3, 3]);
    const chipOf = packCores(twoGroups, flatParts, 4, 2);
    const flat = scorePartition({ hypergraph: twoGroups }, flatParts, { k: 4, chipOf });
    const r = partitionHierarchical(twoGroups, { k: 4, coresPerChip: 2, epsilon: 0 });
    const hier = scorePartition({ hypergraph: twoGroups }, r.parts, { k: 4, chipOf: r.chipOf });
    expect([flat.spikeMessages, flat.interChipMessages]).toEqual([22, 11]);
    expect([hier.spikeMessages, hier.interChipMessages]).toEqual([26, 6]);
    expect(hier.maxPartWeight).toBe(2);
    // Chips hold the cores c·coresPerChip … (c+1)·coresPerChip − 1.
    expect(Array.from(r.chipOf)).toEqual([0, 0, 1, 1]);
  });

  it('turns nets from another chip into sourceless nets of the chip, so messages add up over chips', () => {
    const chipOf = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const sub = chipSubHypergraph(twoGroups, chipOf, 1, Int32Array.from([4, 5, 6, 7]), 3);
    // Chip 1 holds h2, h3, x, y (local 0–3), chip 0 every source. Net H keeps h2 and h3 and
    // becomes sourceless, weight 10 × 3; the one-pin synapses g3 → h3, g1 → x and h1 → y stay
    // (each costs one message whatever the cores).
    expect(Array.from(sub.pins)).toEqual([0, 1, 1, 2, 3]);
    expect(Array.from(sub.sourceless!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(sub.ewgt!)).toEqual([30, 18, 3, 3]);
    const net = generateSnn(BENCH_SNNS[0]!);
    const h = net.hypergraph;
    const r = partitionHierarchical(h, { k: 16, coresPerChip: 4, interChipWeight: 1 });
    const whole = scorePartition({ hypergraph: h }, r.parts, { k: 16, chipOf: r.chipOf });
    const byChip = new Int32Array(h.nv).map((_, v) => r.chipOf[r.parts[v]!]!);
    let sum = 0;
    for (let c = 0; c < r.chips; c++) {
      const vs = Int32Array.from({ length: h.nv }, (_, v) => v).filter((v) => byChip[v] === c);
      const s = chipSubHypergraph(h, byChip, c, vs);
      sum += scorePartition({ hypergraph: s }, r.parts.filter((_, v) => byChip[v] === c).map((p) => p - c * 4), { k: 4 }).spikeMessages!;
    }
    expect(sum).toBe(whole.spikeMessages);
    expect(whole.imbalance).toBeLessThanOrEqual(0.03 + 1e-9);
    expect(partitionHierarchical(h, { k: 16, coresPerChip: 4, interChipWeight: 1 }).parts).toEqual(r.parts);
  });

  it('rejects bad options with a KilnError naming the option', () => {
    expect(() => partitionHierarchical(twoGroups, { k: 9, coresPerChip: 2 })).toThrow(KilnError);
    expect(() => partitionHierarchical(twoGroups, { k: 4, coresPerChip: 0 })).toThrow(/coresPerChip/);
  });
});

describe('V-cycles', () => {
  const net = generateSnn(BENCH_SNNS[1]!);
  const h = net.hypergraph;
  it('never end worse than without them, keep balance within ε, and are deterministic by seed', () => {
    const one = partitionHypergraph(h, { k: 8, seed: 3 }, { main: { vcycles: 0 } });
    const full = partitionHypergraph(h, { k: 8, seed: 3 });
    const s = scorePartition({ hypergraph: h }, full.parts, { k: 8 });
    expect(full.objective).toBe(s.spikeMessages);
    expect(full.objective).toBeLessThanOrEqual(one.objective);
    expect(s.imbalance).toBeLessThanOrEqual(0.03 + 1e-9);
    expect(partitionHypergraph(h, { k: 8, seed: 3 }).parts).toEqual(full.parts);
  });
});

describe('KaHyPar runner', () => {
  it('says why KaHyPar cannot run instead of failing', () => {
    expect(kahyparMissing({ binary: '/nonexistent/KaHyPar', preset: 'x.ini' })).toMatch(/not installed.*KAHYPAR/);
    expect(kahyparMissing({ binary: 'node', preset: '/nonexistent/km1.ini' })).toMatch(/KAHYPAR_PRESET/);
  });
});
