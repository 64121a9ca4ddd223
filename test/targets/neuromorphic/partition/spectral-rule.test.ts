import { describe, expect, it } from 'vitest';
import { engineConfig, partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import { unet } from './unet.ts';
import { smallSnn } from './small-snns.ts';

describe('the spectral rule (layer hint, k < 64)', () => {
  // One U-Net at 20 × 20 pixels for the tests below (a compile and a neuron graph each otherwise).
  const h = unet(20);
  const rule = engineConfig('default', false, 8, h.nv, h.pins.length / h.nv, true).main.spectral!;
  const parts = (tuning: Parameters<typeof partitionHypergraph>[2]) => Array.from(partitionHypergraph(h, { k: 8, seed: 1 }, tuning).parts);

  it('is set only for hinted hypergraphs in balance mode at default effort, below k = 64', () => {
    const spectral = (...a: Parameters<typeof engineConfig>) => engineConfig(...a).main.spectral;
    expect(spectral('default', false, 8, 21_168, 59, true)?.bisect.spectral).toBeDefined();
    // The rule's bisections are the others' but for the tries they give up for the candidates,
    // kept for where the Lanczos basis is over its memory bound.
    const { main, rb } = engineConfig('default', false, 8, 21_168, 59, true);
    expect(main.spectral!.bisect).toEqual({ tries: 0, spectral: main.spectral!.bisect.spectral });
    expect(rb.bisect.tries).toBe(8);
    expect(spectral('default', false, 8, 21_168, 59, false)).toBeUndefined();
    expect(spectral('default', false, 64, 21_168, 59, true)).toBeUndefined();
    expect(spectral('strong', false, 8, 21_168, 59, true)).toBeUndefined();
    expect(spectral('default', true, 8, 21_168, 59, true)).toBeUndefined();
    // Capacity mode (the mapper) passes no pin count.
    expect(spectral('default', false, 8, 21_168, Infinity, true)).toBeUndefined();
  });

  // The U-Net at 20 × 20 pixels (10,800 neurons), k = 8: the first hierarchy has a clustered
  // level, so the bisections take the spectral candidate. Measured when the rule was added:
  // seeds 1–3 sent 5,868 / 5,484 / 5,612 messages with it, 5,836 / 5,721 / 6,074 without (seeds
  // 1–6: 34,614 against 35,540 in all; docs/partitioning.md, "Eleventh pass").
  it('on the hinted U-Net, k = 8, gives valid partitions that send fewer messages over three seeds than without it', () => {
    let withRule = 0;
    let off = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const r = partitionHypergraph(h, { k: 8, seed });
      const s = scorePartition({ hypergraph: h }, r.parts, { k: 8 });
      expect(s.emptyParts).toBe(0);
      expect(s.imbalance).toBeLessThanOrEqual(0.03);
      expect(r.objective).toBe(s.spikeMessages);
      withRule += r.objective;
      off += partitionHypergraph(h, { k: 8, seed }, { main: { spectral: undefined } }).objective;
    }
    expect(withRule).toBeLessThan(off);
  });

  // The spectral rule brings its own initial partitions and V-cycles; a caller's own count of
  // either replaces the rule's, and the rule's spectral bisections stay.
  it('takes a caller\'s own initial partitions and V-cycles, keeping its candidates', () => {
    const one = parts({ main: { initialRuns: 1 } });
    expect(one).toEqual(parts({ main: { initialRuns: 1, spectral: { ...rule, initialRuns: 1 } } }));
    expect(one).not.toEqual(parts({ main: { initialRuns: 1, spectral: undefined } }));
    const none = parts({ main: { vcycles: 0 } });
    expect(none).toEqual(parts({ main: { vcycles: 0, spectral: { ...rule, vcycles: 0 } } }));
    // The rule applies here, and its own V-cycle changes the partition.
    expect(none).not.toEqual(parts({ main: { vcycles: 0, spectral: rule } }));
  });

  // The rule sets only how its bisections start (candidates instead of tries, and one FM pass
  // on each, at most the bisections' own passes); the rest of their settings are the bisections'
  // own, so a tuning of those reaches them.
  it('lets a tuning of the bisections\' FM reach its spectral bisections', () => {
    const { rb } = engineConfig('default', false, 8, h.nv, h.pins.length / h.nv, true);
    const short = { rb: { bisect: { ...rb.bisect, fm: { ...rb.bisect.fm, maxFruitless: 5 } } } };
    expect(parts(short)).not.toEqual(parts({}));
    // Passes bound the candidates' one: none at all changes the partition, more leave it alone.
    const passes = (n: number) => ({ rb: { bisect: { ...rb.bisect, fm: { ...rb.bisect.fm, passes: n } } } });
    expect(parts(passes(0))).not.toEqual(parts({}));
    expect(parts({ rb: { bisect: rb.bisect } })).toEqual(parts({}));
  });

  // The candidates get one FM pass before the better is kept, the kept one four more as its level
  // is refined (U-Net, k = 8, seeds 1–96: 9,234.2 mean messages against 9,240.5 with four, in
  // 0.93–0.95× the CPU time; docs/partitioning.md, "Twelfth pass").
  it('refines its candidates with one FM pass, and that reaches the partition', () => {
    expect(rule.bisect.spectral?.fmPasses).toBe(1);
    const four = { ...rule, bisect: { ...rule.bisect, spectral: { ...rule.bisect.spectral!, fmPasses: undefined } } };
    expect(parts({ main: { spectral: four } })).not.toEqual(parts({}));
  });

  // The combine's refinement from the input is the rule's too: FM on the finest level above the
  // input only, 8 fruitless moves (U-Net, k = 8, seeds 1–24: 1.0123× KaHyPar's mean messages
  // against 1.0143× with FM on every level, for less time; docs/partitioning.md, "Eleventh pass, speed").
  it('refines its combination with the one-level FM, and that reaches the partition', () => {
    expect(rule.combineFruitless).toBe(8);
    expect(parts({})).not.toEqual(parts({ main: { spectral: { ...rule, combineFruitless: undefined } } }));
    // It reaches the combine only: with no combine, the setting changes nothing (the V-cycle keeps its FM).
    const alone = parts({ main: { combine: undefined } });
    expect(alone).toEqual(parts({ main: { combine: undefined, spectral: { ...rule, combineFruitless: undefined } } }));
    // And the V-cycles' stop does not reach it: without a V-cycle, a stop of theirs changes nothing.
    const noStop = { ...rule, combineFruitless: undefined, vcycles: 0 };
    expect(parts({ main: { spectral: noStop, vcycleFruitless: 5 } })).toEqual(parts({ main: { spectral: noStop } }));
  });

  // Where the first hierarchy stops at the twin level the bisections run in communities
  // (`unclustered`), and the spectral settings do not reach them.
  it('leaves the partition alone where the bisections run in communities', () => {
    const net = smallSnn();
    const layered = { ...net.hypergraph, layer: Int32Array.from({ length: net.hypergraph.nv }, (_, v) => (v < 1152 ? 0 : v < 1440 ? 1 : 2)) };
    const partsOf = (tuning: Parameters<typeof partitionHypergraph>[2]) => Array.from(partitionHypergraph(layered, { k: 32, seed: 1 }, tuning).parts);
    expect(engineConfig('default', false, 32, layered.nv, layered.pins.length / layered.nv, true).main.spectral).toBeDefined();
    expect(partsOf(undefined)).toEqual(partsOf({ main: { spectral: undefined } }));
  });
});
