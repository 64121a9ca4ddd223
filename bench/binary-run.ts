/**
 * Issue 15's end-to-end goal: `kiln run` of the lowered binary_mlp against its f32 twin (the same
 * file without `, weights = binary`) on the 2,000 MNIST test digits, each as a fresh `kiln` process
 * from the built bundle, on the WebAssembly kernels (the default) and on the plain-JS reference
 * kernels (KILN_KERNELS=js), one thread (KILN_THREADS=1). Like-for-like ratios keep both networks on
 * the same kernels; the binary run on WebAssembly against the twin on JS is printed too, with why
 * it is not the BNN paper's comparison (docs/benchmarks.md, "In the BNN paper's terms").
 *
 * Both networks are trained in a temporary directory for one epoch on 200 digits: speed does not
 * depend on accuracy. The four runs go round-robin (the order rotating each round, after a warm-up
 * round) so the machine's load hits them alike; times are each child's CPU time (user + sys) and
 * the phases its `--timing` block prints; medians. Every sample must have run the bundle the bench
 * started with, and the binary network's predictions must be the same on both kernel paths (its
 * integer kernels agree bit for bit) and in every round; otherwise it exits 1 after the table.
 * Progress on stderr, the table on stdout.
 *
 * `npx tsx bench/binary-run.ts [--rounds N] [--export]` (default 5 rounds; `--export` runs from
 * `kiln export` models, binary weights at one bit, instead of the training checkpoints). Needs
 * `npm run build` first: timing the TypeScript sources would time tsx's compiler.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { distIsCurrent, readStamp, ROOT } from '../bin/dist-stamp.js';
import { parseArgs, UsageError } from '../cli/args.ts';
import { parsePhaseTiming } from '../cli/commands/phase-timing.ts';
import { wholeNumber } from '../cli/commands/train.ts';
import { type ChildRun, KilnChild } from './kiln-child.ts';
import { median } from './timing.ts';

const USAGE = 'usage: npx tsx bench/binary-run.ts [--rounds N] [--export]';

/** A reason to stop, said on stderr with exit `code` (1: the run or the build; 2: the command line). */
class Stop extends Error {
  constructor(message: string, readonly code: 1 | 2) { super(message); }
}

function fail(message: string, code: 1 | 2 = 1): never {
  throw new Stop(message, code);
}

interface Config { name: string; net: 'binary' | 'f32'; kernels: 'wasm' | 'js' }
const CONFIGS: Config[] = [
  { name: 'binary, lowered', net: 'binary', kernels: 'wasm' },
  { name: 'f32 twin', net: 'f32', kernels: 'wasm' },
  { name: 'f32 twin, KILN_KERNELS=js', net: 'f32', kernels: 'js' },
  { name: 'binary, lowered, KILN_KERNELS=js', net: 'binary', kernels: 'js' },
];
const [BIN, TWIN, TWIN_JS, BIN_JS] = [0, 1, 2, 3];
const PHASES = ['start-up', 'compile', 'data', 'checkpoint', 'lowering', 'inference', 'output'] as const;

/** `text` with `from` replaced, refusing a source that no longer has it (the example changed). */
function edit(text: string, from: string, to: string, count: number): string {
  const n = text.split(from).length - 1;
  if (n !== count) fail(`examples/binary_mlp.kiln: expected ${count}× \`${from}\`, found ${n}: update bench/binary-run.ts to the example`);
  return text.replaceAll(from, to);
}

function options(argv: readonly string[]): { rounds: number; fromExport: boolean } {
  // parseArgs and wholeNumber word their errors for the kiln command ("kiln binary-run: …"); this is
  // a script, so that prefix goes and its own name leads (fail).
  try {
    const a = parseArgs(argv, { '--rounds': { value: true }, '--export': {} }, 'binary-run');
    if (a.positional.length) throw new UsageError(`takes no file or other argument, not '${a.positional[0]}'`);
    const rounds = wholeNumber('binary-run', '--rounds', a.flags.get('--rounds')?.[0], 1) ?? 5;
    // The median of an even count is the upper of the middle two (bench/timing.ts): with 2 rounds
    // every figure would be its larger sample, so only odd counts give a median that was measured.
    if (rounds % 2 === 0) throw new UsageError(`--rounds must be odd, so each median is one measured round (got ${rounds}; try ${rounds + 1})`);
    return { rounds, fromExport: a.flags.has('--export') };
  } catch (e) {
    if (e instanceof UsageError) fail(`${e.message.replace(/^kiln binary-run: /, '')}\n${USAGE}`, 2);
    throw e;
  }
}

