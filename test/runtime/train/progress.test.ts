/** The terminal progress bar and the per-epoch lines of `kiln train`. */
import { describe, expect, it } from 'vitest';
import { epochJson, formatEpoch, formatProgress, progressBar, progressLines } from '../../../runtime/train/progress.ts';

const at = (batch: number, seconds: number) => ({ epoch: 2, epochs: 5, batch, batches: 125, loss: 0.31416, seconds, samples: batch * 64 });

describe('progress bar', () => {
  it('shows batches done of total, the running loss, the rate and the time left', () => {
    // 50 of 125 batches of 64 in 2 s: 1,600 samples/s; 75 batches (4,800 samples) left: 3 s.
    expect(formatProgress(at(50, 2))).toBe('epoch 2/5 [##########..............] 50/125  loss 0.3142  1,600 samples/s  ETA 3.0 s');
    expect(formatProgress(at(100, 60))).toContain('107 samples/s  ETA 15.0 s');
    expect(formatProgress(at(10, 100))).toContain('ETA 19m10s');
  });

  it('redraws in place at most ten times a second, always at the last batch, and erases itself', () => {
    const writes: string[] = [];
    let now = 0;
    const bar = progressBar((s) => writes.push(s), () => now);
    for (let b = 1; b <= 125; b++) {
      now += 10;
      bar.update(at(b, now / 1000));
    }
    // 1,250 ms of updates: the first, then one per 100 ms, then the final batch.
    expect(writes.length).toBeGreaterThanOrEqual(12);
    expect(writes.length).toBeLessThanOrEqual(14);
    expect(writes.every((w) => w.startsWith('\r\x1b[K'))).toBe(true);
    expect(writes.at(-1)).toContain('125/125');
    bar.clear();
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });
});

describe('progress lines for logs', () => {
  /** 125 batches, `ms` apart, through log lines every 30 s; what was written, and the lines. */
  function feed(ms: number) {
    const writes: string[] = [];
    let now = 0;
    const lines = progressLines((s) => writes.push(s), 30_000, () => now);
    for (let b = 1; b <= 125; b++) {
      now += ms;
      lines.update(at(b, now / 1000));
    }
    return { writes, lines };
  }

  it('one whole line per 30 s, none at the last batch (the epoch line follows), no carriage returns', () => {
    // 125 batches, one a second: lines at 30, 60, 90 and 120 s.
    const { writes, lines } = feed(1000);
    expect(writes.map((w) => w.match(/ (\d+)\/125 /)![1])).toEqual(['30', '60', '90', '120']);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    lines.clear();
    expect(writes).toHaveLength(4);
  });

  it('an epoch shorter than the interval writes nothing', () => {
    expect(feed(100).writes).toEqual([]);
  });
});

describe('epoch lines', () => {
  const r = { epoch: 3, loss: 0.123456, train_accuracy: 0.9512, test_accuracy: 0.96, seconds: 1.234 };
  it('for people', () => {
    expect(formatEpoch(r, 10)).toBe('epoch  3/10  loss 0.1235  train 95.12%  test 96.00%  1.2 s');
  });
  it('for programs: the five promised fields, in order; a skipped evaluation is null', () => {
    expect(epochJson(r)).toBe('{"epoch":3,"loss":0.123456,"train_accuracy":0.9512,"test_accuracy":0.96,"seconds":1.234}');
    expect(JSON.parse(epochJson({ ...r, test_accuracy: NaN })).test_accuracy).toBeNull();
  });
  it('sequence models add their perplexities, for people and programs', () => {
    const lm = { ...r, train_perplexity: 212.345, test_perplexity: 240.06 };
    expect(formatEpoch(lm, 10)).toBe('epoch  3/10  loss 0.1235  train 95.12%  test 96.00%  perplexity train 212.3 test 240.1  1.2 s');
    expect(Object.keys(JSON.parse(epochJson(lm)))).toEqual(['epoch', 'loss', 'train_accuracy', 'test_accuracy', 'train_perplexity', 'test_perplexity', 'seconds']);
  });
});
