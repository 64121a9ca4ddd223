/** An example's network, train block and data, as `kiln train` would set them up. */
import * as path from 'node:path';
import { loadData } from '../../../runtime/data/index.ts';
import type { TrainSetup } from '../../../runtime/train.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { examplesDir } from '../../helpers/paths.ts';

export function example(name: string, overrides: Record<string, number> = {}): TrainSetup {
  const p = prepare(path.join(examplesDir, `${name}.kiln`), { requireTrain: true, overrides: new Map(Object.entries(overrides)) });
  return { module: p.module, config: p.config!, data: loadData(p.config!.data.name, p.config!.data.args) };
}

export const MINUTES = 60_000;
