import { describe, it, expect } from 'vitest';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { checkText, expectDiagnostic, expectDiagnostics } from '../helpers/kiln.ts';

function target(src: string, name: string, files?: Record<string, string>): TargetDescription {
  const r = checkText(src, { files });
  expect(r.diagnostics).toEqual([]);
  const t = r.targets.get(name);
  if (!t) throw new Error(`no target ${name}`);
  return t;
}

const values = (t: TargetDescription) => Object.fromEntries(Object.entries(t.props).map(([k, p]) => [k, p.value]));
const errorsOf = (src: string, files?: Record<string, string>) => checkText(src, { files }).diagnostics;

const systolic = `target tpu : systolic {
  array 256 x 128   dataflow ws   clock 700 MHz   word i8   accumulator i32
  sram ifmap 12 MiB   sram filter 1.5 KiB   sram ofmap 4 MB
  dram 34 GB/s   vector 256
  energy { mac.i8 0.2 pJ   sram.read 5 pJ/word   dram.read 1.3 nJ/access }   # cite a source
  static_power 40 W
}
`;

describe('target blocks: the three kinds', () => {
  it('reads a systolic target with every value in SI base units', () => {
    const t = target(systolic, 'tpu');
    expect(t.kind).toBe('systolic');
    expect(t.extends).toEqual([]);
    const v = values(t);
    expect(v).toMatchObject({
      array: [256, 128], dataflow: 'ws', clock: 700e6, word: 'i8', accumulator: 'i32',
      'sram.ifmap': 12 * 1024 * 1024, 'sram.filter': 1536, 'sram.ofmap': 4e6, dram: 34e9, vector: 256, static_power: 40,
    });
    expect(v['energy.mac.i8']).toBeCloseTo(0.2e-12, 25);
    expect(v['energy.sram.read']).toBeCloseTo(5e-12, 25);
    expect(v['energy.dram.read']).toBeCloseTo(1.3e-9, 22);
    // The unit as written is kept for reports.
    expect(t.props.clock!.unit).toBe('MHz');
    expect(t.props['energy.sram.read']!.unit).toBe('pJ/word');
    expect(t.props.array!.unit).toBeUndefined();
  });

  it('keeps the source position of every property', () => {
    const t = target(systolic, 'tpu');
    expect(t.props.clock!.source).toEqual({ file: 'main.kiln', line: 2, col: 35, length: 5 });
    expect(t.props['sram.filter']!.source).toMatchObject({ line: 3, col: 23 });
    expect(t.props['energy.dram.read']!.source).toMatchObject({ line: 5, col: 50 });
  });

  it('reads a simd_cpu target', () => {
    const t = target('target cpu : simd_cpu {\n  cores 2  clock 2.45 GHz  macs f32 16  macs i8 32\n  cache l1 32 KiB 64 B/cycle  cache l3 16 MiB 15 B/cycle\n  dram 51 GB/s\n  energy { instr 70 pJ/instr  dram.read 1.3 nJ/access }\n}\n', 'cpu');
    expect(values(t)).toMatchObject({
      cores: 2, clock: 2.45e9, 'macs.f32': 16, 'macs.i8': 32, 'cache.l1': [32768, 64], 'cache.l3': [16 * 1024 * 1024, 15], dram: 51e9,
    });
    expect(values(t)['energy.instr']).toBeCloseTo(70e-12, 25);
  });

  it('reads a neuromorphic target with its latency table', () => {
    const t = target('target chip : neuromorphic {\n  chips 32  chip_mesh 4 x 8  cores_per_chip 128  tile_mesh 8 x 4  cores_per_tile 4\n  limit neurons 1024  limit synapse_memory 16384  weight_bits 8\n  timestep 16.2 us  static_power 104 mW\n  energy { synop 23.6 pJ/event  spike.chip 0.83 nJ/spike }\n  latency { synop 3.5 ns  hop.ew 4.1 ns }\n}\n', 'chip');
    const v = values(t);
    expect(v).toMatchObject({ chips: 32, chip_mesh: [4, 8], cores_per_chip: 128, tile_mesh: [8, 4], cores_per_tile: 4, 'limit.neurons': 1024, 'limit.synapse_memory': 16384, weight_bits: 8 });
    expect(v.timestep).toBeCloseTo(16.2e-6, 15);
    expect(v.static_power).toBeCloseTo(0.104, 12);
    expect(v['energy.spike.chip']).toBeCloseTo(0.83e-9, 20);
    expect(v['latency.synop']).toBeCloseTo(3.5e-9, 20);
    expect(v['latency.hop.ew']).toBeCloseTo(4.1e-9, 20);
  });
});

