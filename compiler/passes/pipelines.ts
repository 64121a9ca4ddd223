/** Named pass pipelines. `default` is what `kiln compile` runs. */
import { eliminateDeadCode } from './eliminate-dead-code.ts';
import { inferShapes } from './infer-shapes.ts';
import type { Pass } from './pass.ts';

export const PASSES: Readonly<Record<string, Pass>> = {
  [eliminateDeadCode.name]: eliminateDeadCode,
  [inferShapes.name]: inferShapes,
};

export const PIPELINES: Readonly<Record<string, readonly Pass[]>> = {
  default: [eliminateDeadCode, inferShapes],
};
