/**
 * `kiln partition SOURCE`: place a spiking network's neurons on a neuromorphic target's cores,
 * chips and tiles under every per-core limit and price the result, or split a METIS graph /
 * hMETIS hypergraph into K balanced parts the way gpmetis would. See `kiln partition --help`.
 */
import { existsSync } from 'node:fs';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { UsageError } from '../args.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import { neuromorphicConfig } from '../../targets/neuromorphic/config.ts';
import { neuromorphicEstimate, priceMapping, withChips, type NeuromorphicEstimate } from '../../targets/neuromorphic/cost.ts';
import { buildMapping, formatMapping } from '../../targets/neuromorphic/mapping-artifact.ts';
import { renderMappingSvg } from '../../targets/neuromorphic/map-svg.ts';
import { mapHypergraphInput } from '../../targets/neuromorphic/network-mapping.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { formatSummary, chosenChips, formatSweep, summarize, type SweepRow } from './partition-report.ts';
import { mapGraphInput, partitionPlainInput, readPartitionInput, type PartitionInput } from './partition-input.ts';
import { checkRateArgs, rateOptions, type RateArgs } from './partition-rates.ts';
import { wholeNumber, type CommandIo } from './train.ts';
import { targetFromCommandLine, targetWarnings } from './target-args.ts';

export interface PartitionArgs {
  source: string;
  target?: string;
  chips?: string;
  parts?: string;
  imbalance?: string;
  seed?: string;
  json: boolean;
  out?: string;
  mapping?: string;
  svg?: string;
  rate?: string;
  ratesFile?: string;
  measure?: string;
  checkpoint?: string;
  samples?: string;
  saveRates?: string;
  sweep?: string;
  effort?: string;
  strategy?: string;
  hierarchy?: string;
  overrides: Map<string, number>;
}

/**
 * The largest chip count --chips and --sweep take: Intel's largest Loihi systems have 768
 * (Pohoiki Springs) and 1152 (Hala Point) chips, and placement keeps per-core tables, so a
 * mistyped count of billions would exhaust memory instead of answering.
 */
export const MAX_CHIPS = 4096;
const MAX_SWEEP = 64;

function chipCount(flag: string, n: number): number {
  if (n > MAX_CHIPS) throw new UsageError(`kiln partition: ${flag} takes at most ${MAX_CHIPS} chips, not ${n}`);
  return n;
}

function parseSweep(text: string): number[] {
  const m = /^chips=(\d+(?:,\d+)*)$/.exec(text);
  if (!m) throw new UsageError(`kiln partition: --sweep takes chips=N,N,… (e.g. chips=1,2,4,8), not '${text}'`);
  const list = m[1]!.split(',').map(Number);
  if (list.some((n) => n < 1)) throw new UsageError('kiln partition: --sweep chip counts must be ≥ 1');
  if (list.length > MAX_SWEEP) throw new UsageError(`kiln partition: --sweep takes at most ${MAX_SWEEP} chip counts, not ${list.length}`);
  return list.map((n) => chipCount('--sweep', n));
}

function parseImbalance(text: string | undefined): number {
  if (text === undefined) return 0.03;
  const x = Number(text);
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new UsageError(`kiln partition: --imbalance takes a fraction in [0, 1] such as 0.03, not '${text}'`);
  return x;
}

/** Phase messages on a terminal: one line redrawn in place, with the seconds since the start. */
function progressLine(io: CommandIo): ((message: string) => void) | undefined {
  if (!io.tty) return undefined;
  const t0 = performance.now();
  return (message) => io.err(`\r\x1b[K[${((performance.now() - t0) / 1e3).toFixed(1)} s] ${message}`);
}

function neuromorphicTarget(spec: string): TargetDescription {
  const t = targetFromCommandLine(spec, 'partition');
  if (t.kind !== 'neuromorphic') throw new KilnError(error('target', `\`${t.name}\` is a ${t.kind} target; kiln partition maps onto neuromorphic targets`, undefined, 'e.g. --target loihi_1chip or --target loihi_32chip'));
  return t;
}

