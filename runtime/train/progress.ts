/**
 * Training output: a one-line progress bar for terminals (redrawn in place with a carriage
 * return, at most ten times a second), plain progress lines for logs, and the per-epoch summaries
 * for people and for programs.
 */
import type { BatchProgress } from '../train.ts';
import type { EpochReport } from './state.ts';

const WIDTH = 24;

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatProgress(p: BatchProgress): string {
  const done = Math.round((WIDTH * p.batch) / p.batches);
  const rate = p.seconds > 0 ? p.samples / p.seconds : 0;
  const eta = rate > 0 ? ((p.batches - p.batch) * (p.samples / p.batch)) / rate : NaN;
  return `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(done)}${'.'.repeat(WIDTH - done)}] ${p.batch}/${p.batches}  loss ${p.loss.toFixed(4)}  ` +
    `${Math.round(rate).toLocaleString('en-US')} samples/s  ETA ${duration(eta)}${p.overflows === undefined ? '' : `  int16 overflows ${p.overflows}`}`;
}

export interface ProgressBar {
  update(p: BatchProgress): void;
  /** Erase the bar (before an epoch summary is printed over it). */
  clear(): void;
}

export function progressBar(write: (s: string) => void, now: () => number = () => performance.now()): ProgressBar {
  let last = -Infinity;
  let shown = false;
  return {
    update(p) {
      const t = now();
      if (t - last < 100 && p.batch !== p.batches) return;
      last = t;
      shown = true;
      write(`\r\x1b[K${formatProgress(p)}`);
    },
    clear() {
      if (shown) write('\r\x1b[K');
      shown = false;
    },
  };
}

/**
 * For stderr that is a file or a pipe (a log, CI): a carriage-return bar would pile up as one
 * endless line, and nothing at all leaves a long epoch silent for minutes. One plain line every
 * `everyMs` (30 s by default), none in an epoch that ends sooner, so short runs stay quiet.
 */
export function progressLines(write: (s: string) => void, everyMs = 30_000, now: () => number = () => performance.now()): ProgressBar {
  let last = now();
  return {
    update(p) {
      const t = now();
      if (t - last < everyMs || p.batch === p.batches) return;
      last = t;
      write(`${formatProgress(p)}\n`);
    },
    clear() {},
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(100 * x).toFixed(2)}%`);

const fixed3 = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(3));

const ppl = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(1));

export function formatEpoch(r: EpochReport, epochs: number): string {
  const perplexity = r.test_perplexity !== undefined ? `  perplexity train ${ppl(r.train_perplexity!)} test ${ppl(r.test_perplexity)}` : '';
  const overlap = r.test_iou !== undefined ? `  IoU ${fixed3(r.test_iou)} Dice ${fixed3(r.test_dice!)}` : '';
  const int16 = r.int16_gemms === undefined ? '' : `  int16: ${r.int16_gemms} GEMMs, ${r.int16_overflows} rows overflowed int32 (${r.int16_rescales} rescales)`;
  return `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.loss.toFixed(4)}  train ${pct(r.train_accuracy)}  test ${pct(r.test_accuracy)}${perplexity}${overlap}  ${r.seconds.toFixed(1)} s${int16}`;
}

const orNull = (x: number) => (Number.isNaN(x) ? null : x);

/** Exactly the fields `kiln train --json` promises, in this order, on one line (perplexities for sequence models, IoU and Dice for segmentation). */
export function epochJson(r: EpochReport): string {
  const perplexity = r.test_perplexity !== undefined ? { train_perplexity: r.train_perplexity, test_perplexity: orNull(r.test_perplexity) } : {};
  const overlap = r.test_iou !== undefined ? { test_iou: orNull(r.test_iou), test_dice: orNull(r.test_dice!) } : {};
  return JSON.stringify({ epoch: r.epoch, loss: r.loss, train_accuracy: r.train_accuracy, test_accuracy: orNull(r.test_accuracy), ...perplexity, ...overlap, seconds: r.seconds,
    ...(r.int16_gemms === undefined ? {} : { int16_gemms: r.int16_gemms, int16_overflows: r.int16_overflows, int16_rescales: r.int16_rescales }) });
}
