/**
 * `kiln partition`: a .kiln spiking network onto a neuromorphic target (summary, mapping JSON,
 * SVG, sweep), METIS and hMETIS inputs (plain K-way partitions written like gpmetis's, and
 * hMETIS onto a target), and every way the command can be misused.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCH_SNNS, formatHmetis, formatMetisGraph, generateSnn, graphEdgeCut, parsePartition, scorePartition } from '../../targets/neuromorphic/partition/index.ts';
import { MAPPING_FORMAT, parseAddress, type Mapping } from '../../targets/neuromorphic/mapping.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { runPartition } from '../../cli/commands/partition.ts';
import { examplesDir, presetsDir } from '../helpers/paths.ts';

afterAll(removeTempFiles);

const snnPath = path.join(examplesDir, 'spiking_cnn.kiln');
const net = generateSnn(BENCH_SNNS[0]!);

/** A folder with w.kiln: Loihi chips whose cores hold 64 neurons, and a 9,216-neuron network that needs several of them. */
function smallCoresDir(): string {
  const dir = tempFiles({});
  writeFileSync(path.join(dir, 'w.kiln'), `import "${path.relative(dir, path.join(presetsDir, 'loihi-32chip.kiln'))}"
target small_cores extends loihi_32chip {
  limit neurons 64
}
network w { timesteps 4  input x : f32[1, 2, 24, 24]  a = conv2d(x, 8, 3, pad = 1) -> lif  b = conv2d(a, 8, 3, pad = 1) -> lif  output b }
`);
  return dir;
}

