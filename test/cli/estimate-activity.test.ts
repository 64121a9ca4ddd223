/**
 * `kiln estimate` prices with activity: a hand-written activity file scales the priced MACs by
 * the non-zero fraction of each layer's input only on a target that declares zero_skipping
 * (`skip`: MACs and compute cycles; `gate`: MACs, not cycles), and neuromorphic spikes by the
 * firing rates; --save-activity then --activity prices exactly as --measure; malformed activity
 * files are located input errors; --json gives layers[].activity = {value, source, priced_by}.
 */
import * as path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { TINY_SNN } from '../helpers/tiny-snn.ts';

afterAll(removeTempFiles);

interface Layer { name: string; macs: number; cycles?: number; compute_cycles?: number; energy_j: number; activity?: { value: Record<string, number>; source: string; priced_by: string | null } }
interface Entry { target: string; summary: { energy_j: number; macs: number; cycles?: number }; layers: Layer[] }
const results = (out: string) => (JSON.parse(out) as { results: Entry[] }).results;
const layer = (e: Entry, name: string) => e.layers.find((l) => l.name === name)!;

const MLP = `network m(batch = 8) {
  input x : f32[batch, 1, 28, 28]
  f = flatten(x)
  h = dense(f, 64) -> relu
  y = dense(h, 10)
  output y
}
train m { data mnist(train = 64, test = 64)  epochs 1  batch 8  seed 1  optimizer adam(lr = 1e-3) }
`;
const SNN = TINY_SNN;
const TARGETS = `# Hypothetical targets with zero-skipping, for the tests.
target sparse_cpu extends avx2_laptop { zero_skipping skip }
target partial_cpu extends avx2_laptop { zero_skipping skip  zero_skip_fraction 0.8  zero_skip_overhead 0.1 }
target gated_array extends systolic_32x32 { zero_skipping gate }
target skipping_array extends systolic_32x32 { zero_skipping skip }
target bad_fraction extends avx2_laptop { zero_skipping gate  zero_skip_fraction 1.5 }
`;
const activityFile = (layers: object) => JSON.stringify({ kiln: 'activity', version: 1, layers }, null, 2);
const dir = tempFiles({
  'm.kiln': MLP, 's.kiln': SNN, 't.kiln': TARGETS,
  'a.json': activityFile({ f: { zero_fraction: 0.25 }, h: { zero_fraction: 0.5 } }),
  'r1.json': activityFile({ x: { firing_rate: 0.1 }, h: { firing_rate: 0.1 }, y: { firing_rate: 0.1 } }),
  'r2.json': activityFile({ x: { firing_rate: 0.2 }, h: { firing_rate: 0.2 }, y: { firing_rate: 0.2 } }),
});
const at = (f: string) => path.join(dir, f);
const t = (name: string) => `${at('t.kiln')}:${name}`;
const estimate = (...argv: string[]) => {
  const r = runMain(['estimate', ...argv, '--json']);
  expect(r.code, r.err).toBe(0);
  return results(r.out);
};

