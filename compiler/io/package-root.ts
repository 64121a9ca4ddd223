/**
 * Files Kiln reads at run time (target presets, the report template, onnx.proto, package.json)
 * are found from the package root, not relative to the module that reads them: the same code runs
 * from its TypeScript source (compiler/onnx/proto.ts, two folders deep) and from the bundle in
 * dist/ (one folder deep), so `new URL('./onnx.proto', import.meta.url)` would be right in one
 * and wrong in the other. The data files stay in the source tree and are never copied into dist/,
 * so a bundle always reads the current ones.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: Kiln's files are not where it was installed`);
  }
}

/** The Kiln package's directory (the one holding its package.json). */
export const PACKAGE_ROOT: string = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `packagePath('targets', 'presets')`. */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
