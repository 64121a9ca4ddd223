/**
 * The folders read in pipeline order: compiler (language, IR, passes, front ends) at the bottom,
 * then targets (lowering and cost), runtime (interpreter, training), and cli on top. A folder may
 * import its own and lower folders, never a higher one, so each floor can be understood, tested and
 * shipped (the browser playground takes compiler and targets only) without the floors above it.
 * File-level import cycles are refused as well: they make module initialisation order fragile.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';

const FLOORS = ['compiler', 'targets', 'runtime', 'cli'] as const;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Relative import specifiers of a file, type-only imports and re-exports included. */
function imports(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8');
  const re = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  const out: string[] = [];
  for (const m of text.matchAll(re)) out.push(path.normalize(path.join(path.dirname(file), m[1] ?? m[2]!)));
  return out;
}

const files = FLOORS.flatMap((f) => sources(f));
const graph = new Map(files.map((f) => [f, imports(f)]));
const floor = (file: string) => FLOORS.indexOf(file.split(path.sep)[0] as (typeof FLOORS)[number]);

describe('layout', () => {
  it('finds the sources it checks', () => {
    for (const f of FLOORS) expect(files.some((x) => x.startsWith(f + path.sep)), f).toBe(true);
  });

  it('no folder imports a folder above it', () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const d of deps) {
        const to = floor(d);
        if (to < 0) upward.push(`${file} imports ${d}, outside the pipeline folders`);
        else if (to > floor(file)) upward.push(`${file} imports ${d}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no bench imports the test tree', () => {
    // A bench is run on its own (npm run bench), and what it needs is shared code, not a test's helper.
    const intoTests = sources('bench').flatMap((f) => imports(f).filter((d) => d.split(path.sep)[0] === 'test').map((d) => `${f} imports ${d}`));
    expect(intoTests).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, deps]) => deps.filter((d) => !graph.has(d) && !d.endsWith('.json')).map((d) => `${file} → ${d}`));
    expect(missing).toEqual([]);
  });

  it('has no import cycles between files', () => {
    // Tarjan's strongly connected components; any component of more than one file is a cycle.
    let index = 0;
    const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>(), stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index); low.set(v, index); index++; stack.push(v); onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do { w = stack.pop()!; onStack.delete(w); comp.push(w); } while (w !== v);
        if (comp.length > 1) cycles.push(comp.sort());
      }
    };
    for (const v of graph.keys()) if (!idx.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
