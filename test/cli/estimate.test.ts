/**
 * `kiln estimate` says what each figure is for: the batch it covers and one inference; a target
 * that cannot run the network is n/a while the others print; presets leave nothing to warn about;
 * rates can be measured or read from the file `kiln partition --save-rates` writes; a user's
 * target extends a shipped preset by name from a folder outside the repository.
 */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { examplesDir } from '../helpers/paths.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { TINY_SNN } from '../helpers/tiny-snn.ts';

afterAll(removeTempFiles);

interface Entry { target: string; kind: string; error?: string; summary: { batch: number; latency_s: number; energy_j: number; timesteps?: number; per_inference: { latency_s: number; energy_j: number } }; warnings: string[]; notes: string[] }
const results = (out: string) => (JSON.parse(out) as { results: Entry[] }).results;
const lenet = path.join(examplesDir, 'lenet5.kiln');
const mlp = path.join(examplesDir, 'mlp.kiln');

const SNN = TINY_SNN;

describe('every figure says its basis', () => {
  it('CPU and array figures cover the whole batch; per inference is the batch figure ÷ the batch', () => {
    const r = runMain(['estimate', lenet, '--target', 'avx2_laptop', '--target', 'systolic_32x32', '--json']);
    expect(r.code).toBe(0);
    for (const e of results(r.out)) {
      expect(e.summary.batch).toBe(64); // lenet5's batch parameter
      expect(e.summary.per_inference.energy_j * 64).toBeCloseTo(e.summary.energy_j, 12);
      expect(e.summary.per_inference.latency_s * 64).toBeCloseTo(e.summary.latency_s, 12);
    }
    const one = results(runMain(['estimate', lenet, '--target', 'avx2_laptop', '--json', '--set', 'batch=1']).out)[0]!;
    expect(one.summary.batch).toBe(1);
    expect(one.summary.per_inference.energy_j).toBe(one.summary.energy_j);
  });

  it('a neuromorphic estimate is one sample through all its time steps, whatever the batch', () => {
    const snn = path.join(tempFiles({ 's.kiln': SNN }), 's.kiln');
    const r = runMain(['estimate', snn, '--target', 'loihi_1chip', '--target', 'avx2_laptop', '--rate', '0.05', '--json']);
    expect(r.code).toBe(0);
    const [loihi, cpu] = results(r.out);
    expect(loihi!.summary.batch).toBe(1);
    expect(loihi!.summary.timesteps).toBe(4);
    expect(loihi!.summary.per_inference).toEqual({ latency_s: loihi!.summary.latency_s, energy_j: loihi!.summary.energy_j });
    expect(cpu!.summary.batch).toBe(8);
    const text = runMain(['estimate', snn, '--target', 'loihi_1chip', '--target', 'avx2_laptop', '--rate', '0.05']).out;
    expect(text).toMatch(/batch costed\s+1 sample, 4 steps\s+8 samples/);
    expect(text).toMatch(/latency \/ inference .*\nenergy \/ inference .*\nlatency \/ batch .*\nenergy \/ batch /);
    expect(text).toContain('per inference = the batch figure ÷ the batch');
  });
});

/** Warning lines other than a precision the target cannot compute natively (which Kiln prices as assumed quantized). */
function presetWarnings(err: string): string[] {
  return err.split('\n').filter((l) => l.trim() !== '' && !/Kiln ASSUMES .* quantized to/.test(l));
}

