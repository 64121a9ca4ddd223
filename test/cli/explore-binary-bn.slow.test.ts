/**
 * explore's binary variant keeps batch norm real (cli/explore/variants.ts): binary applies to the
 * dense layers' weights and to the activations the next dense layer reads, never to batch norm's
 * parameters, and under --ptq the batch norm carries each binary row's scale (binary-bn.ts). On
 * binary_mlp narrowed to 128 units, f32 trained one epoch on 2,000 digits and binarized without
 * fine-tuning, its accuracy on 300 held-out digits must be far above chance and within 20 points
 * of the same network trained binary as the file declares it (measured December 2026: 62.3 %
 * against 77.3 %; binarizing batch norm too, as explore did before, gave 24-46 %).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { uniformVariants, variantModule } from '../../cli/explore/variants.ts';
import { readCheckpoint } from '../../runtime/checkpoint.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/paths.ts';

const SOURCE = readFileSync(path.join(repoRoot, 'examples/binary_mlp.kiln'), 'utf8')
  .replace('hidden = 1024', 'hidden = 128')
  .replace(/data mnist\([^)]*\)\s+epochs 15/, 'data mnist(train = 2000, test = 300)  epochs 1');

afterAll(removeTempFiles);

interface Row { variant: string; accuracy: number }

it('binary_mlp --ptq: the binary variant is within 20 points of the trained binary network', () => {
  const dir = tempFiles({ 'bnn.kiln': SOURCE });
  const file = path.join(dir, 'bnn.kiln');
  const r = runMain(['explore', file, '--ptq', '--precision', 'f32,binary', '--target', 'avx2_laptop', '--cache', path.join(dir, 'c'), '--json']);
  expect(r.code, r.err).toBe(0);
  const binary = (JSON.parse(r.out) as { rows: Row[] }).rows.find((x) => x.variant === 'binary')!.accuracy;
  const t = runMain(['train', file]);
  expect(t.code, t.err).toBe(0);
  const trained = Number(/test accuracy ([\d.]+)%/.exec(t.out + t.err)![1]) / 100;
  expect(trained).toBeGreaterThan(0.6);
  expect(binary).toBeGreaterThan(0.5);
  expect(binary).toBeGreaterThan(trained - 0.2);
}, 180_000);

it('a trained binary variant\'s checkpoint keeps batch norm at f32 and the dense layers binary', () => {
  const dir = tempFiles({ 'bnn.kiln': SOURCE.replace('train = 2000, test = 300', 'train = 200, test = 50') });
  const cache = path.join(dir, 'c');
  const r = runMain(['explore', path.join(dir, 'bnn.kiln'), '--precision', 'binary', '--train-epochs', '1', '--target', 'avx2_laptop', '--cache', cache]);
  expect(r.code, r.err).toBe(0);
  const ckpt = readdirSync(cache).find((f) => f.startsWith('train-'))!;
  const c = readCheckpoint(path.join(cache, ckpt));
  // The network that checkpoint trained: the variant as explore declares it.
  const p = prepare(path.join(dir, 'bnn.kiln'), { requireTrain: true });
  const m = variantModule(p.module, uniformVariants(p.module, ['binary'], [undefined])[0]!);
  const dtype = (id: string) => (m.nodes[id]!.attrs.weights as { dtype: string }).dtype;
  for (const layer of ['h1', 'h2', 'h3', 'y']) {
    expect(dtype(`${layer}.dense`), layer).toBe('binary');
    expect(dtype(`${layer}.batchnorm`), layer).toBe('f32');
    expect(m.nodes[`${layer}.batchnorm`]!.params!.gamma!.dtype, layer).toBe('f32');
    // γ trained as a real number: more values than a binary or ternary one holds.
    expect(new Set(c.params.get(`${layer}.batchnorm/gamma`)).size, layer).toBeGreaterThan(3);
  }
}, 120_000);
