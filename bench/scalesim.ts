/**
 * SCALE-Sim model benchmark: simulateTopology on SCALE-Sim's own AlexNet and ResNet-18 topology
 * CSVs, 32x32 array, 64 kB SRAMs (its default scale.cfg), os, ws and is. Run with
 * `npx tsx bench/scalesim.ts` (add `--quick` for fewer reps). SCALE-Sim v2 itself takes about
 * 200-290 s per dataflow for AlexNet and 7-13 min for ResNet-18 (test/fixtures/scalesim/README.md).
 *
 * Prints a markdown table: the first (cold, JIT-compiling) run and the best and median of the
 * warm runs, per network for all three dataflows together, plus each dataflow alone.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTopologyCsv } from '../targets/systolic/scalesim-topology.ts';
import { scaleSimConfig, simulateTopology } from '../targets/systolic/scalesim.ts';
import type { Dataflow } from '../targets/systolic/gemm-model.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const reference = path.resolve(here, '..', 'test', 'fixtures', 'scalesim', 'topologies', 'conv_nets');
const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 11;
const DATAFLOWS: Dataflow[] = ['os', 'ws', 'is'];

function load(file: string) {
  return parseTopologyCsv(readFileSync(path.join(reference, file), 'utf8'), file);
}

function runAll(layers: ReturnType<typeof load>, dataflows: Dataflow[]): void {
  for (const dataflow of dataflows) simulateTopology(scaleSimConfig({ dataflow }), layers);
}

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function stats(ts: number[]): { best: number; median: number } {
  const s = [...ts].sort((a, b) => a - b);
  return { best: s[0]!, median: s[Math.floor(s.length / 2)]! };
}

const networks: [string, string][] = [
  ['AlexNet', 'alexnet.csv'],
  ['ResNet-18', 'Resnet18.csv'],
];

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared machine: numbers are noisy)\n`);
console.log('| network | dataflows | layers | cold ms | best ms | median ms |');
console.log('|---|---|---:|---:|---:|---:|');
for (const [name, file] of networks) {
  const layers = load(file);
  const cold = time(() => runAll(layers, DATAFLOWS));
  const rows: [string, Dataflow[]][] = [['os+ws+is', DATAFLOWS], ...DATAFLOWS.map((d): [string, Dataflow[]] => [d, [d]])];
  for (const [label, dfs] of rows) {
    const ts: number[] = [];
    for (let i = 0; i < REPS; i++) ts.push(time(() => runAll(layers, dfs)));
    const { best, median } = stats(ts);
    const coldCell = label === 'os+ws+is' ? cold.toFixed(1) : '';
    console.log(`| ${name} | ${label} | ${layers.length} | ${coldCell} | ${best.toFixed(1)} | ${median.toFixed(1)} |`);
  }
}
