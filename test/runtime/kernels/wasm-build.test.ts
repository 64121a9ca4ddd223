/**
 * The committed runtime/kernels/wasm/<name>.wasm.ts files are what runs; the .wat sources are what
 * people edit. Re-assembling every source must give the committed bytes, so the two never drift.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, generatedName, wasmDir, watFiles } from '../../../scripts/build-wasm.js';

describe('committed WebAssembly kernels', () => {
  const sources: string[] = watFiles();

  it('finds the .wat sources', () => {
    expect(sources).toContain('gemm-f32.wat');
  });

  it.each(sources)('%s assembles to the committed bytes', async (file) => {
    const committed = path.join(wasmDir, generatedName(file));
    expect(existsSync(committed), `${committed} is missing: run npm run build:wasm`).toBe(true);
    expect(readFileSync(committed, 'utf8') === await assemble(file), `${generatedName(file)} is stale: run npm run build:wasm`).toBe(true);
  });

  it('has no generated module without its source', () => {
    const generated = readdirSync(wasmDir).filter((f: string) => f.endsWith('.wasm.ts'));
    expect(generated.filter((f) => !sources.map(generatedName).includes(f))).toEqual([]);
  });
});