describe('a hand-written activity file', () => {
  const [dense, skip, partial, plainArray, gated] = estimate(at('m.kiln'), '--target', 'avx2_laptop', '--target', t('sparse_cpu'), '--target', t('partial_cpu'),
    '--target', 'systolic_32x32', '--target', t('gated_array'), '--activity', at('a.json'));
  const denseMacs = { 'h.dense': 8 * 784 * 64, y: 8 * 64 * 10 };

  it('changes nothing on a target without zero_skipping (the shipped presets)', () => {
    expect(layer(dense!, 'h.dense').macs).toBe(denseMacs['h.dense']);
    expect(layer(plainArray!, 'y').macs).toBe(denseMacs.y);
    expect(layer(dense!, 'h.dense').activity).toEqual({ value: { input_zero_fraction: 0.25 }, source: 'file', priced_by: null });
  });

  it('skips the products of zero inputs where the target says so: MACs and compute cycles × the non-zero fraction', () => {
    expect(layer(skip!, 'h.dense').macs).toBe(denseMacs['h.dense'] * 0.75);
    expect(layer(skip!, 'y').macs).toBe(denseMacs.y * 0.5);
    expect(layer(skip!, 'h.dense').compute_cycles! / layer(dense!, 'h.dense').compute_cycles!).toBeCloseTo(0.75, 12);
    expect(layer(skip!, 'h.dense').activity).toEqual({ value: { input_zero_fraction: 0.25 }, source: 'file', priced_by: 'input_zero_fraction' });
    // 1 − 0.8 · 0.25 + 0.1 of the products.
    expect(layer(partial!, 'h.dense').macs).toBe(Math.round(denseMacs['h.dense'] * 0.9));
  });

  it('gates them on an array: MAC energy × the non-zero fraction, cycles unchanged', () => {
    expect(layer(gated!, 'h.dense').macs).toBe(denseMacs['h.dense'] * 0.75);
    expect(layer(gated!, 'h.dense').cycles).toBe(layer(plainArray!, 'h.dense').cycles);
    expect(gated!.summary.energy_j).toBeLessThan(plainArray!.summary.energy_j);
  });

  it('scales neuromorphic spikes by its firing rates, as --rate does', () => {
    const [r1] = estimate(at('s.kiln'), '--target', 'loihi_1chip', '--activity', at('r1.json'));
    const [r2] = estimate(at('s.kiln'), '--target', 'loihi_1chip', '--activity', at('r2.json'));
    const [flag] = estimate(at('s.kiln'), '--target', 'loihi_1chip', '--rate', '0.2');
    for (const name of ['h', 'y']) {
      expect(layer(r2!, name).macs / layer(r1!, name).macs).toBeCloseTo(2, 12);
      expect(layer(r2!, name).activity).toEqual({ value: { firing_rate: 0.2 }, source: 'file', priced_by: 'firing_rate' });
      expect(layer(flag!, name).activity!.source).toBe('flag');
    }
    expect(r2!.summary.energy_j).toBeCloseTo(flag!.summary.energy_j, 15);
  });

  it('shows the activity and its source in a column of the per-layer table', () => {
    const r = runMain(['estimate', at('m.kiln'), '--target', t('sparse_cpu'), '--activity', at('a.json'), '--per-layer']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bound \/ unit\s+activity\s+params/);
    expect(r.out).toMatch(/h\.dense .*input zeros 25\.0% · file/);
    const none = runMain(['estimate', at('m.kiln'), '--target', 'avx2_laptop', '--per-layer']);
    expect(none.out).toMatch(/h\.dense .*dense · default/);
  });
});

describe('--save-activity then --activity', () => {
  it('prices every kind of target exactly as --measure did', () => {
    const file = at('saved.json');
    const targets = ['--target', t('sparse_cpu'), '--target', t('gated_array'), '--target', 'loihi_1chip'];
    const m = runMain(['estimate', at('s.kiln'), ...targets, '--measure', 'mnist:test', '--samples', '16', '--save-activity', file, '--json']);
    expect(m.code, m.err).toBe(0);
    expect(m.err).toContain('untrained (initialized) weights');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { kiln: string; version: number; measured: { samples: number }; layers: Record<string, Record<string, unknown>> };
    expect([saved.kiln, saved.version, saved.measured.samples]).toEqual(['activity', 1, 16]);
    expect((saved.layers.h!.neuron_rates as number[]).length).toBe(32);
    const again = estimate(at('s.kiln'), ...targets, '--activity', file);
    const measured = results(m.out);
    // Only the sources differ: measured, and read from a file.
    const strip = (e: Entry) => ({ ...e, layers: e.layers.map((l) => ({ ...l, activity: { ...l.activity, source: undefined }, details: { ...(l as { details?: object }).details, rate_source: undefined } })) });
    expect(again.map(strip)).toEqual(measured.map(strip));
    expect(layer(measured[0]!, 'y.dense').activity!.source).toBe('measured');
    expect(layer(again[0]!, 'y.dense').activity!.source).toBe('file');
    expect(layer(again[0]!, 'y.dense').activity!.priced_by).toBe('input_zero_fraction');
  });
});