describe('presets', () => {
  it('the shipped examples on the CPU and array presets print no warning; what a preset leaves out is one note', () => {
    for (const ex of ['lenet5', 'binary_mlp', 'mlp', 'ptb_lstm']) {
      const argv = ['estimate', path.join(examplesDir, `${ex}.kiln`), '--set', 'batch=1'];
      for (const t of ['avx2_laptop', 'avx512_vnni_server', 'neon_core', 'systolic_32x32', 'systolic_128x128', 'tpu_v1_like']) argv.push('--target', t);
      const r = runMain(argv);
      expect(r.code).toBe(0);
      // f32 layers on the int8 TPU are priced as int8 and said to be: the network's precision, not the preset's fault.
      expect(presetWarnings(r.err)).toEqual([]);
      if (ex !== 'binary_mlp') expect(r.err).toMatch(/tpu_v1_like: cannot compute f32 .* Kiln ASSUMES/);
      // systolic_32x32 and 128x128 (SCALE-Sim's default config) give neither DRAM bandwidth nor static power.
      expect(r.out.match(/^note: .*$/gm)).toEqual([
        'note: systolic_32x32 does not model DRAM stalls (no `dram` bandwidth: transfers are taken to overlap compute, SCALE-Sim\'s CALC mode); static power (no `static_power`)',
        'note: systolic_128x128 does not model DRAM stalls (no `dram` bandwidth: transfers are taken to overlap compute, SCALE-Sim\'s CALC mode); static power (no `static_power`)',
      ]);
    }
  });
});

