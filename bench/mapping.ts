/**
 * Mapping spiking networks onto Loihi presets: Kiln's partitioner against the layer-order
 * allocator nengo-loihi uses by default (Greedy: fill cores in order, chip by chip), both under
 * the same exact per-core limits and priced by the same cost model. Rates: 0.05 spikes per
 * neuron per time step everywhere (no trained weights are shipped for these networks). Map
 * times are CPU seconds of this process (compile, partition, placement, pricing), since wall
 * time on a shared machine says little; the load average is printed at the end.
 */
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../compiler/driver.ts';
import { KilnError } from '../compiler/lang/diagnostics.ts';
import { neuromorphicEstimate } from '../targets/neuromorphic/cost.ts';
import { presets } from '../targets/resolve.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CASES: [string, string, number | undefined][] = [
  ['examples/spiking_cnn.kiln', 'loihi_1chip', undefined],
  ['examples/spiking_cnn.kiln', 'loihi_32chip', undefined],
  ['bench/networks/dvs_gesture.kiln', 'loihi_32chip', undefined],
  ['bench/networks/dvs_large.kiln', 'loihi_32chip', undefined],
];

const int = (n: number) => Math.round(n).toLocaleString('en-US');
console.log('| network | target | strategy | cores | chips | messages/step across cores | across chips | energy/inference | latency/inference | map CPU (s) |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [file, target, chips] of CASES) {
  const m = compile(path.join(root, file), { overrides: new Map([['batch', 1]]) }).module;
  const runs = [['partition', 'chips-first'], ['partition', 'flat'], ['greedy', undefined]] as const;
  for (const [strategy, hierarchy] of runs) {
    const c0 = process.cpuUsage();
    const name = strategy === 'greedy' ? 'greedy (nengo-loihi order)' : `kiln partition, ${hierarchy === 'flat' ? 'flat k-way then placed' : 'chips first, then cores'}`;
    const label = `| ${path.basename(file, '.kiln')} | ${target}${chips ? ` (--chips ${chips})` : ''} | ${name} |`;
    try {
      const est = neuromorphicEstimate(presets().get(target)!, m, { defaultRate: 0.05, strategy, hierarchy, chips });
      const s = est.result.summary;
      const msg = s.messages_per_timestep as { within_tile: number; across_tiles: number; across_chips: number };
      const cpu = process.cpuUsage(c0);
      const secs = (cpu.user + cpu.system) / 1e6;
      console.log(`${label} ${int(s.cores_used as number)} | ${s.chips_used} | ${int(msg.within_tile + msg.across_tiles + msg.across_chips)} | ${int(msg.across_chips)} | ${(s.energy_j * 1e6).toFixed(1)} µJ | ${(s.latency_s * 1e6).toFixed(1)} µs | ${secs.toFixed(2)} |`);
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      console.log(`${label} does not fit: ${e.diagnostics[0]!.message} | | | | | | |`);
    }
  }
}
console.log(`\nload average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores)`);