describe('target blocks: extends', () => {
  const base = 'target base : systolic {\n  array 32 x 32\n  clock 1 GHz\n  energy { mac.i8 0.23 pJ  dram.read 46 pJ/word }\n}\n';

  it('inherits the base properties and overrides them one by one, tables key by key', () => {
    const src = 'import "presets/base.kiln"\n\ntarget fast extends base {\n  clock 1.5 GHz\n  energy { mac.i8 0.1 pJ  sram.read 1 pJ/word }\n}\n';
    const t = target(src, 'fast', { 'presets/base.kiln': base });
    expect(t.kind).toBe('systolic');
    expect(t.extends).toEqual(['base']);
    const v = values(t);
    expect(v.array).toEqual([32, 32]);
    expect(v.clock).toBe(1.5e9);
    expect(v['energy.mac.i8']).toBeCloseTo(0.1e-12, 25);
    expect(v['energy.dram.read']).toBeCloseTo(46e-12, 25);
    expect(v['energy.sram.read']).toBeCloseTo(1e-12, 25);
    // Each value says where it came from: the override here, the rest in the base's file.
    expect(t.props.clock!.source).toEqual({ file: 'main.kiln', line: 4, col: 3, length: 5 });
    expect(t.props.array!.source).toEqual({ file: 'presets/base.kiln', line: 2, col: 3, length: 5 });
    expect(t.props['energy.dram.read']!.source).toMatchObject({ file: 'presets/base.kiln', line: 4 });
    expect(t.props['energy.mac.i8']!.source).toMatchObject({ file: 'main.kiln', line: 5 });
  });

  it('follows a chain of extends, nearest first', () => {
    const src = base + 'target mid extends base { clock 2 GHz }\ntarget top extends mid { array 8 x 8 }\n';
    const r = checkText(src);
    expect(r.diagnostics).toEqual([]);
    const t = r.targets.get('top')!;
    expect(t.extends).toEqual(['mid', 'base']);
    expect(values(t)).toMatchObject({ array: [8, 8], clock: 2e9 });
    expect(r.targets.get('base')!.props.clock!.value).toBe(1e9);
  });

  it('checks an extending target against its base kind', () => {
    expectDiagnostics(errorsOf(base + 'target t extends base { cores 4 }\n'), [
      { code: 'unknown-property', line: 6, col: 25, message: 'unknown property `cores` in a systolic target' },
    ]);
  });

  it('reports an undefined base with a hint to import it', () => {
    expectDiagnostics(errorsOf('target t extends tpu_v1_like { }\n'), [
      { code: 'undefined-name', line: 1, col: 18, message: 'undefined target `tpu_v1_like`', hint: 'import the file that defines it' },
    ]);
    expectDiagnostics(errorsOf(base + 'target t extends bsae { }\n'), [{ code: 'undefined-name', hint: 'did you mean `base`?' }]);
  });

  it('reports targets that extend each other', () => {
    const diags = errorsOf('target a extends b { }\ntarget b extends a { }\n');
    expect(diags).toHaveLength(2);
    expectDiagnostic(diags, { code: 'cycle', line: 2, col: 18, message: 'targets extend each other in a cycle: a → b → a' });
    expectDiagnostic(diags, { code: 'cycle', line: 1, col: 18, message: 'targets extend each other in a cycle: b → a → b' });
    expectDiagnostics(errorsOf('target a extends a { }\n'), [{ code: 'cycle', message: 'a → a' }]);
  });

  it('reports an error of a base once, not again for each target extending it', () => {
    const diags = errorsOf('target base : systolic { clock 1 GHz dataflow xs }\ntarget t extends base { }\ntarget u extends base { }\n');
    expectDiagnostics(diags, [{ code: 'property-value', line: 1, message: '`dataflow` must be one of os, ws, is, not `xs`' }]);
  });
});

