import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { sourceFrame } from '../../cli/stack-frames.ts';

describe('internal-error stack frames', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-frames-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Two lines of TypeScript whose types esbuild strips, so the output's positions differ from the source's.
  const out = transformSync('const a: number = 1;\nexport function boom(): never { throw new Error(String(a)); }\n', { loader: 'ts', sourcemap: 'external', sourcefile: 'boom.ts', format: 'esm' });
  writeFileSync(path.join(dir, 'boom.js'), out.code);
  writeFileSync(path.join(dir, 'boom.js.map'), out.map);
  const lines = out.code.split('\n');
  const row = lines.findIndex((l) => l.includes('throw'));
  const col = lines[row]!.indexOf('throw');

  it('names the TypeScript line of a bundle frame from the map beside the bundle', () => {
    const frame = `at boom (${pathToFileURL(path.join(dir, 'boom.js')).href}:${row + 1}:${col + 1})`;
    expect(sourceFrame(frame)).toBe(`at boom (${path.join(dir, 'boom.ts')}:2:33)`);
  });

  it('leaves frames without a map as they are', () => {
    expect(sourceFrame('at f (node:internal/modules/run_main:1:2)')).toBe('at f (node:internal/modules/run_main:1:2)');
    expect(sourceFrame(`at f (${path.join(dir, 'none.js')}:1:1)`)).toBe(`at f (${path.join(dir, 'none.js')}:1:1)`);
  });
});
