import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { findAsymmetry } from '../../../../targets/neuromorphic/partition/metis-format.ts';
import { formatPartition, parsePartition, readPartitionFile, writePartitionFile } from '../../../../targets/neuromorphic/partition/partition-file.ts';
import type { Graph } from '../../../../targets/neuromorphic/partition/types.ts';

function diag(f: () => unknown) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return (e as KilnError).diagnostics[0]!;
  }
  throw new Error('expected a KilnError');
}

describe('partition files', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(4000), { maxLength: 200 }), (a) => {
        const parts = Int32Array.from(a);
        expect(Array.from(parsePartition(formatPartition(parts)))).toEqual(a);
      }),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-part-'));
    try {
      const parts = Int32Array.of(0, 3, 1, 1);
      writePartitionFile(path.join(dir, 'p'), parts);
      expect(readFileSync(path.join(dir, 'p'), 'utf8')).toBe('0\n3\n1\n1\n');
      expect(Array.from(readPartitionFile(path.join(dir, 'p'), { nv: 4, k: 4 }))).toEqual([0, 3, 1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the vertex count and the part range', () => {
    let d = diag(() => parsePartition('0\n1\n', 'g.part.2', { nv: 3 }));
    expect(d.message).toMatch(/lists 2 vertices but the graph has 3/);
    d = diag(() => parsePartition('0\n2\n', 'g.part.2', { k: 2 }));
    expect(d.pos).toMatchObject({ line: 2, col: 1 });
    expect(d.message).toMatch(/part id 2 is not below k = 2/);
    d = diag(() => parsePartition('0\n-1\n', 'neg.part'));
    expect(d.message).toMatch(/must not be negative/);
  });
});

describe('findAsymmetry', () => {
  it('finds the asymmetric pair and accepts symmetric parallel edges', () => {
    const sym: Graph = { nv: 3, xadj: Int32Array.of(0, 2, 4, 4), adjncy: Int32Array.of(1, 1, 0, 0), adjwgt: Float64Array.of(2, 3, 3, 2), ncon: 1 };
    expect(findAsymmetry(sym)).toBeUndefined();
    expect(findAsymmetry({ ...sym, adjwgt: Float64Array.of(2, 3, 3, 3) })).toEqual([0, 1]);
    const g: Graph = { nv: 3, xadj: Int32Array.of(0, 1, 1, 2), adjncy: Int32Array.of(1, 0), ncon: 1 };
    expect(findAsymmetry(g)).toBeDefined();
  });
});