describe('a target that cannot run the network', () => {
  it('is n/a in its column, with the reason, while the others print (exit 0)', () => {
    const r = runMain(['estimate', mlp, '--target', 'avx2_laptop', '--target', 'loihi_1chip']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kind\s+simd_cpu\s+n\/a: the network has no lif layers$/m);
    expect(r.out).toContain('n/a: loihi_1chip: mlp cannot run on `loihi_1chip`: the network has no lif layers');
    expect(r.out).toMatch(/energy \/ inference\s+\S+ µJ/);
    expect(r.err).toContain('warning: mlp cannot run on `loihi_1chip`');
  });

  it('is an entry with an error field in --json, the other entries unchanged', () => {
    const r = runMain(['estimate', mlp, '--target', 'loihi_32chip', '--target', 'tpu_v1_like', '--json']);
    expect(r.code).toBe(0);
    const [loihi, tpu] = results(r.out);
    expect(loihi).toEqual({ target: 'loihi_32chip', kind: 'neuromorphic', error: expect.stringMatching(/no lif layers/) });
    expect(tpu!.summary.energy_j).toBeGreaterThan(0);
  });

  it('when no target can run it, the command fails (exit 1) with the reason', () => {
    const r = runMain(['estimate', mlp, '--target', 'loihi_1chip', '--json']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('error: mlp cannot run on `loihi_1chip`');
    expect(r.err).not.toMatch(STACK_TRACE);
  });
});

describe('firing rates', () => {
  it('the assumed-rate warning names options that exist', () => {
    const snn = path.join(tempFiles({ 's.kiln': SNN }), 's.kiln');
    const r = runMain(['estimate', snn, '--target', 'loihi_1chip']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('--measure DATA [--checkpoint PATH]');
    expect(r.err).not.toContain('--measure-rates');
    const help = runMain(['estimate', '--help']).out;
    for (const flag of ['--rate ', '--rates ', '--measure ', '--checkpoint ']) expect(help).toContain(flag);
  });

  it('partition --measure --save-rates writes a rates file that estimate --rates reads back to the same cost', () => {
    // loihi_1chip without static power, so the one-core-per-layer packing below is kept: with it
    // the estimate spreads the work over idle cores (targets/neuromorphic/cost.ts), and per-neuron
    // rates and their per-layer means may spread differently.
    const quiet = readFileSync(path.join(examplesDir, '..', 'targets', 'presets', 'loihi-1chip.kiln'), 'utf8').replace(/^\s*static_power .*$/m, '');
    const dir = tempFiles({ 's.kiln': SNN, 'quiet.kiln': quiet });
    const snn = path.join(dir, 's.kiln'), file = path.join(dir, 'rates.json');
    const loihi = `${path.join(dir, 'quiet.kiln')}:loihi_1chip`;
    const p = runMain(['partition', snn, '--target', loihi, '--measure', 'mnist:test', '--samples', '16', '--save-rates', file, '--json']);
    expect(p.code).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    expect(Object.keys(saved).sort()).toEqual(['h', 'x', 'y']);
    for (const v of Object.values(saved)) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
    const viaFile = runMain(['estimate', snn, '--target', loihi, '--rates', file, '--json']);
    expect(viaFile.code).toBe(0);
    expect(presetWarnings(viaFile.err)).toEqual([]);
    const measured = runMain(['estimate', snn, '--target', loihi, '--measure', 'mnist:test', '--samples', '16', '--json']);
    expect(measured.code).toBe(0);
    // One core per layer: per-neuron rates and their per-layer means give the same event counts.
    const partitionJ = (JSON.parse(p.out) as { summary: { energy_j: { per_inference: number } } }).summary.energy_j.per_inference;
    expect(results(viaFile.out)[0]!.summary.energy_j).toBeCloseTo(partitionJ, 15);
    expect(results(measured.out)[0]!.summary.energy_j).toBeCloseTo(partitionJ, 15);
    expect(measured.err).toContain('untrained (initialized) weights');
  });

  it('rate options are checked as usage errors (exit 2)', () => {
    const snn = path.join(tempFiles({ 's.kiln': SNN }), 's.kiln');
    const cases: [string[], RegExp][] = [
      [['estimate', snn, '--target', 'loihi_1chip', '--checkpoint', 'c.json'], /add --measure/],
      [['estimate', snn, '--target', 'loihi_1chip', '--rate', '0.1', '--measure', 'mnist:test'], /one of --rate, --rates and --measure/],
      [['estimate', snn, '--target', 'loihi_1chip', '--measure', 'cifar:test'], /--measure takes mnist:test/],
      [['partition', snn, '--target', 'loihi_1chip', '--rate', '0.1', '--save-rates', 'r.json'], /--save-rates writes the rates --measure/],
    ];
    for (const [argv, msg] of cases) {
      const r = runMain(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});

describe('a user target extends a shipped preset by name', () => {
  const dir = tempFiles({
    'mine.kiln': '# my accelerator: the TPU-like array with MACs twice as dear\ntarget my_tpu extends tpu_v1_like {\n  energy { mac.i8 0.46 pJ }\n}\n',
    'wrong.kiln': 'target my_tpu : tpu_v1_like { clock 1400 MHz }\n',
    'missing.kiln': 'target my_tpu extends tpu_v9 { clock 1400 MHz }\n',
  });

  it('from a folder outside the repository: its own MAC energy, everything else the preset\'s', () => {
    const r = runMain(['estimate', lenet, '--target', path.join(dir, 'mine.kiln'), '--target', 'tpu_v1_like', '--json', '--set', 'batch=1']);
    expect(r.code).toBe(0);
    const [mine, base] = results(r.out) as (Entry & { summary: { cycles: number; breakdown_j: Record<string, number> } })[];
    expect(mine!.target).toBe('my_tpu');
    expect(mine!.summary.cycles).toBe(base!.summary.cycles);
    expect(mine!.summary.breakdown_j.compute).toBeCloseTo(2 * base!.summary.breakdown_j.compute!, 15);
    expect(mine!.summary.breakdown_j.dram).toBe(base!.summary.breakdown_j.dram);
    expect(runMain(['check', path.join(dir, 'mine.kiln')]).code).toBe(0);
  });

  it('`target t : preset` is an error at its position that says to write extends', () => {
    const r = runMain(['check', path.join(dir, 'wrong.kiln')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(dir, 'wrong.kiln')}:1:17: error: \`tpu_v1_like\` is a target, not a target kind`);
    expect(r.err).toContain('write `target my_tpu extends tpu_v1_like`');
  });

  it('an unknown base is an error with a did-you-mean over the presets', () => {
    const r = runMain(['check', path.join(dir, 'missing.kiln')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('undefined target `tpu_v9`');
  });
});
