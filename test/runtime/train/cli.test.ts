/**
 * `kiln train` and `kiln run` in-process: JSON and human output, checkpoints that resume to the
 * same weights bit for bit as an unbroken run, evaluation of a checkpoint, and diagnostics (never
 * stack traces) for bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../../runtime/checkpoint.ts';
import { removeTempFiles, runMain, tempFiles } from '../../helpers/cli.ts';

afterAll(removeTempFiles);

/** Batch norm, dropout and shifted inputs: every random stream a resumed run must reproduce. */
const TINY = `network tiny(batch = 32, hidden = 24) {
  input x : f32[batch, 1, 28, 28]
  h = flatten(x) -> dense(hidden) -> batchnorm -> relu -> dropout(0.2)
  y = dense(h, 10) -> softmax
  output y
}

train tiny { data mnist(train = 320, test = 200, shift = 1)  epochs 3  batch 32  seed 4  optimizer adam(lr = 3e-3) }
`;

const dir = tempFiles({ 'tiny.kiln': TINY, 'other.kiln': TINY.replaceAll('tiny', 'other'), 'notrain.kiln': TINY.split('train tiny')[0]! });
const file = path.join(dir, 'tiny.kiln');
const at = (name: string) => path.join(dir, name);

function jsonLines(out: string): Record<string, number>[] {
  return out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
}

