/**
 * `kiln explore`'s cache: a directory of entries named by the sha256 of everything that decides
 * them (network text, variant, data, seed, epochs, Kiln's version), so a changed input misses and
 * an unchanged one hits, whichever run wrote it. Entries are written atomically (write to a
 * temporary name, then rename), so a killed run leaves whole entries or none: it resumes from
 * what it finished, and a training checkpoint lets it resume mid-training too.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { readInputText } from '../../compiler/io/read-input.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';

export const keyOf = (parts: unknown): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export type EntryKind = 'result' | 'snn' | 'price';

export class ExploreCache {
  constructor(readonly dir: string) {}

  static open(dir: string): ExploreCache {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new KilnError(error('io', `cannot create the cache directory \`${dir}\`: ${(e as Error).message}`, undefined, 'give a writable directory with --cache DIR'));
    }
    return new ExploreCache(dir);
  }

  /** Where a training run's checkpoint lives (written by the training loop after every epoch). */
  checkpoint(key: string): string {
    return path.join(this.dir, `train-${key}.ckpt`);
  }

  /** `kind` names the file (`result-KEY.json`, a variant's accuracy; `snn-`, its spiking conversion; `price-`, a neuromorphic price). */
  read<T>(key: string, kind: EntryKind = 'result'): T | undefined {
    let text: string;
    try {
      text = readInputText(path.join(this.dir, `${kind}-${key}.json`));
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      // Only a hand-edited entry can be unreadable (writes are atomic): compute it again.
      return undefined;
    }
  }

  write(key: string, value: unknown, kind: EntryKind = 'result'): void {
    writeFileAtomic(path.join(this.dir, `${kind}-${key}.json`), JSON.stringify(value) + '\n', 'explore cache entry');
  }
}