describe('target blocks: errors', () => {
  it('reports an unknown kind with a suggestion', () => {
    expectDiagnostics(errorsOf('target t : systolc { }\n'), [{ code: 'unknown-kind', line: 1, col: 12, message: 'unknown target kind `systolc`', hint: 'did you mean `systolic`?' }]);
    expectDiagnostics(errorsOf('target t : gpu { }\n'), [{ code: 'unknown-kind', hint: 'kinds are simd_cpu, systolic, neuromorphic' }]);
  });

  it('reports an unknown property once, skipping its values', () => {
    expectDiagnostics(errorsOf('target t : systolic {\n  clock 1 GHz\n  arary 4 x 4\n  dram 1 GB/s\n}\n'), [
      { code: 'unknown-property', line: 3, col: 3, message: 'unknown property `arary` in a systolic target', hint: 'did you mean `array`?' },
    ]);
  });

  it('reports a unit of the wrong dimension at the unit, listing the right ones', () => {
    expectDiagnostics(errorsOf('target t : systolic { clock 5 MiB }\n'), [
      { code: 'unit', line: 1, col: 31, message: '`clock` expects frequency, but `MiB` is bytes', hint: 'write e.g. `700 MHz`; units: Hz, kHz, MHz, GHz' },
    ]);
    expectDiagnostics(errorsOf('target t : neuromorphic { latency { hop 2 pJ } }\n'), [
      { code: 'unit', col: 43, message: '`latency.hop` expects time, but `pJ` is energy' },
    ]);
    // Bytes and bandwidth are different dimensions: a size is not a rate.
    expectDiagnostics(errorsOf('target t : systolic { dram 34 GB }\n'), [{ code: 'unit', message: '`dram` expects bandwidth, but `GB` is bytes' }]);
  });

  it('reports a missing unit at the number', () => {
    expectDiagnostics(errorsOf('target t : systolic {\n  dram 34\n}\n'), [
      { code: 'unit', line: 2, col: 8, message: '`dram` needs a unit: write e.g. `34 GB/s`', hint: 'units for this property: B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s' },
    ]);
  });

  it('reports a unit where a plain number belongs', () => {
    expectDiagnostics(errorsOf('target t : systolic { vector 4 MHz }\n'), [{ code: 'property-value', col: 30, message: '`vector` expects an integer ≥ 1 but found `4 MHz`' }]);
  });

  it('reports a bad value once, then reads on', () => {
    const diags = errorsOf('target t : systolic {\n  array 4 8\n  vector 2.5\n  epochs\n  dataflow xs\n  energy 5\n  clock 1 GHz\n}\n');
    expectDiagnostics(diags, [
      { code: 'property-value', line: 2, col: 11, message: '`array` expects `x` but found `8`', hint: 'rows x columns' },
      { code: 'property-value', line: 3, col: 10, message: '`vector` expects an integer ≥ 1 but found `2.5`' },
      { code: 'unknown-property', line: 4, col: 3 },
      { code: 'property-value', line: 5, col: 12, message: '`dataflow` must be one of os, ws, is, not `xs`', hint: 'did you mean `os`?' },
      { code: 'property-value', line: 6, col: 10, message: '`energy` expects a { … } block' },
    ]);
  });

  it('reports a property set twice', () => {
    expectDiagnostics(errorsOf('target t : systolic {\n  clock 1 GHz\n  clock 2 GHz\n}\n'), [
      { code: 'duplicate-name', line: 3, col: 3, message: '`clock` is set twice', hint: 'the first is at line 2' },
    ]);
    // A keyed property may repeat with different keys, not with the same one.
    expectDiagnostics(errorsOf('target t : systolic { sram ifmap 1 KiB sram filter 1 KiB sram ifmap 2 KiB }\n'), [{ code: 'duplicate-name', message: '`sram.ifmap` is set twice' }]);
  });

  it('reports a value missing at the end of the block', () => {
    expectDiagnostics(errorsOf('target t : simd_cpu {\n  cache l1 32 KiB\n}\n'), [
      { code: 'property-value', line: 1, col: 8, message: '`cache.l1` expects a quantity like `64 B/cycle` but found the end of the block' },
    ]);
  });

  it('reports a non-property where a property name belongs', () => {
    expectDiagnostics(errorsOf('target t : systolic { 5 }\n'), [{ code: 'syntax', col: 23, message: 'expected a property name in a systolic target but found `5`' }]);
  });
});
