/**
 * Pricing by precision (docs/cost-model.md, "Pricing by precision"): one network written in f32,
 * i16, i8, ternary and binary moves fewer bytes and costs less energy in that order on every
 * preset, over the classes the preset computes; what a target cannot compute is warned about.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.ts';
import { estimate, type Workload } from '../../targets/estimate.ts';
import { presets } from '../../targets/resolve.ts';
import type { TargetResult } from '../../targets/stats.ts';
import { memoryFiles } from '../helpers/memfs.ts';

const PRECISIONS = ['f32', 'i16', 'i8', 'ternary', 'binary'] as const;

/** The same small CNN at one precision: inputs, weights and activations all of it. */
const variant = (p: string) => `network v_${p}(batch = 1) {
  input x : ${p}[batch, 4, 16, 16]
  c = conv2d(x, 16, kernel = 3, pad = 1, weights = ${p}, activations = ${p})
  f = flatten(c)
  h = dense(f, 64, weights = ${p}, activations = ${p})
  y = dense(h, 10, weights = ${p}, activations = ${p})
  output y
}`;
const SOURCE = PRECISIONS.map(variant).join('\n');

function workload(p: string): Workload {
  return { kind: 'module', module: compile(`t.kiln:v_${p}`, { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module };
}

/** Bytes moved: SRAM and DRAM words on an array (each of the target's word), cache and DRAM 64-bit accesses on a CPU. */
function bytesMoved(r: TargetResult, wordBytes: number): number {
  const memory = /^(sram|dram|l1|l2|l3)\.(read|write)$/;
  return wordBytes * r.layers.reduce((a, l) => a + Object.entries(l.actions).filter(([k]) => memory.test(k)).reduce((s, [, n]) => s + n, 0), 0);
}

/** The classes a preset computes natively, from its `macs` lines. */
const natively = (props: Record<string, unknown>) => PRECISIONS.filter((p) => `macs.${p}` in props);

describe('one network in f32 / i16 / i8 / ternary / binary', () => {
  for (const [name, target] of presets()) {
    if (target.kind === 'neuromorphic') continue;
    it(`${name}: energy and bytes moved strictly fall with precision over the classes it computes`, () => {
      const has = natively(target.props);
      expect(has.length, `${name} states its precisions`).toBeGreaterThanOrEqual(2);
      const results = has.map((p) => estimate(workload(p), target));
      const wordBytes = target.kind === 'systolic' ? ({ i8: 1, i16: 2, f32: 4 } as Record<string, number>)[target.props.word!.value as string]! : 8;
      for (let i = 1; i < has.length; i++) {
        const [a, b] = [results[i - 1]!, results[i]!];
        expect(b.summary.energy_j, `${has[i]} < ${has[i - 1]} energy`).toBeLessThan(a.summary.energy_j);
        expect(bytesMoved(b, wordBytes), `${has[i]} < ${has[i - 1]} bytes`).toBeLessThan(bytesMoved(a, wordBytes));
      }
      // Each runs at its own class: no warning about precision.
      for (const r of results) expect(r.warnings.join('\n')).not.toMatch(/MACs|quantized/);
    });
  }
});