describe('activity files that are not right are located input errors', () => {
  const cases: [string, string, RegExp][] = [
    ['bad JSON', '{"kiln": "activity", "version": 1,\n  "layers": {"h": {"zero_fraction": 0.5},}}', /bad-json\.json:2:42: error: invalid JSON/],
    ['wrong version', '{"kiln": "activity",\n "version": 2, "layers": {}}', /wrong-version\.json:2:2: error: activity file version 2 is not one this Kiln reads/],
    ['not an activity file', '{"x": 0.1}', /not-an-activity-file\.json:1:1: error: .* is not an activity file/],
    ['unknown layer', '{"kiln": "activity", "version": 1, "layers": {\n  "hh": {"zero_fraction": 0.5}}}', /unknown-layer\.json:2:3: error: the activity file names `hh`, which is not a layer of `m`[^]*did you mean `h`/],
    ['value out of range', '{"kiln": "activity", "version": 1, "layers": {\n  "h": {"zero_fraction": 1.5}}}', /value-out-of-range\.json:2:9: error: `h\.zero_fraction` must be a fraction in \[0, 1\], not 1\.5/],
    ['unknown key', '{"kiln": "activity", "version": 1, "layers": {"h": {"zero_fractoin": 0.5}}}', /unknown activity `zero_fractoin`[^]*did you mean `zero_fraction`/],
    ['a rate on a relu', '{"kiln": "activity", "version": 1, "layers": {"h": {"firing_rate": 0.5}}}', /`h` is a relu layer, which does not spike/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      const file = at(`${name.replace(/\W+/g, '-').toLowerCase()}.json`);
      writeFileSync(file, text);
      const r = runMain(['estimate', at('m.kiln'), '--target', 'avx2_laptop', '--activity', file]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(STACK_TRACE);
      expect(r.out).toBe('');
    });
  }

  it('neuron rates of the wrong length', () => {
    const file = at('short.json');
    writeFileSync(file, activityFile({ h: { neuron_rates: [0.1, 0.2] } }));
    const r = runMain(['estimate', at('s.kiln'), '--target', 'loihi_1chip', '--activity', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/short\.json:\d+:\d+: error: `h\.neuron_rates` must be 32 rates in \[0, 1\]/);
  });
});

describe('zero-skipping targets and activity options are checked', () => {
  it('an array cannot skip, only gate; fractions are in [0, 1]: errors at the property', () => {
    const skip = runMain(['estimate', at('m.kiln'), '--target', t('skipping_array')]);
    expect(skip.code).toBe(1);
    expect(skip.err).toMatch(/t\.kiln:5:\d+: error: `skipping_array` is a systolic array[^]*zero_skipping gate/);
    const frac = runMain(['estimate', at('m.kiln'), '--target', t('bad_fraction')]);
    expect(frac.code).toBe(1);
    expect(frac.err).toMatch(/t\.kiln:6:\d+: error: `zero_skip_fraction` of `bad_fraction` must be a fraction in \[0, 1\], not 1\.5/);
  });

  it('usage errors (exit 2)', () => {
    const cases: [string[], RegExp][] = [
      [['--save-activity', at('o.json')], /--save-activity writes the activity --measure DATA measured; add --measure/],
      [['--activity', at('a.json'), '--measure', 'mnist:test'], /drop --rate, --rates and --measure/],
      [['--activity', at('a.json'), '--training'], /--activity is the activity inference is priced with/],
      [['--measure', 'mnist:test', '--save-activity', dir], /--save-activity .* names a directory|--save-activity .*regular file/],
    ];
    for (const [extra, msg] of cases) {
      const r = runMain(['estimate', at('m.kiln'), '--target', 'avx2_laptop', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});
