import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { runGpmetis } from '../../../../targets/neuromorphic/partition/gpmetis.ts';
import { describeWithGpmetis } from '../../../helpers/gpmetis.ts';
import { readMetisGraphFile } from '../../../../targets/neuromorphic/partition/metis-format.ts';
import { graphEdgeCut, scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import { BENCH_SNNS, generateSnn } from '../../../../targets/neuromorphic/partition/snn-generator.ts';
import { synapseGraphOf } from '../../../../targets/neuromorphic/partition/synapse-graph.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function hypergraph(nv: number, nets: number[][], w: number[]): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: Float64Array.from(w) };
}

describe('scorePartition', () => {
  // Worked by hand: net 0 (source 0, weight 2) reaches parts 0, 1, 2 → 2 messages of weight 2,
  // one of them (to part 2) on the other chip; net 2 (source 1, weight 1) reaches part 3 on chip 1.
  const h = hypergraph(6, [[0, 1, 2, 3], [4, 5], [1, 4]], [2, 3, 1]);
  const parts = Int32Array.of(0, 0, 1, 2, 3, 3);

  it('counts messages to other cores, inter-chip messages and the synapse cut', () => {
    const s = scorePartition({ hypergraph: h, graph: synapseGraphOf(h) }, parts, { k: 4, coresPerChip: 2 });
    expect(s.spikeMessages).toBe(2 * 2 + 1);
    expect(s.interChipMessages).toBe(2 * 1 + 1);
    expect(s.chipConnectivity).toBe(2 + 1);
    expect(s.synapseCut).toBe(2 * 2 + 1);
    expect(s.edgeCut).toBe(5);
    expect(s.chips).toBe(2);
    expect(Array.from(s.partWeights)).toEqual([2, 1, 1, 2]);
    expect(s.imbalance).toBe(0);
    expect(s.emptyParts).toBe(0);
  });

  it('attributes each net\'s messages to its source\'s part, host messages to none', () => {
    // Net 0 (source 0, weight 2) leaves part 0 for parts 1 and 2; net 2 (source 1, now in part 2)
    // reaches part 3; net 1 is the host's (sourceless): it counts in spikeMessages, in no part.
    const hs: Hypergraph = { ...h, sourceless: Uint8Array.of(0, 1, 0) };
    const s = scorePartition({ hypergraph: hs }, Int32Array.of(0, 2, 1, 2, 3, 3), { k: 4 });
    expect(Array.from(s.sentMessages!)).toEqual([2 * 2, 0, 1, 0]);
    expect(s.hostMessages).toBe(3);
    expect(s.sentMessages!.reduce((a, b) => a + b, 0)).toBe(s.spikeMessages! - s.hostMessages!);
    expect(scorePartition({ graph: synapseGraphOf(h) }, parts, { k: 4 }).sentMessages).toBeUndefined();
  });

  it('takes an explicit chip map', () => {
    const s = scorePartition({ hypergraph: h }, parts, { k: 4, chipOf: Int32Array.of(0, 1, 1, 1) });
    // net 0: parts 1 and 2 are both off chip 0; net 2: part 3 is off chip 0.
    expect(s.interChipMessages).toBe(2 * 2 + 1);
    expect(s.edgeCut).toBeUndefined();
  });

  it('reports imbalance against ceil(total / k) and empty parts', () => {
    const s = scorePartition({ hypergraph: h }, Int32Array.of(0, 0, 0, 0, 1, 1), { k: 3 });
    expect(s.maxPartWeight).toBe(4);
    expect(s.imbalance).toBeCloseTo(4 / 2 - 1);
    expect(s.emptyParts).toBe(1);
  });

  it('rejects partitions that do not fit the graph', () => {
    expect(() => scorePartition({ hypergraph: h }, Int32Array.of(0, 1), {})).toThrow(KilnError);
    expect(() => scorePartition({ hypergraph: h }, Int32Array.of(0, 0, 0, 0, 0, 5), { k: 4 })).toThrow(/not below k = 4/);
  });
});

describeWithGpmetis('edge cut agrees with gpmetis (METIS 5.1) on its own partitions', () => {
  it('on the METIS manual graph', () => {
    const g = readMetisGraphFile(path.join(fixtures, 'manual-weighted.graph'));
    for (const k of [2, 3]) {
      const r = runGpmetis(g, k, { seed: 3 });
      expect(graphEdgeCut(g, r.parts)).toBe(r.edgecut);
    }
  });

  it('on a generated spiking network, where every edge weighs its source rate', () => {
    const net = generateSnn(BENCH_SNNS[0]!);
    for (const k of [8, 64]) {
      const r = runGpmetis(net.graph, k, { seed: 1 });
      const s = scorePartition({ graph: net.graph, hypergraph: net.hypergraph }, r.parts, { k });
      expect(s.edgeCut).toBe(r.edgecut);
      // The hypergraph's source-first nets give the same cut from the other view.
      expect(s.synapseCut).toBe(r.edgecut);
    }
  });
});
