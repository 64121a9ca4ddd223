/**
 * How a data set turned raw samples into the features a network trains on. It travels with the
 * data set into the checkpoint, so `kiln run --input FILE.json` can treat raw samples exactly as
 * training did (Iris is standardised; a network fed raw centimetres answers with the wrong class).
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';

export type Preprocess =
  /** Samples are used as stored (MNIST pixels already in [0, 1], token ids). */
  | { kind: 'none' }
  /** Feature f becomes (x - mean[f]) / std[f]: statistics of the training set only. */
  | { kind: 'standardize'; mean: number[]; std: number[] };

/** Per-feature mean and (population) deviation of `count` samples of `features` values each. */
export function standardizer(x: Float32Array, count: number, features: number): Preprocess {
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < features; f++) {
    let m = 0, sq = 0;
    for (let i = 0; i < count; i++) m += x[i * features + f]!;
    m /= count;
    for (let i = 0; i < count; i++) sq += (x[i * features + f]! - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(sq / count) || 1);
  }
  return { kind: 'standardize', mean, std };
}

/** Apply `p` in place to samples of `features` values each; `where` names the data for errors. */
export function applyPreprocess(p: Preprocess, x: Float32Array, features: number, where: string): void {
  if (p.kind === 'none') return;
  if (p.mean.length !== features) {
    throw new KilnError(error('input', `${where}: samples have ${features} values, but training standardised ${p.mean.length} features`, undefined, `give ${p.mean.length} values a sample, as the training data had`));
  }
  for (let i = 0; i < x.length; i++) {
    const f = i % features;
    x[i] = (x[i]! - p.mean[f]!) / p.std[f]!;
  }
}

/** A checkpoint's stored preprocessing, if it is well formed (else undefined: unknown). */
export function readPreprocess(v: unknown): Preprocess | undefined {
  const o = v as { kind?: unknown; mean?: unknown; std?: unknown } | null | undefined;
  if (o?.kind === 'none') return { kind: 'none' };
  const nums = (a: unknown): a is number[] => Array.isArray(a) && a.every((n) => typeof n === 'number' && Number.isFinite(n));
  if (o?.kind === 'standardize' && nums(o.mean) && nums(o.std) && o.mean.length === o.std.length && o.std.every((s) => s > 0)) {
    return { kind: 'standardize', mean: o.mean, std: o.std };
  }
  return undefined;
}
