/** An example's network, train block and data, as `kiln train` would set them up. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadData } from '../../../runtime/data/index.ts';
import type { TrainSetup } from '../../../runtime/train.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { examplesDir } from '../../helpers/paths.ts';

export function example(name: string, overrides: Record<string, number> = {}, edit?: (source: string) => string): TrainSetup {
  const file = path.join(examplesDir, `${name}.kiln`);
  const readFile = edit && ((f: string) => (f === file ? edit(readFileSync(f, 'utf8')) : readFileSync(f, 'utf8')));
  const p = prepare(file, { requireTrain: true, overrides: new Map(Object.entries(overrides)), readFile });
  return { module: p.module, config: p.config!, data: loadData(p.config!.data.name, p.config!.data.args) };
}

export const MINUTES = 60_000;
