/**
 * kiln explore converts binary_mlp (narrowed to 64 units, one short epoch on 200 digits) to
 * spiking and prices every variant on a neuromorphic preset: the whole path through the command,
 * which partitions each converted network onto the chip (the heavy part, so it runs here, with the
 * slow tests).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/paths.ts';

const SOURCE = readFileSync(path.join(repoRoot, 'examples/binary_mlp.kiln'), 'utf8')
  .replace('hidden = 1024', 'hidden = 64')
  .replace(/data mnist\([^)]*\)\s+epochs 15/, 'data mnist(train = 2000, test = 300)  epochs 1');

afterAll(removeTempFiles);

describe('a binarized network converted to spiking by explore', () => {
  const file = path.join(tempFiles({ 'bnn.kiln': SOURCE }), 'bnn.kiln');

  it('kiln explore prices every variant on loihi_1chip', () => {
    const r = runMain(['explore', file, '--ptq', '--train-samples', '200', '--test-samples', '40', '--precision', 'f32,binary', '--target', 'loihi_1chip', '--json']);
    expect(r.code, r.err).toBe(0);
    const rows = (JSON.parse(r.out) as { rows: { variant: string; energy_j: number | null; error?: string }[] }).rows;
    expect(rows.map((x) => x.variant)).toEqual(['f32 → SNN T=1', 'binary → SNN T=1']);
    for (const x of rows) expect(x.error, x.error).toBeUndefined();
    expect(rows.every((x) => (x.energy_j ?? 0) > 0)).toBe(true);
  }, 60_000);
});
