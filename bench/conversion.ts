/**
 * ANN→SNN conversion accuracy against the number of time steps (docs/conversion.md): mlp and
 * lenet5 trained briefly with `kiln train`, with and without the rate regularizer
 * (bench/networks/*_rate_band.kiln), converted with `kiln convert` (99.9th-percentile thresholds
 * on 256 training digits; lenet5 with max pooling over spikes, the default, and with average
 * pooling), and evaluated at T = 10, 25, 50, 100, 200 from one 200-step run each.
 * About an hour on a shared core, mostly lenet5's 200-step runs; run it by name:
 * `npx tsx bench/conversion.ts [--mlp-only] [--weights i8]`. The table goes into docs/conversion.md;
 * `--weights i8` converts with 8-bit integer weights (kiln convert --weights i8) instead of f32.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'kiln-conversion-'));
const STEPS = '10,25,50,100,200';
const at = process.argv.indexOf('--weights');
const WEIGHTS = at >= 0 ? process.argv[at + 1]! : 'f32';

/** How each network is trained and evaluated: few epochs and, for lenet5, the first 500 test digits, to keep CPU time down. */
const RUNS = [
  { name: 'mlp', file: 'examples/mlp.kiln', epochs: 3, limit: 2000, maxpool: 'spike' },
  { name: 'mlp + rate_band', file: 'bench/networks/mlp_rate_band.kiln', epochs: 3, limit: 2000, maxpool: 'spike' },
  { name: 'lenet5', file: 'examples/lenet5.kiln', epochs: 1, limit: 500, maxpool: 'spike' },
  { name: 'lenet5 + rate_band', file: 'bench/networks/lenet5_rate_band.kiln', epochs: 1, limit: 500, maxpool: 'spike' },
  { name: 'lenet5, --maxpool avg', file: 'examples/lenet5.kiln', epochs: 1, limit: 500, maxpool: 'avg' },
  { name: 'lenet5 + rate_band, --maxpool avg', file: 'bench/networks/lenet5_rate_band.kiln', epochs: 1, limit: 500, maxpool: 'avg' },
].filter((r) => !process.argv.includes('--mlp-only') || r.name.startsWith('mlp'));

function kiln(args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/kiln.js'), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`kiln ${args.join(' ')} exited with ${r.status}`);
  return r.stdout;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
console.log(`| network (epochs, test digits) | ANN | ANN, avgpool | ${STEPS.split(',').map((t) => `T = ${t}`).join(' | ')} |`);
console.log(`|---|---|---|${STEPS.split(',').map(() => '---').join('|')}|`);
const trained = new Map<string, string>();
for (const r of RUNS) {
  // Each ANN is trained once; its two pooling variants convert the same weights.
  let ckpt = trained.get(r.file);
  if (!ckpt) {
    ckpt = path.join(dir, `${path.basename(r.file, '.kiln')}.ckpt`);
    kiln(['train', r.file, '--epochs', String(r.epochs), '--checkpoint', ckpt]);
    trained.set(r.file, ckpt);
  }
  const j = JSON.parse(kiln(['convert', r.file, '--checkpoint', ckpt, '--timesteps', '50', '--maxpool', r.maxpool, '--weights', WEIGHTS,
    '--out', path.join(dir, `${r.name.replace(/\W+/g, '_')}_snn.kiln`), '--evaluate', STEPS, '--limit', String(r.limit), '--json']));
  const snn = (j.snn_accuracy as { accuracy: number }[]).map((a) => pct(a.accuracy));
  console.log(`| ${r.name} (${r.epochs}, ${j.test_samples}) | ${pct(j.ann_accuracy)} | ${j.avgpool_ann_accuracy === undefined ? '—' : pct(j.avgpool_ann_accuracy)} | ${snn.join(' | ')} |`);
}