export function runPartition(a: PartitionArgs, io: CommandIo): number {
  const seed = wholeNumber('partition', '--seed', a.seed, 0) ?? 1;
  const chipsGiven = wholeNumber('partition', '--chips', a.chips, 1);
  const chips = chipsGiven === undefined ? undefined : chipCount('--chips', chipsGiven);
  const parts = wholeNumber('partition', '--parts', a.parts, 1);
  const rateArgs: RateArgs = { rate: a.rate, ratesFile: a.ratesFile, measure: a.measure, checkpoint: a.checkpoint, samples: wholeNumber('partition', '--samples', a.samples, 1), saveRates: a.saveRates };
  const epsilon = parseImbalance(a.imbalance);
  const effort = a.effort === undefined ? undefined : (['fast', 'default', 'strong'].includes(a.effort) ? a.effort as 'fast' | 'default' | 'strong' : undefined);
  if (a.effort !== undefined && !effort) throw new UsageError(`kiln partition: --effort takes fast, default or strong, not '${a.effort}'`);
  if (a.strategy !== undefined && a.strategy !== 'partition' && a.strategy !== 'greedy') throw new UsageError(`kiln partition: --strategy takes partition or greedy, not '${a.strategy}'`);
  const strategy = a.strategy as 'partition' | 'greedy' | undefined;
  if (a.hierarchy !== undefined && a.hierarchy !== 'chips-first' && a.hierarchy !== 'flat') throw new UsageError(`kiln partition: --hierarchy takes chips-first or flat, not '${a.hierarchy}'`);
  const hierarchy = a.hierarchy as 'chips-first' | 'flat' | undefined;
  checkRateArgs(rateArgs, 'partition');
  if (!a.target && (chips !== undefined || a.sweep || a.svg || a.mapping)) throw new UsageError('kiln partition: --chips, --sweep, --svg and --mapping need a neuromorphic --target (e.g. --target loihi_32chip)');
  if (a.target && parts !== undefined) throw new UsageError('kiln partition: with --target the parts are the target\'s cores; --parts K is for a plain K-way partition without a target');
  const plainPartFile = !a.target && parts !== undefined && a.out === undefined && existsSync(a.source) ? `${a.source}.part.${parts}` : undefined;
  checkOutputs('partition', [[a.out !== undefined ? '--out' : 'the partition file', a.out ?? plainPartFile], ['--mapping', a.mapping], ['--svg', a.svg], ['--save-rates', a.saveRates]], [...inputFiles(a.source), a.ratesFile, a.checkpoint]);
  const progress = progressLine(io);
  const done = () => { if (progress) io.err('\r\x1b[K'); };
  const input: PartitionInput = readPartitionInput(a.source, a.overrides);
  io.warn(input.warnings);

  if (input.kind !== 'network') {
    if (a.rate !== undefined || a.ratesFile || a.measure) throw new UsageError('kiln partition: a METIS or hMETIS input carries its rates as edge or net weights; --rate, --rates and --measure are for .kiln networks');
    if (!a.target) {
      if (parts === undefined) throw new UsageError('kiln partition: give --parts K (a K-way partition like gpmetis), or --target T to map onto a neuromorphic target\'s cores');
      const nv = input.kind === 'graph' ? input.graph.nv : input.hypergraph.nv;
      // More parts than vertices can only leave parts empty, and K-sized work arrays would grow without bound.
      if (parts > nv) throw new UsageError(`kiln partition: --parts ${parts} is more than the ${nv.toLocaleString('en-US')} vertices of ${a.source}; give at most ${nv.toLocaleString('en-US')}`);
      const r = partitionPlainInput(input, { k: parts, epsilon, seed, effort, out: a.out }, progress);
      done();
      io.out(a.json ? JSON.stringify(r.json, null, 2) + '\n' : r.text);
      return 0;
    }
    if (input.kind === 'graph') {
      if (a.mapping || a.svg || a.sweep) throw new UsageError('kiln partition: --mapping, --svg and --sweep need per-core axon and synapse counts, which a METIS graph cannot give; use an hMETIS hypergraph');
      const { config } = neuromorphicConfig(neuromorphicTarget(a.target));
      const r = mapGraphInput(input, chips !== undefined ? withChips(config, chips) : config, { seed, effort, out: a.out }, progress);
      done();
      io.out(a.json ? JSON.stringify(r.json, null, 2) + '\n' : r.text);
      return 0;
    }
  }
  if (!a.target) throw new UsageError('kiln partition: a .kiln network is mapped onto a neuromorphic target\'s cores: give --target T (e.g. loihi_1chip)');
  const desc = neuromorphicTarget(a.target);
  const rateOpts = input.kind === 'network' ? rateOptions(input.module, a.source, rateArgs, 'partition', io, progress) : {};
  const estimateOn = (n: number | undefined, report = progress): NeuromorphicEstimate => {
    if (input.kind === 'network') return neuromorphicEstimate(desc, input.module, { ...rateOpts, chips: n, seed, effort, strategy, hierarchy, progress: report });
    const { config, reader } = neuromorphicConfig(desc);
    const cfg = n !== undefined ? withChips(config, n) : config;
    return priceMapping(desc, cfg, reader, mapHypergraphInput(input.hypergraph, cfg, { seed, effort, hierarchy, progress: report }), 1);
  };
  const about = { source: a.source, network: input.kind === 'network' ? input.module.name : undefined };

  if (a.sweep) {
    const counts = parseSweep(a.sweep);
    const rows: SweepRow[] = counts.map((n, i) => {
      const step = progress && ((m: string) => progress(`[${i + 1}/${counts.length}] ${n} chip${n === 1 ? '' : 's'}: ${m}`));
      step?.('starting');
      try {
        return { chips: n, summary: summarize(estimateOn(n, step), about) };
      } catch (e) {
        if (e instanceof KilnError && e.diagnostics.some((d) => d.code === 'capacity')) return { chips: n, error: e.diagnostics[0]!.message };
        throw e;
      }
    });
    done();
    io.out(a.json ? JSON.stringify({ target: desc.name, sweep: rows, chosen: chosenChips(rows)?.chips ?? null }, null, 2) + '\n' : formatSweep(rows, desc.name));
    return 0;
  }

  const est = estimateOn(chips);
  done();
  const warned = targetWarnings(est.result.warnings);
  if (warned.length) io.warn(warned);
  const summary = summarize(est, about);
  const mapping = buildMapping(est.mapping, est.events, est.config, { ...about, target: desc.name });
  const mappingPath = input.kind === 'network' ? a.out : a.mapping;
  if (mappingPath) writeFileAtomic(mappingPath, formatMapping(mapping), 'mapping');
  if (input.kind === 'hypergraph') {
    const partFile = a.out ?? `${a.source}.part.${est.mapping.cores.k}`;
    writeFileAtomic(partFile, Array.from(est.mapping.cores.parts).join('\n') + '\n', 'partition file');
    io.err(`wrote the core of every vertex to ${partFile}\n`);
  }
  if (a.svg) writeFileAtomic(a.svg, renderMappingSvg(mapping), 'picture');
  io.out(a.json ? JSON.stringify({ summary, mapping: mappingPath ?? null, svg: a.svg ?? null }, null, 2) + '\n' : formatSummary(summary));
  return 0;
}
