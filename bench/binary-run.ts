/**
 * Issue 15's end-to-end goal in its own terms: `kiln run` of the lowered binary_mlp against its f32
 * twin (the same file without `, weights = binary`) on the 2,000 MNIST test digits, each as a fresh
 * `kiln` process from the built bundle, on the WebAssembly kernels (the default) and on the plain-JS
 * reference kernels (KILN_KERNELS=js). The BNN paper's 7× (Courbariaux, Hubara et al. 2016,
 * abstract) is its binary GPU kernel against an *unoptimized* GPU kernel; the f32 twin on the JS
 * kernels is Kiln's counterpart of that baseline, the twin on WebAssembly SIMD its optimized one.
 *
 * Both networks are trained in a temporary directory for one epoch on 200 digits: speed does not
 * depend on accuracy. The four runs go round-robin (the order rotating each round, after a warm-up
 * round) so the machine's load hits them alike; times are each child's CPU time (user + sys) and
 * the phases its `--timing` block prints; medians. Progress on stderr, the table on stdout.
 *
 * `npx tsx bench/binary-run.ts [--rounds N] [--export]` (default 5 rounds; `--export` runs from
 * `kiln export` models, binary weights at one bit, instead of the training checkpoints). Needs
 * `npm run build` first: timing the TypeScript sources would time tsx's compiler.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { distIsCurrent, ROOT } from '../bin/dist-stamp.js';
import { parsePhaseTiming } from '../cli/commands/phase-timing.ts';
import { type ChildRun, KilnChild } from './kiln-child.ts';
import { median } from './timing.ts';

const argv = process.argv.slice(2);
const roundsAt = argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 5;
const fromExport = argv.includes('--export');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) fail('--rounds takes a whole number of rounds ≥ 1, e.g. --rounds 5', 2);
if (!distIsCurrent()) fail('dist/ is missing or older than the sources, so bin/kiln.js would run the TypeScript sources through tsx and this bench would time its compiler: run `npm run build` first', 1);

function fail(message: string, code: number): never {
  console.error(`bench/binary-run: ${message}`);
  process.exit(code);
}

/** `text` with `from` replaced, refusing a source that no longer has it (the example changed). */
function edit(text: string, from: string, to: string, count: number): string {
  const n = text.split(from).length - 1;
  if (n !== count) throw new Error(`examples/binary_mlp.kiln: expected ${count}× \`${from}\`, found ${n}: update bench/binary-run.ts`);
  return text.replaceAll(from, to);
}

const example = readFileSync(path.join(ROOT, 'examples/binary_mlp.kiln'), 'utf8');
const binarySrc = edit(edit(example, 'train = 8000', 'train = 200', 1), 'epochs 15', 'epochs 1', 1);
const f32Src = edit(binarySrc, ', weights = binary', '', 4);

interface Config { name: string; net: 'binary' | 'f32'; kernels: 'wasm' | 'js' }
const CONFIGS: Config[] = [
  { name: 'binary, lowered', net: 'binary', kernels: 'wasm' },
  { name: 'f32 twin', net: 'f32', kernels: 'wasm' },
  { name: 'f32 twin, KILN_KERNELS=js', net: 'f32', kernels: 'js' },
  { name: 'binary, lowered, KILN_KERNELS=js', net: 'binary', kernels: 'js' },
];
const PHASES = ['start-up', 'compile', 'data', 'checkpoint', 'lowering', 'inference', 'output'] as const;