/** What one `kiln run --json` printed: its predictions, and the accuracy they score. */
interface Output { predictions: number[]; accuracy: number }

function main(argv: readonly string[]): number {
  const { rounds, fromExport } = options(argv);
  if (!distIsCurrent()) fail('dist/ is missing or older than the sources, so bin/kiln.js would run the TypeScript sources through tsx and this bench would time its compiler: run `npm run build` first');
  const build = readStamp();
  const example = readFileSync(path.join(ROOT, 'examples/binary_mlp.kiln'), 'utf8');
  const binarySrc = edit(edit(example, 'train = 8000', 'train = 200', 1), 'epochs 15', 'epochs 1', 1);
  const f32Src = edit(binarySrc, ', weights = binary', '', 4);

  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-binary-run-'));
  const kiln = new KilnChild();
  /** A child that must succeed on the bundle the bench started with. */
  const run = (argv: string[], what: string, env: Record<string, string> = {}): ChildRun => {
    let r: ChildRun;
    try {
      r = kiln.run(argv, { KILN_FROM_SOURCE: '0', ...env });
    } catch (e) {
      // A child killed by a signal, out of memory or past the output buffer leaves no CPU report.
      fail(`kiln ${what}: ${(e as Error).message}`);
    }
    // A source edited mid-run sends the child to tsx; say so before its exit status, which a
    // half-edited source may also have set.
    if (r.entry !== 'dist') fail(`kiln ${what} ran the TypeScript sources through tsx, not dist/: a source changed during the bench, so the sample would time tsx's compiler. Let the edit settle, run \`npm run build\` and start again`);
    if (r.status !== 0) fail(`kiln ${what} failed (exit ${r.status}): ${r.stderr}`);
    return r;
  };
  const load0 = loadavg();
  try {
    const weights: Record<Config['net'], string> = { binary: '', f32: '' };
    const files: Record<Config['net'], string> = { binary: path.join(dir, 'binary_mlp.kiln'), f32: path.join(dir, 'f32_twin.kiln') };
    writeFileSync(files.binary, binarySrc);
    writeFileSync(files.f32, f32Src);
    for (const net of ['binary', 'f32'] as const) {
      const ckpt = path.join(dir, `${net}.ckpt`);
      console.error(`binary-run: training the ${net === 'binary' ? 'binary_mlp' : 'f32 twin'} (1 epoch on 200 digits) …`);
      run(['train', files[net], '--checkpoint', ckpt], `train ${net}`);
      weights[net] = ckpt;
      if (fromExport) {
        weights[net] = path.join(dir, `${net}.model`);
        run(['export', files[net], '--checkpoint', ckpt, '--out', weights[net]], `export ${net}`);
      }
    }

    const runs = CONFIGS.map(() => [] as { cpuS: number; phases: Map<string, number> }[]);
    const outputs: (Output | undefined)[] = CONFIGS.map(() => undefined);
    const problems: string[] = [];
    let lowering = '';
    for (let round = 0; round <= rounds; round++) {
      const line: string[] = [];
      for (let j = 0; j < CONFIGS.length; j++) {
        const i = (j + round) % CONFIGS.length, c = CONFIGS[i]!;
        const r = run(['run', files[c.net], '--checkpoint', weights[c.net], '--input', 'mnist:test', '--timing', '--json'], `run (${c.name})`,
          { KILN_KERNELS: c.kernels, KILN_THREADS: '1' });
        const rows = parsePhaseTiming(r.stderr);
        if (!rows) fail(`kiln run (${c.name}) printed no --timing block: ${r.stderr}`);
        const out = readOutput(r.stdout, c.name);
        const first = outputs[i] ??= out;
        const differ = countDiffering(first.predictions, out.predictions);
        if (differ) problems.push(`${c.name}: ${differ} predictions in round ${round} differ from the warm-up round's`);
        if (i === BIN) lowering = rows.find((p) => p.phase === 'lowering')?.note ?? '';
        line.push(`${c.name} ${r.cpuS.toFixed(2)} s`);
        // Round 0 warms the file cache and the MNIST cache; it is not counted.
        if (round > 0) runs[i]!.push({ cpuS: r.cpuS, phases: new Map(rows.map((p) => [p.phase, p.cpu])) });
      }
      // A rebuild between rounds (sources edited and built again) passes every child's check but
      // would mix two builds in one median.
      if (readStamp() !== build || !distIsCurrent()) fail(`dist/ was rebuilt, or a source changed, during round ${round}: the rounds would mix builds or time tsx. Run \`npm run build\` and the bench again once the sources settle`);
      console.error(`binary-run: ${round === 0 ? 'warm-up' : `round ${round}/${rounds}`}: ${line.join(', ')}`);
    }

    const whole = runs.map((rs) => median(rs.map((r) => r.cpuS)));
    // A phase some rounds lack is the median of the rounds that have it (NaN, a dash, when none do):
    // a NaN inside the sort would leave the order, and so the median, arbitrary.
    const phase = (i: number, p: string) => {
      const had = runs[i]!.flatMap((r) => { const v = r.phases.get(p); return v === undefined ? [] : [v]; });
      return had.length ? median(had) : NaN;
    };
    const inference = CONFIGS.map((_, i) => phase(i, 'inference'));
    // The f32 twin has no lowering phase: a dash, not 0 ms.
    const ms = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(0));
    const load1 = loadavg();
    console.log(`kiln run binary_mlp (hidden 1024) and its f32 twin on the 2,000 MNIST test digits, from ${fromExport ? 'kiln export models' : 'training checkpoints'}, one thread; `
      + `CPU medians of ${rounds} rounds; load average ${load0[0]!.toFixed(1)} → ${load1[0]!.toFixed(1)} (1 min), ${load0[1]!.toFixed(1)} → ${load1[1]!.toFixed(1)} (5 min)`);
    console.log('');
    console.log(`| run | whole command, CPU s (min–max) | ${PHASES.map((p) => `${p}, ms`).join(' | ')} | whole ÷ binary | inference ÷ binary | accuracy |`);
    console.log(`|---|---:|${PHASES.map(() => '---:').join('|')}|---:|---:|---|`);
    CONFIGS.forEach((c, i) => {
      const cpu = runs[i]!.map((r) => r.cpuS);
      console.log(`| ${c.name} | ${whole[i]!.toFixed(2)} (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}) | `
        + `${PHASES.map((p) => ms(phase(i, p))).join(' | ')} | ${(whole[i]! / whole[BIN]!).toFixed(2)}× | `
        + `${(inference[i]! / inference[BIN]!).toFixed(2)}× | ${(100 * outputs[i]!.accuracy).toFixed(2)}% |`);
    });
    const ratio = (twin: number, bin: number) => `${(inference[twin]! / inference[bin]!).toFixed(2)}× inference, ${(whole[twin]! / whole[bin]!).toFixed(2)}× whole command`;
    console.log('');
    console.log(`twin ÷ binary, both on WebAssembly (issue 15's goal: ≥ 7× end to end): ${ratio(TWIN, BIN)}`);
    console.log(`twin ÷ binary, both on KILN_KERNELS=js: ${ratio(TWIN_JS, BIN_JS)}`);
    console.log(`twin on KILN_KERNELS=js ÷ binary on WebAssembly: ${ratio(TWIN_JS, BIN)} (not like for like: also counts the SIMD speed-up of the first layer and batch norm, which are not binary)`);
    console.log(`f32 twin: ${countDiffering(outputs[TWIN]!.predictions, outputs[TWIN_JS]!.predictions)} of ${outputs[TWIN]!.predictions.length} predictions differ between the kernel paths (allowed: its fp32 sums are added in another order on each)`);
    console.log(`binary lowering: ${lowering}`);
    const acrossPaths = countDiffering(outputs[BIN]!.predictions, outputs[BIN_JS]!.predictions);
    if (acrossPaths) problems.push(`the binary network's predictions differ between KILN_KERNELS=wasm and js on ${acrossPaths} digits, though its integer kernels should agree bit for bit`);
    if (problems.length) fail(`the runs' predictions do not agree:\n  ${problems.join('\n  ')}`);
    return 0;
  } finally {
    kiln.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOutput(stdout: string, name: string): Output {
  try {
    const out = JSON.parse(stdout) as Partial<Output>;
    if (Array.isArray(out.predictions) && typeof out.accuracy === 'number') return out as Output;
  } catch { /* reported below, with what was printed */ }
  return fail(`kiln run (${name}) --json printed no predictions and accuracy: ${stdout.slice(0, 200)}`);
}

/** How many of two prediction lists' entries differ (a length mismatch counts every missing one). */
function countDiffering(a: readonly number[], b: readonly number[]): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof Stop)) throw e;
  console.error(`bench/binary-run: ${e.message}`);
  process.exitCode = e.code;
}
