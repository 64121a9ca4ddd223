/**
 * Property tests: whatever text it is given, the front end answers with a module or with
 * KilnError diagnostics that point inside the files, never with another exception, and never
 * slowly; and every valid network a generator can make compiles to the expected shape and
 * round-trips through JSON.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkFile, compile } from '../../compiler/driver.ts';
import { formatDiagnostics, KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { moduleFromJson, moduleToJson } from '../../compiler/ir/json.ts';
import { verifyModule } from '../../compiler/ir/verify.ts';
import { memoryFiles } from '../helpers/memfs.ts';
import { examplesDir, kilnFiles, presetsDir, repoRoot } from '../helpers/paths.ts';
import { mutate, mutationArb, randomCallsArb, roughTokens, tokenSoupArb, validNetworkArb } from '../helpers/fuzz.ts';

/** Every example and preset by its path relative to the repository, so imports resolve in memory. */
const corpus: Record<string, string> = Object.fromEntries(
  [...kilnFiles(examplesDir), ...kilnFiles(path.join(examplesDir, 'blocks')), ...kilnFiles(presetsDir)].map((f) => [path.relative(repoRoot, f), readFileSync(f, 'utf8')]),
);
const corpusNames = Object.keys(corpus);

/** One front-end run should take milliseconds; this bound only catches a hang or a blow-up. */
const PER_RUN_MS = 3000;

function checkDiagnostics(diags: readonly Diagnostic[], sources: ReadonlyMap<string, string> | undefined): void {
  for (const d of diags) {
    expect(typeof d.code).toBe('string');
    expect(d.message.length).toBeGreaterThan(0);
    if (d.pos) {
      const text = sources?.get(d.pos.file);
      expect(text, `diagnostic in an unknown file ${d.pos.file}: ${d.message}`).toBeDefined();
      expect(d.pos.line).toBeGreaterThanOrEqual(1);
      expect(d.pos.col).toBeGreaterThanOrEqual(1);
      expect(d.pos.line, `${d.message} at line ${d.pos.line}`).toBeLessThanOrEqual(text!.split(/\r\n?|\n/).length);
    }
  }
  expect(typeof formatDiagnostics(diags, sources)).toBe('string');
}

/** Compile and check `files[root]`: returns normally or with a KilnError, within the time bound. */
function frontEndSurvives(files: Record<string, string>, root: string): void {
  const t0 = performance.now();
  const readFile = memoryFiles(files);
  try {
    const r = compile(root, { readFile });
    checkDiagnostics(r.diagnostics, r.sources);
    expect(verifyModule(r.module, { requireTypes: true })).toEqual([]);
  } catch (e) {
    if (!(e instanceof KilnError)) throw new Error(`not a KilnError for ${JSON.stringify(files[root])}: ${(e as Error).stack ?? String(e)}`);
    expect(e.diagnostics.length).toBeGreaterThan(0);
    checkDiagnostics(e.diagnostics, e.sources ?? new Map(Object.entries(files)));
  }
  try {
    const c = checkFile(root, { readFile });
    checkDiagnostics(c.diagnostics, c.program.sources);
  } catch (e) {
    if (!(e instanceof KilnError)) throw e;
  }
  expect(performance.now() - t0, 'one run took too long').toBeLessThan(PER_RUN_MS);
}

describe('robustness: mutated sources', () => {
  it('splits sources into tokens that join back to the same text', () => {
    for (const text of Object.values(corpus)) expect(roughTokens(text).join('')).toBe(text);
  });

  it('every example and preset, mutated at random, gives a module or diagnostics, never a crash', () => {
    fc.assert(fc.property(fc.constantFrom(...corpusNames), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (name, mutations) => {
      const text = mutations.reduce(mutate, corpus[name]!);
      frontEndSurvives({ ...corpus, [name]: text }, name);
    }), { numRuns: 250 });
  });

  it('random token soups give diagnostics, never a crash', () => {
    fc.assert(fc.property(tokenSoupArb, (text) => {
      frontEndSurvives({ ...corpus, 'soup.kiln': text }, 'soup.kiln');
    }), { numRuns: 300 });
  });

  it('a soup wrapped in a network body gets past the parser often enough to test the checker', () => {
    let reachedChecks = 0;
    fc.assert(fc.property(tokenSoupArb, (soup) => {
      const text = `network n(b = 2) {\n  input x : f32[b, 4]\n  ${soup}\n  output x\n}\n`;
      frontEndSurvives({ 'n.kiln': text }, 'n.kiln');
      try {
        compile('n.kiln', { readFile: memoryFiles({ 'n.kiln': text }) });
        reachedChecks++;
      } catch (e) {
        if ((e as KilnError).diagnostics.some((d) => d.code !== 'syntax' && d.code !== 'lex')) reachedChecks++;
      }
    }), { numRuns: 200 });
    expect(reachedChecks).toBeGreaterThan(5);
  });

  it('random op calls with random arguments give a verified module or diagnostics', () => {
    fc.assert(fc.property(randomCallsArb, (text) => {
      frontEndSurvives({ 'calls.kiln': text }, 'calls.kiln');
    }), { numRuns: 300 });
  });

  it('arbitrary text, including control characters and unpaired surrogates, never crashes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      frontEndSurvives({ 'any.kiln': text }, 'any.kiln');
    }), { numRuns: 200 });
  });

  it('arbitrary JSON and mutated module JSON give a module or diagnostics', () => {
    const good = moduleToJson(compile(path.join(examplesDir, 'lenet5.kiln')).module);
    fc.assert(fc.property(fc.oneof(fc.json(), fc.array(mutationArb, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce(mutate, good))), (text) => {
      try {
        const m = moduleFromJson(text, 'm.json');
        expect(verifyModule(m)).toEqual([]);
        compile('m.json', { readFile: memoryFiles({ 'm.json': text }) });
      } catch (e) {
        if (!(e instanceof KilnError)) throw new Error(`not a KilnError for ${text.slice(0, 300)}: ${(e as Error).stack}`);
      }
    }), { numRuns: 200 });
  });
});

describe('robustness: generated valid networks', () => {
  it('compile clean to the expected output shape, verify, and round-trip through JSON byte for byte', () => {
    fc.assert(fc.property(validNetworkArb, (g) => {
      const t0 = performance.now();
      const r = compile('gen.kiln', { readFile: memoryFiles({ 'gen.kiln': g.source }) });
      expect(r.diagnostics).toEqual([]);
      const out = r.module.nodes[r.module.outputs[0]!]!;
      expect(out.type?.shape, g.source).toEqual(g.outputShape);
      expect(verifyModule(r.module, { requireTypes: true })).toEqual([]);
      const json = moduleToJson(r.module);
      const again = compile('gen.json', { readFile: memoryFiles({ 'gen.json': json }) });
      expect(again.module).toEqual(r.module);
      expect(moduleToJson(again.module)).toBe(json);
      expect(performance.now() - t0).toBeLessThan(PER_RUN_MS);
    }), { numRuns: 150 });
  });
});