const dir = mkdtempSync(path.join(tmpdir(), 'kiln-binary-run-'));
const kiln = new KilnChild();
const load0 = loadavg();
try {
  const weights: Record<Config['net'], string> = { binary: '', f32: '' };
  const files: Record<Config['net'], string> = { binary: path.join(dir, 'binary_mlp.kiln'), f32: path.join(dir, 'f32_twin.kiln') };
  writeFileSync(files.binary, binarySrc);
  writeFileSync(files.f32, f32Src);
  for (const net of ['binary', 'f32'] as const) {
    const ckpt = path.join(dir, `${net}.ckpt`);
    console.error(`binary-run: training the ${net === 'binary' ? 'binary_mlp' : 'f32 twin'} (1 epoch on 200 digits) …`);
    check(kiln.run(['train', files[net], '--checkpoint', ckpt]), `train ${net}`);
    weights[net] = ckpt;
    if (fromExport) {
      weights[net] = path.join(dir, `${net}.model`);
      check(kiln.run(['export', files[net], '--checkpoint', ckpt, '--out', weights[net]]), `export ${net}`);
    }
  }

  const runs = CONFIGS.map(() => [] as { cpuS: number; phases: Map<string, number> }[]);
  const outputs = CONFIGS.map(() => new Set<string>());
  let lowering = '';
  for (let round = 0; round <= ROUNDS; round++) {
    const line: string[] = [];
    for (let j = 0; j < CONFIGS.length; j++) {
      const i = (j + round) % CONFIGS.length, c = CONFIGS[i]!;
      const r = check(kiln.run(['run', files[c.net], '--checkpoint', weights[c.net], '--input', 'mnist:test', '--timing'],
        { KILN_KERNELS: c.kernels, KILN_FROM_SOURCE: '0' }), c.name);
      const rows = parsePhaseTiming(r.stderr);
      if (!rows) throw new Error(`kiln run (${c.name}) printed no --timing block: ${r.stderr}`);
      outputs[i]!.add(r.stdout);
      if (i === 0) lowering = rows.find((p) => p.phase === 'lowering')?.note ?? '';
      line.push(`${c.name} ${r.cpuS.toFixed(2)} s`);
      // Round 0 warms the file cache and the MNIST cache; it is not counted.
      if (round > 0) runs[i]!.push({ cpuS: r.cpuS, phases: new Map(rows.map((p) => [p.phase, p.cpu])) });
    }
    console.error(`binary-run: ${round === 0 ? 'warm-up' : `round ${round}/${ROUNDS}`}: ${line.join(', ')}`);
  }

  const whole = runs.map((rs) => median(rs.map((r) => r.cpuS)));
  const phase = (i: number, p: string) => median(runs[i]!.map((r) => r.phases.get(p) ?? NaN));
  // The f32 twin has no lowering phase: a dash, not 0 ms.
  const ms = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(0));
  const load1 = loadavg();
  console.log(`kiln run binary_mlp (hidden 1024) and its f32 twin on the 2,000 MNIST test digits, from ${fromExport ? 'kiln export models' : 'training checkpoints'}; `
    + `CPU medians of ${ROUNDS} rounds; load average ${load0[0]!.toFixed(1)} → ${load1[0]!.toFixed(1)} (1 min), ${load0[1]!.toFixed(1)} → ${load1[1]!.toFixed(1)} (5 min)`);
  console.log('');
  console.log(`| run | whole command, CPU s (min–max) | ${PHASES.map((p) => `${p}, ms`).join(' | ')} | whole ÷ binary | inference ÷ binary | accuracy |`);
  console.log(`|---|---:|${PHASES.map(() => '---:').join('|')}|---:|---:|---|`);
  CONFIGS.forEach((c, i) => {
    const cpu = runs[i]!.map((r) => r.cpuS);
    const acc = /accuracy ([\d.]+%)/.exec([...outputs[i]!][0]!)?.[1] ?? '?';
    console.log(`| ${c.name} | ${whole[i]!.toFixed(2)} (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}) | `
      + `${PHASES.map((p) => ms(phase(i, p))).join(' | ')} | ${(whole[i]! / whole[0]!).toFixed(2)}× | `
      + `${(phase(i, 'inference') / phase(0, 'inference')).toFixed(2)}× | ${acc}${outputs[i]!.size > 1 ? ' (differed between rounds!)' : ''} |`);
  });
  console.log('');
  console.log(`binary lowering: ${lowering}`);
  // The integer kernels agree bit for bit across the two paths, so the binary runs must predict alike.
  if (outputs[0]!.size === 1 && [...outputs[0]!][0] !== [...outputs[3]!][0]) console.log('WARNING: the binary run\'s output differs between KILN_KERNELS=wasm and js');
} finally {
  kiln.dispose();
  rmSync(dir, { recursive: true, force: true });
}

function check(r: ChildRun, what: string): ChildRun {
  if (r.status !== 0) throw new Error(`kiln ${what} failed (exit ${r.status}): ${r.stderr}`);
  return r;
}
