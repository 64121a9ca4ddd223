/**
 * Front-end benchmark: parse + check + infer shapes of generated networks of 1,000 and 10,000
 * layers. Goal (issue 2): 10,000 layers in under 1 s, and the 10k/1k time ratio at most 12.
 * Also one statement chaining 5,000 and 20,000 relus (issue 9): the time should grow linearly.
 */
import { checkFile } from '../compiler/driver.ts';
import { generateNetwork } from './generate-network.ts';
import { median } from './timing.ts';

function timeOnce(source: string): number {
  const t0 = performance.now();
  const r = checkFile('big.kiln', { readFile: () => source });
  const ms = performance.now() - t0;
  if (r.diagnostics.some((d) => d.severity === 'error') || r.modules.size !== 1) throw new Error('generated network did not check clean');
  return ms;
}

/** `y = x -> relu -> relu …`: one statement, `steps` steps. */
export const reluChain = (steps: number): string => `network chain(batch = 1) {\n  input x : f32[batch, 16]\n  y = x${' -> relu'.repeat(steps)}\n  output y\n}\n`;

export function benchChains(): { steps: number; ms: number }[] {
  return [5_000, 20_000].map((steps) => {
    const src = reluChain(steps);
    timeOnce(src);
    return { steps, ms: median(Array.from({ length: 3 }, () => timeOnce(src))) };
  });
}

export function benchFrontEnd(): { layers: number; ms: number }[] {
  const rows: { layers: number; ms: number }[] = [];
  for (const layers of [1_000, 10_000]) {
    const src = generateNetwork(layers);
    for (let i = 0; i < 3; i++) timeOnce(src); // warm up the JIT and Chevrotain's lookahead caches
    const runs = Array.from({ length: layers >= 10_000 ? 5 : 9 }, () => timeOnce(src));
    rows.push({ layers, ms: median(runs) });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = benchFrontEnd();
  console.log('front end: parse + check + infer shapes (median of runs)');
  for (const r of rows) console.log(`  ${String(r.layers).padStart(6)} layers  ${r.ms.toFixed(1).padStart(8)} ms`);
  console.log(`  10k/1k ratio ${(rows[1]!.ms / rows[0]!.ms).toFixed(2)} (goal ≤ 12; 10k goal < 1000 ms)`);
  const chains = benchChains();
  for (const c of chains) console.log(`  ${String(c.steps).padStart(6)}-step relu chain  ${c.ms.toFixed(1).padStart(8)} ms`);
  console.log(`  20k/5k chain ratio ${(chains[1]!.ms / chains[0]!.ms).toFixed(2)} (linear: 4)`);
}