describe('kiln partition on a .kiln network', () => {
  it('maps spiking_cnn onto loihi_1chip: summary JSON, mapping artifact and SVG', () => {
    const dir = tempFiles({});
    const out = path.join(dir, 'map.json'), svg = path.join(dir, 'map.svg');
    const r = runMain(['partition', snnPath, '--target', 'loihi_1chip', '--rate', '0.05', '--json', '--out', out, '--svg', svg]);
    expect(r.err).not.toMatch(STACK_TRACE);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { summary: { cores_used: number; chips_used: number; neurons: number; utilization: Record<string, { max: number }>; energy_j: { per_inference: number }; latency_s: { per_inference: number }; messages_per_timestep: Record<string, number> } };
    const s = doc.summary;
    expect(s.chips_used).toBe(1);
    expect(s.neurons).toBe(6912 + 2048 + 10);
    for (const u of Object.values(s.utilization)) expect(u.max).toBeLessThanOrEqual(1);
    expect(s.energy_j.per_inference).toBeGreaterThan(0);
    expect(s.latency_s.per_inference).toBeGreaterThanOrEqual(10 * 465e-9);
    const m = JSON.parse(readFileSync(out, 'utf8')) as Mapping;
    expect(m.format).toBe(MAPPING_FORMAT);
    expect(m.cores).toHaveLength(s.cores_used);
    for (const c of m.cores) expect(parseAddress(c.address)).toEqual({ board: 0, chip: c.chip, tile: c.tile, core: c.core });
    expect(m.layers.map((l) => l.name)).toEqual(['s1.lif', 's2.lif', 'y']);
    expect(readFileSync(svg, 'utf8')).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
  }, 60_000);

  it('prints a human summary with messages within a core, across cores and across chips', () => {
    const r = runMain(['partition', snnPath, '--target', 'loihi_1chip', '--rate', '0.05']);
    expect(r.code).toBe(0);
    for (const line of ['within a core', 'across cores', 'across chips', 'per-core limits', 'input axons', 'synapse words', 'per inference (10 steps)']) expect(r.out).toContain(line);
  }, 60_000);

  it('--sweep chips=… lists each chip count; one that cannot hold the network says why', () => {
    // Loihi chips whose cores hold 64 neurons, not 1,024: a network of 9,216 neurons then needs
    // more than one chip, and partitions in a second rather than the 20 of a 147k-neuron one.
    const dir = smallCoresDir();
    const target = `${path.join(dir, 'w.kiln')}:small_cores`;
    const r = runMain(['partition', `${path.join(dir, 'w.kiln')}:w`, '--target', target, '--rate', '0.05', '--sweep', 'chips=1,4,8', '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.out) as { chosen: number | null; sweep: { chips: number; error?: string; summary?: { chips_used: number; energy_j: { per_inference: number }; messages_per_timestep: { across_chips: number } } }[] };
    const rows = parsed.sweep;
    expect(rows.map((x) => x.chips)).toEqual([1, 4, 8]);
    expect(rows[0]!.error).toMatch(/needs at least [\d,]+ cores, more than the 128 cores of `small_cores`/);
    const fits = rows.filter((x) => x.summary);
    expect(fits.some((f) => f.summary!.chips_used > 1)).toBe(true);
    for (const f of fits) {
      expect(f.summary!.chips_used).toBeLessThanOrEqual(f.chips);
      if (f.summary!.chips_used > 1) expect(f.summary!.messages_per_timestep.across_chips).toBeGreaterThan(0);
    }
    // The chosen count is the one that fits with the least energy per inference.
    const least = Math.min(...fits.map((f) => f.summary!.energy_j.per_inference));
    expect(parsed.chosen).toBe(fits.find((f) => f.summary!.energy_j.per_inference === least)!.chips);
    const text = runMain(['partition', `${path.join(dir, 'w.kiln')}:w`, '--target', target, '--rate', '0.05', '--sweep', 'chips=1,8']);
    expect(text.out).toMatch(/chips\s+cores used\s+chips used\s+energy\/inference\s+latency\/inference\s+inter-chip msgs\/step/);
    expect(text.out).toContain('does not fit');
    expect(text.out).toMatch(/chosen: 8 chips, the least energy per inference of the counts that fit/);
  }, 120_000);

  it('--hierarchy chooses chips first (default) or a flat partition; other values are usage errors', () => {
    const dir = smallCoresDir();
    const args = ['partition', `${path.join(dir, 'w.kiln')}:w`, '--target', `${path.join(dir, 'w.kiln')}:small_cores`, '--rate', '0.05', '--json'];
    type Summary = { chips_used: number; messages_per_timestep: { across_chips: number } };
    const [chipsFirst, flat] = [[], ['--hierarchy', 'flat']].map((extra) => {
      const r = runMain([...args, ...extra]);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as { summary: Summary }).summary;
    });
    // Both span chips; which sends fewer across them is measured in chips-first.test.ts.
    for (const s of [chipsFirst!, flat!]) {
      expect(s.chips_used).toBeGreaterThan(1);
      expect(s.messages_per_timestep.across_chips).toBeGreaterThan(0);
    }
    const bad = runMain([...args, '--hierarchy', 'chips']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--hierarchy takes chips-first or flat, not 'chips'/);
  }, 120_000);

  it('on a terminal, progress is one line redrawn in place with the elapsed time, erased at the end', () => {
    let err = '', out = '';
    const code = runPartition({ source: snnPath, target: 'loihi_1chip', rate: '0.05', json: false, overrides: new Map() },
      { out: (x) => (out += x), err: (x) => (err += x), warn: () => {}, tty: true });
    expect(code).toBe(0);
    expect(err).toMatch(/^\r\x1b\[K\[\d+\.\d s\] partitioning [\d,]+ neurons into \d+ cores/);
    expect(err).toContain('placing');
    expect(err.endsWith('\r\x1b[K')).toBe(true);
    expect(out).toContain('spike messages');
  }, 60_000);

  it('a layer whose neurons need more input axons than a core has is an error at its line, naming the limit', () => {
    const dir = tempFiles({ 'big.kiln': 'network s {\n  timesteps 4\n  input x : f32[1, 5000]\n  h = dense(x, 10) -> lif\n  output h\n}\n' });
    const r = runMain(['partition', path.join(dir, 'big.kiln'), '--target', 'loihi_1chip', '--rate', '0.1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('big.kiln:4:');
    expect(r.err).toMatch(/`h\.dense` needs 5,000 input axons on one core; the limit is 4,096: split its input channels or lower its fan-in/);
    expect(r.err).not.toMatch(STACK_TRACE);
  });

  it('a network without lif layers is explained', () => {
    const r = runMain(['partition', path.join(examplesDir, 'mlp.kiln'), '--target', 'loihi_1chip']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no lif layers/);
  });

  it('a failed run leaves an existing output file untouched; an unwritable path is refused before mapping', () => {
    const dir = tempFiles({
      'big.kiln': 'network s { timesteps 4  input x : f32[1, 5000]  h = dense(x, 10) -> lif  output h }\n',
      'small.kiln': 'network s { timesteps 4  input x : f32[1, 50]  h = dense(x, 10) -> lif  output h }\n',
      'map.json': 'previous mapping\n',
    });
    const out = path.join(dir, 'map.json');
    expect(runMain(['partition', path.join(dir, 'big.kiln'), '--target', 'loihi_1chip', '--rate', '0.1', '--out', out]).code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous mapping\n');
    const r = runMain(['partition', path.join(dir, 'small.kiln'), '--target', 'loihi_1chip', '--rate', '0.05', '--out', path.join(dir, 'no/such/dir/map.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out `.*map\.json` cannot be written: the directory `.*no\/such\/dir` does not exist/);
    expect(r.out).toBe('');
  }, 60_000);
});

describe('kiln partition on METIS and hMETIS files', () => {
  const dir = tempFiles({ 'snn.graph': formatMetisGraph(net.graph), 'snn.hgr': formatHmetis(net.hypergraph) });

  it('--parts K on a METIS graph writes FILE.part.K like gpmetis, and reports its edge cut', () => {
    const r = runMain(['partition', path.join(dir, 'snn.graph'), '--parts', '16', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { edge_cut: number; imbalance: number; partition_file: string };
    expect(doc.partition_file).toBe(path.join(dir, 'snn.graph.part.16'));
    const parts = parsePartition(readFileSync(doc.partition_file));
    expect(parts.length).toBe(net.graph.nv);
    expect(Math.max(...parts)).toBeLessThan(16);
    expect(doc.edge_cut).toBe(graphEdgeCut(net.graph, parts));
    expect(doc.imbalance).toBeLessThanOrEqual(0.03 + 1e-9);
  }, 60_000);

  it('--parts K on an hMETIS hypergraph minimises spike messages, scored by the one scorer', () => {
    const out = path.join(dir, 'h.part');
    const r = runMain(['partition', path.join(dir, 'snn.hgr'), '--parts', '16', '--imbalance', '0.05', '--seed', '3', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { spike_messages: number; imbalance: number };
    const parts = parsePartition(readFileSync(out));
    expect(doc.spike_messages).toBe(scorePartition({ hypergraph: net.hypergraph }, parts, { k: 16 }).spikeMessages);
    expect(doc.imbalance).toBeLessThanOrEqual(0.05 + 1e-9);
  }, 60_000);

  it('an hMETIS hypergraph onto a target: core per vertex in the partition file, every core within its limits', () => {
    const out = path.join(dir, 'cores.part'), mapping = path.join(dir, 'cores.json');
    const r = runMain(['partition', path.join(dir, 'snn.hgr'), '--target', 'loihi_1chip', '--out', out, '--mapping', mapping, '--json']);
    expect(r.code).toBe(0);
    const parts = parsePartition(readFileSync(out));
    expect(parts.length).toBe(net.hypergraph.nv);
    const m = JSON.parse(readFileSync(mapping, 'utf8')) as Mapping;
    expect(new Set(parts).size).toBe(m.cores.length);
    for (const c of m.cores) {
      expect(c.use.neurons).toBe(parts.filter((p) => p === c.part).length);
      for (const k of ['neurons', 'input_axons', 'output_axons', 'synapse_words'] as const) expect(c.use[k]).toBeLessThanOrEqual(m.limits[k]);
    }
  }, 60_000);

  it('a METIS graph onto a target: cores under the neuron limit, edge cut reported, no picture', () => {
    const out = path.join(dir, 'graph-cores.part');
    const r = runMain(['partition', path.join(dir, 'snn.graph'), '--target', 'loihi_1chip', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { cores_used: number; edge_cut: number; core_chip: number[] };
    const parts = parsePartition(readFileSync(out));
    expect(doc.edge_cut).toBe(graphEdgeCut(net.graph, parts));
    const load = new Map<number, number>();
    for (const p of parts) load.set(p, (load.get(p) ?? 0) + 1);
    expect(load.size).toBe(doc.cores_used);
    for (const n of load.values()) expect(n).toBeLessThanOrEqual(1024);
    expect(doc.core_chip.every((c) => c === 0)).toBe(true);
    const svg = runMain(['partition', path.join(dir, 'snn.graph'), '--target', 'loihi_1chip', '--svg', path.join(dir, 'g.svg')]);
    expect(svg.code).toBe(2);
    expect(svg.err).toMatch(/use an hMETIS hypergraph/);
  }, 60_000);

  it('the summary reports the edge cut beside spike messages, computed by hand on a four-vertex hypergraph', () => {
    // Nets (first pin sends, weight = spikes per step): 1→{2,3} at 2, 2→4 at 3, 3→4 at 5, 4→1 at 1.
    // Each vertex holds 3 neurons and a `tiny` core 5, so every vertex has a core of its own and
    // every synapse edge crosses: (1,2) 2 + (1,3) 2 + (2,4) 3 + (3,4) 5 + (4,1) 1 = 13.
    const tiny = tempFiles({ 'four.hgr': '4 4 11\n2 1 2 3\n3 2 4\n5 3 4\n1 4 1\n3\n3\n3\n3\n' });
    writeFileSync(path.join(tiny, 'tiny.kiln'), `import "${path.relative(tiny, path.join(presetsDir, 'loihi-1chip.kiln'))}"\ntarget tiny extends loihi_1chip {\n  limit neurons 5\n}\n`);
    const args = ['partition', path.join(tiny, 'four.hgr'), '--out', path.join(tiny, 'four.part')];
    const r = runMain([...args, '--target', `${path.join(tiny, 'tiny.kiln')}:tiny`, '--json']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out).summary as { cores_used: number; edge_cut_per_timestep: number };
    expect(s.cores_used).toBe(4);
    expect(s.edge_cut_per_timestep).toBe(13);
    const text = runMain([...args, '--target', `${path.join(tiny, 'tiny.kiln')}:tiny`]);
    expect(text.out).toMatch(/edge cut +13\.0 .*to compare with gpmetis, not minimised/);
    // On loihi_1chip all four fit one core: nothing crosses.
    const one = JSON.parse(runMain([...args, '--target', 'loihi_1chip', '--json']).out).summary as { cores_used: number; edge_cut_per_timestep: number };
    expect(one.cores_used).toBe(1);
    expect(one.edge_cut_per_timestep).toBe(0);
  });

  it('a malformed METIS file is an error at file:line:col', () => {
    const bad = tempFiles({ 'bad.graph': '3 2\n2\n1 x\n2\n' });
    const r = runMain(['partition', path.join(bad, 'bad.graph'), '--parts', '2']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.graph:3:\d+/);
    expect(existsSync(path.join(bad, 'bad.graph.part.2'))).toBe(false);
  });
});

describe('kiln partition usage errors exit 2 and say what to do', () => {
  const hgr = path.join(tempFiles({ 'x.hgr': formatHmetis(net.hypergraph) }), 'x.hgr');
  const cases: [string[], RegExp][] = [
    [['partition', snnPath], /give --target T/],
    [['partition', snnPath, '--target', 'loihi_1chip', '--parts', '4'], /--parts K is for a plain K-way partition/],
    [['partition', snnPath, '--chips', '4'], /need a neuromorphic --target/],
    [['partition', snnPath, '--target', 'loihi_1chip', '--rate', '0.1', '--rates', 'r.json'], /one of --rate, --rates and --measure/],
    [['partition', snnPath, '--target', 'loihi_32chip', '--sweep', 'cores=1,2'], /--sweep takes chips=N,N/],
    [['partition', snnPath, '--target', 'loihi_1chip', '--rate', '2'], /--rate takes spikes per neuron per time step in \[0, 1\]/],
    [['partition', hgr], /give --parts K/],
    [['partition', hgr, '--parts', '4', '--imbalance', 'lots'], /--imbalance takes a fraction/],
    [['partition', hgr, '--parts', '0'], /--parts takes a whole number ≥ 1/],
    [['partition', hgr, '--parts', '4', '--rate', '0.1'], /carries its rates as edge or net weights/],
  ];
  for (const [argv, msg] of cases) {
    it(argv.slice(1).map((a) => path.basename(a)).join(' '), () => {
      const r = runMain(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
    });
  }

  it('a non-neuromorphic target is an error naming its kind', () => {
    const r = runMain(['partition', snnPath, '--target', 'tpu_v1_like']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/`tpu_v1_like` is a systolic target/);
  });
});
