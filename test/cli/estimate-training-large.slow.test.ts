/** `kiln estimate --training` on the two ImageNet-size examples, on every preset (about 10 s of SCALE-Sim folds). */
import * as path from 'node:path';
import { describe, it } from 'vitest';
import { examplesDir } from '../helpers/paths.ts';
import { LARGE, pricesEverywhere } from '../helpers/training-estimate.ts';

describe('every large example on every preset', () => {
  for (const name of LARGE) it(`${name}: a step priced on every CPU and array, off-chip on every neuromorphic preset`, () => pricesEverywhere(path.join(examplesDir, `${name}.kiln`)));
});
