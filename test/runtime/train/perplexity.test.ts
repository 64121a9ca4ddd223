/**
 * Perplexity, exp of the mean cross-entropy per token: from probabilities, log-probabilities or
 * logits alike, the number of classes for a uniform guess, and what `kiln train` and `kiln run`
 * report for a sequence model trained on the State of the Union addresses.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meanCrossEntropy } from '../../../runtime/autodiff/loss.ts';
import { removeTempFiles, runMain, tempFiles } from '../../helpers/cli.ts';

afterAll(removeTempFiles);

describe('meanCrossEntropy', () => {
  const logits = Float32Array.from([2, 0, -1, 0.5, 0.5, 3]);
  const labels = [0, 2];
  const lse = (a: number[]) => Math.log(a.reduce((s, v) => s + Math.exp(v), 0));
  const want = ((lse([2, 0, -1]) - 2) + (lse([0.5, 0.5, 3]) - 3)) / 2;

  it('from logits, softmax probabilities and log-probabilities alike', () => {
    expect(meanCrossEntropy(logits, 3, labels, 'dense')).toBeCloseTo(want, 6);
    const rows = [[2, 0, -1], [0.5, 0.5, 3]];
    const probs = Float32Array.from(rows.flatMap((r) => r.map((v) => Math.exp(v - lse(r)))));
    const logp = Float32Array.from(rows.flatMap((r) => r.map((v) => v - lse(r))));
    expect(meanCrossEntropy(probs, 3, labels, 'softmax')).toBeCloseTo(want, 6);
    expect(meanCrossEntropy(logp, 3, labels, 'log_softmax')).toBeCloseTo(want, 6);
  });

  it('a uniform guess over V classes has perplexity V; a zero probability stays finite', () => {
    expect(Math.exp(meanCrossEntropy(new Float32Array(50).fill(0.1), 10, [1, 2, 3, 4, 5], 'softmax'))).toBeCloseTo(10, 4);
    expect(Number.isFinite(meanCrossEntropy(Float32Array.from([1, 0]), 2, [1], 'softmax'))).toBe(true);
  });
});

const LM = `network lm(batch = 10, steps = 12, vocab = 200, width = 24) {
  input tokens : i32[batch, steps]
  e = embedding(tokens, vocab, width)
  h = lstm(e, width, layers = 2, dropout = 0.3, dropout_mode = structured)
  y = dense(h, vocab) -> softmax
  output y
}

train lm { data sotu(vocab = 200, length = 12, train = 200, test = 50)  epochs 2  seed 3  optimizer adam(lr = 1e-2) }
`;

describe('kiln train / kiln run on a language model', () => {
  const dir = tempFiles({ 'lm.kiln': LM, 'big.kiln': LM.replace('train = 200, test = 50', 'train = 200, test = 99999') });
  const file = path.join(dir, 'lm.kiln');
  const ckpt = path.join(dir, 'lm.ckpt');
  const human = runMain(['train', file, '--checkpoint', ckpt]);

  it('reports perplexity per epoch and at the end; it falls well below the vocabulary', () => {
    expect(human.code, human.err).toBe(0);
    const ppl = [...human.out.matchAll(/perplexity train ([\d.]+) test ([\d.]+)/g)].map((m) => Number(m[2]));
    expect(ppl).toHaveLength(2);
    expect(ppl[1]!).toBeLessThan(ppl[0]!);
    // A uniform guess over the 200 tokens scores 200.
    expect(ppl[1]!).toBeLessThan(120);
    expect(human.out).toMatch(/done: test accuracy [\d.]+%, perplexity [\d.]+ after 2 epochs/);
  });

  it('--json adds train_perplexity and test_perplexity; kiln run reports the same test perplexity', () => {
    const json = runMain(['train', file, '--json']);
    const last = JSON.parse(json.out.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(last.test_perplexity).toBeGreaterThan(1);
    expect(last.train_perplexity).toBeCloseTo(Math.exp(last.loss!), 6);
    const run = runMain(['run', file, '--checkpoint', ckpt, '--input', 'sotu:test', '--json']);
    expect(run.code, run.err).toBe(0);
    expect((JSON.parse(run.out) as { perplexity: number }).perplexity).toBeCloseTo(last.test_perplexity!, 3);
  });

  it('asking for more text than the held-out addresses hold is an input error saying what to do', () => {
    const r = runMain(['train', path.join(dir, 'big.kiln')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: the sotu test addresses hold [\d,]+ tokens: at most [\d,]+ sequences of 12; 99999 were asked for/);
    expect(r.err).toMatch(/ask for at most \d+ test sequences/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
