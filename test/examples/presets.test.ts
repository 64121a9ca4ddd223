import { describe, it, expect } from 'vitest';
import * as path from 'node:path';
import { checkFile } from '../../compiler/driver.ts';
import { kilnFiles, presetsDir } from '../helpers/paths.ts';

const presets = kilnFiles(presetsDir);

describe('target presets', () => {
  it('are all there', () => {
    expect(presets.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of presets) {
    it(`${path.basename(file)} checks clean and declares one target named like the file`, () => {
      const r = checkFile(file);
      expect(r.diagnostics).toEqual([]);
      const own = [...r.program.targets.values()].filter((d) => d.name.loc.file === file).map((d) => d.name.name);
      expect(own).toEqual([path.basename(file, '.kiln').replace(/-/g, '_')]);
      expect(r.targets.has(own[0]!)).toBe(true);
      // Every property carries a value and the position it was written at.
      for (const t of r.targets.values()) {
        for (const p of Object.values(t.props)) {
          expect(p.source.line).toBeGreaterThan(0);
          expect(p.value).toBeDefined();
        }
      }
    });
  }

  it('tpu-v1-like: 256 × 256 int8 at 700 MHz, 12 MiB buffers, 34 GB/s (Jouppi et al. 2017)', () => {
    const t = checkFile(path.join(presetsDir, 'tpu-v1-like.kiln')).targets.get('tpu_v1_like')!;
    expect(t.kind).toBe('systolic');
    expect(t.props.array!.value).toEqual([256, 256]);
    expect(t.props.clock!.value).toBe(700e6);
    expect(t.props['sram.ifmap']!.value).toBe(12 * 2 ** 20);
    expect(t.props.dram!.value).toBe(34e9);
    expect(t.props.word!.value).toBe('i8');
  });

  it('loihi-32chip extends loihi-1chip: its own chip count, the base per-core limits with their source file', () => {
    const r = checkFile(path.join(presetsDir, 'loihi-32chip.kiln'));
    expect(r.diagnostics).toEqual([]);
    const t = r.targets.get('loihi_32chip')!;
    expect(t.extends).toEqual(['loihi_1chip']);
    expect(t.props.chips!.value).toBe(32);
    expect(t.props.chip_mesh!.value).toEqual([4, 8]);
    expect(t.props['limit.neurons']!.value).toBe(1024);
    expect(t.props['limit.neurons']!.source.file).toBe(path.join(presetsDir, 'loihi-1chip.kiln'));
    expect(t.props.chips!.source.file).toBe(path.join(presetsDir, 'loihi-32chip.kiln'));
    expect(t.props.timestep!.value as number).toBeCloseTo(16.2e-6, 12);
    expect(t.props['energy.spike.chip']!.value as number).toBeCloseTo(0.83e-9, 18);
    // The base table's entries are inherited alongside the new one.
    expect(t.props['energy.synop']!.value as number).toBeCloseTo(23.6e-12, 20);
  });
});
