/**
 * Systolic estimate benchmark (issue 3): AlexNet and ResNet-18 (SCALE-Sim's own topology CSVs)
 * on a 32×32 array in all three dataflows, through the whole `kiln estimate` path (topology
 * import, SCALE-Sim-exact simulation, energy pricing). Goal: under 50 ms per network; SCALE-Sim
 * itself took 200-290 s per dataflow for AlexNet on this machine (test/fixtures/scalesim/README.md).
 * The topologies and configs are the copies in test/fixtures/scalesim. The second table uses the
 * USER-mode configs (`*_userbw10.cfg`: a fixed 10 words/cycle, stalls and refetches replayed,
 * issue 16), with the same goal.
 */
import * as path from 'node:path';
import { estimate } from '../targets/estimate.ts';
import { resolveTarget } from '../targets/resolve.ts';
import { scaleSimTarget, scaleSimTopology } from '../targets/systolic/scalesim-import.ts';
import { median } from './timing.ts';

const ref = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../test/fixtures/scalesim');

interface BenchRow {
  network: string;
  dataflow: string;
  /** Median wall-clock time and median CPU time of this process (the latter less sensitive to other jobs). */
  ms: number;
  cpuMs: number;
  cycles: number;
}


export function benchEstimate(mode: 'calc' | 'user' = 'calc'): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const net of ['alexnet', 'Resnet18']) {
    const topo = path.join(ref, 'topologies/conv_nets', `${net}.csv`);
    for (const df of ['os', 'ws', 'is']) {
      const cfg = path.join(ref, 'configs', `scale_32x32_${df}${mode === 'user' ? '_userbw10' : ''}.cfg`);
      const run = () => estimate({ kind: 'layers', ...scaleSimTopology(topo) }, resolveTarget(cfg, scaleSimTarget));
      run(); // warm-up
      const times: number[] = [];
      const cpu: number[] = [];
      let cycles = 0;
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        cycles = run().summary.cycles ?? 0;
        const c = process.cpuUsage(c0);
        times.push(performance.now() - t0);
        cpu.push((c.user + c.system) / 1000);
      }
      rows.push({ network: net, dataflow: df, ms: median(times), cpuMs: median(cpu), cycles });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const mode of ['calc', 'user'] as const) {
    const what = mode === 'calc' ? 'InterfaceBandwidth: CALC' : 'InterfaceBandwidth: USER, 10 words/cycle';
    console.log(`systolic estimate, 32×32 array, ${what} (median of 7, after a warm-up)`);
    for (const r of benchEstimate(mode)) {
      console.log(`  ${r.network.padEnd(9)} ${r.dataflow}  ${r.ms.toFixed(1).padStart(7)} ms (cpu ${r.cpuMs.toFixed(1).padStart(6)} ms)   ${r.cycles.toLocaleString('en-US')} cycles`);
    }
  }
}