describe('kiln train', () => {
  const unbroken = runMain(['train', file, '--json', '--checkpoint', at('full.ckpt')]);

  it('--json: exactly one JSON line per epoch with the promised fields', () => {
    expect(unbroken.code).toBe(0);
    const lines = jsonLines(unbroken.out);
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => {
      expect(Object.keys(l)).toEqual(['epoch', 'loss', 'train_accuracy', 'test_accuracy', 'seconds']);
      expect(l.epoch).toBe(i + 1);
      expect(l.test_accuracy).toBeGreaterThan(0.3);
    });
    expect(lines[2]!.loss!).toBeLessThan(lines[0]!.loss!);
  });

  it('resumes from a checkpoint to the same weights, bit for bit, as a run that never stopped', () => {
    const first = runMain(['train', file, '--json', '--epochs', '2', '--checkpoint', at('part.ckpt')]);
    expect(first.code).toBe(0);
    expect(readCheckpoint(at('part.ckpt')).epoch).toBe(2);
    const rest = runMain(['train', file, '--json', '--resume', at('part.ckpt'), '--epochs', '3']);
    expect(rest.code).toBe(0);
    const resumed = jsonLines(rest.out);
    expect(resumed.map((l) => l.epoch)).toEqual([3]);
    const full = readCheckpoint(at('full.ckpt')), part = readCheckpoint(at('part.ckpt'));
    expect(part.epoch).toBe(3);
    expect([...part.params.keys()]).toEqual([...full.params.keys()]);
    for (const [k, v] of full.params) expect(Buffer.from(part.params.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
    for (const [k, v] of full.optimizer.slots) v.forEach((s, i) => expect(Array.from(part.optimizer.slots.get(k)![i]!)).toEqual(Array.from(s)));
    const fullLast = jsonLines(unbroken.out)[2]!;
    expect(resumed[0]!.loss).toBe(fullLast.loss);
    expect(resumed[0]!.test_accuracy).toBe(fullLast.test_accuracy);
  });

  it('a checkpoint already at the last epoch leaves nothing to do', () => {
    const r = runMain(['train', file, '--resume', at('full.ckpt')]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('nothing to do');
  });

  it('prints a human summary per epoch, and nothing animated when stderr is not a terminal', () => {
    const r = runMain(['train', file, '--epochs', '1', '--seed', '9']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^training tiny on mnist \(320 train, 200 test\), batch 32, adam\(lr = 0\.003\), 1 epoch\n/);
    expect(r.out).toMatch(/epoch 1\/1 {2}loss \d\.\d{4} {2}train \d+\.\d\d% {2}test \d+\.\d\d% {2}\d+\.\d s\n/);
    expect(r.out + r.err).not.toMatch(/[\r\x1b]/);
  });

  it('selects the train block by network, or by its own name', () => {
    writeFileSync(at('two.kiln'), TINY.replace('train tiny {', 'train quick { network "tiny"  epochs 1 ').replace(' epochs 3 ', ' '));
    const byBlock = runMain(['train', `${at('two.kiln')}:quick`, '--json']);
    expect(byBlock.code).toBe(0);
    expect(jsonLines(byBlock.out)).toHaveLength(1);
    expect(jsonLines(runMain(['train', `${at('two.kiln')}:tiny`, '--json']).out)).toHaveLength(1);
  });

  it('reports bad input as diagnostics with positions, never a stack', () => {
    const noTrain = runMain(['train', at('notrain.kiln')]);
    expect(noTrain.code).toBe(1);
    expect(noTrain.err).toContain('has no train block for network `tiny`');
    writeFileSync(at('badopt.kiln'), TINY.replace('adam(lr = 3e-3)', 'adam(lr = 3e-3, momentum = 0.9)'));
    const badOpt = runMain(['train', at('badopt.kiln')]);
    expect(badOpt.code).toBe(1);
    expect(badOpt.err).toMatch(/badopt\.kiln:8:\d+: error: optimizer adam\(…\) has no argument `momentum`/);
    const other = runMain(['train', at('other.kiln'), '--resume', at('full.ckpt')]);
    expect(other.code).toBe(1);
    expect(other.err).toContain('holds network `tiny`, not `other`');
    const shape = runMain(['train', file, '--set', 'hidden=16', '--resume', at('full.ckpt')]);
    expect(shape.code).toBe(1);
    expect(shape.err).toMatch(/has `h\.dense\/weight` with \[24, 784\], but the network declares \[16, 784\]/);
    writeFileSync(at('torn.ckpt'), readFileSync(at('full.ckpt'), 'utf8').slice(0, 500));
    expect(runMain(['train', file, '--resume', at('torn.ckpt')]).err).toContain('not a valid Kiln checkpoint');
    expect(runMain(['train', file, '--epochs', 'two']).code).toBe(2);
    expect(runMain(['train', file, '--resume', at('full.ckpt'), '--seed', '3']).code).toBe(2);
    for (const r of [noTrain, badOpt, other, shape]) expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('kiln run', () => {
  it('evaluates a checkpoint on a data split: the accuracy the last epoch reported', () => {
    const r = runMain(['run', file, '--checkpoint', at('full.ckpt'), '--input', 'mnist:test', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { samples: number; accuracy: number; predictions: number[] };
    expect(j.samples).toBe(200);
    expect(j.predictions).toHaveLength(200);
    expect(j.accuracy).toBe(readCheckpointAccuracy());
    const human = runMain(['run', file, '--checkpoint', at('full.ckpt'), '--input', 'mnist:test', '--limit', '50']);
    expect(human.out).toMatch(/^tiny on mnist:test \(50 samples\): accuracy \d+\.\d\d% \(\d+\/50\)\n$/);
  });

  it('predicts inputs from a JSON file, with or without labels', () => {
    const blank = new Array(784).fill(0);
    const ink = blank.map((_, i) => (Math.floor(i / 28) > 6 && Math.floor(i / 28) < 22 && i % 28 > 12 && i % 28 < 16 ? 1 : 0));
    writeFileSync(at('in.json'), JSON.stringify({ inputs: [blank, ink], labels: [0, 1] }));
    writeFileSync(at('bare.json'), JSON.stringify([ink]));
    const r = runMain(['run', file, '--checkpoint', at('full.ckpt'), '--input', at('in.json'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { predictions: number[]; outputs: number[][]; accuracy: number };
    expect(j.predictions).toHaveLength(2);
    expect(j.outputs[0]!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(j.predictions[1]).toBe(j.outputs[1]!.indexOf(Math.max(...j.outputs[1]!)));
    const bare = runMain(['run', file, '--checkpoint', at('full.ckpt'), '--input', at('bare.json')]);
    expect(bare.out).toMatch(/^tiny on .*bare\.json \(1 sample\):\n {2}0: class \d {2}\(\d\.\d{4}\)\n$/);
  });

  it('explains what it needs', () => {
    expect(runMain(['run', file, '--input', 'mnist:test']).code).toBe(2);
    expect(runMain(['run', file, '--checkpoint', at('full.ckpt'), '--input', 'cifar:test']).code).toBe(2);
    writeFileSync(at('short.json'), JSON.stringify([[1, 2, 3]]));
    const short = runMain(['run', file, '--checkpoint', at('full.ckpt'), '--input', at('short.json')]);
    expect(short.code).toBe(1);
    expect(short.err).toContain('takes samples of [1, 28, 28] (784 values)');
  });
});

function readCheckpointAccuracy(): number {
  const history = readCheckpoint(at('full.ckpt')).extra.history as { test_accuracy: number }[];
  return history[history.length - 1]!.test_accuracy;
}

describe('kiln train and kiln run on a segmentation network', () => {
  const seg = `network seg(batch = 8) {
  input x : f32[batch, 1, 28, 28]
  y = conv2d(x, 4, 3, pad = 1) -> relu -> conv2d(2, 3, pad = 1) -> softmax(axis = 1)
  output y
}

train seg { data mnist_masks(train = 64, test = 16)  epochs 1  batch 8  seed 1  optimizer adam(lr = 1e-2) }
`;
  const sdir = tempFiles({ 'seg.kiln': seg });
  const sfile = path.join(sdir, 'seg.kiln');

  it('reports pixel accuracy, foreground IoU and Dice, in text and in JSON, and kiln run agrees', () => {
    const text = runMain(['train', sfile, '--checkpoint', path.join(sdir, 'seg.ckpt')]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/epoch 1\/1 .* IoU \d\.\d{3} Dice \d\.\d{3}/);
    const done = /done: test pixel accuracy [\d.]+%, IoU (\d\.\d{3}), Dice (\d\.\d{3})/.exec(text.out)!;
    const [iou, dice] = [Number(done[1]), Number(done[2])];
    // Dice = 2 IoU / (1 + IoU) for one confusion table.
    expect(dice).toBeCloseTo((2 * iou) / (1 + iou), 2);
    const json = jsonLines(runMain(['train', sfile, '--json']).out)[0]!;
    expect(Object.keys(json)).toEqual(['epoch', 'loss', 'train_accuracy', 'test_accuracy', 'test_iou', 'test_dice', 'seconds']);
    expect(json.test_iou).toBeCloseTo(iou, 3);
    const run = JSON.parse(runMain(['run', sfile, '--checkpoint', path.join(sdir, 'seg.ckpt'), '--input', 'mnist_masks:test', '--json']).out) as { iou: number; dice: number; predictions: number[] };
    expect(run.predictions).toHaveLength(16 * 784);
    expect(run.iou).toBeCloseTo(iou, 3);
  }, 60_000);
});
