/**
 * An inference load (loadCheckpointInto with weightsOnly, as kiln run, export, convert and quantize
 * load) reads the checkpoint's header once: the kind it names picks the reader, which is handed the
 * header instead of reading it again. Counted on the one ranged reader every header read goes through.
 */
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const reads = vi.hoisted(() => ({ starts: [] as number[] }));

vi.mock('../../compiler/io/read-input.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../compiler/io/read-input.ts')>();
  return { ...real, readInputRange: (...a: Parameters<typeof real.readInputRange>) => { reads.starts.push(a[1]); return real.readInputRange(...a); } };
});

const { emptyParams } = await import('../../runtime/interpreter.ts');
const { loadCheckpointInto } = await import('../../runtime/train/state.ts');
const { prepare } = await import('../../runtime/train/setup.ts');
const { writeUntrainedCheckpoint } = await import('../helpers/checkpoint.ts');
const { removeTempFiles, tempFiles } = await import('../helpers/cli.ts');

afterAll(removeTempFiles);
beforeEach(() => { reads.starts = []; });

const dir = tempFiles({ 'tiny.kiln': `network tiny(batch = 2) {
  input x : f32[batch, 6]
  y = dense(x, 3) -> softmax
  output y
}
` });
const src = path.join(dir, 'tiny.kiln'), ckpt = path.join(dir, 'tiny.ckpt');
writeUntrainedCheckpoint(src, ckpt);

describe('checkpoint header', () => {
  it('is read once by an inference load, then the weights section after it', () => {
    const { module } = prepare(src);
    const weights = emptyParams(module);
    const { checkpoint } = loadCheckpointInto(ckpt, module, weights, { weightsOnly: true });
    expect(checkpoint.network).toBe('tiny');
    expect(reads.starts.filter((s) => s === 0)).toHaveLength(1);
    expect(reads.starts).toHaveLength(2);
    expect(reads.starts[1]).toBeGreaterThan(0);
  });
});
