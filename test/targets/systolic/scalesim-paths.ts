/** SCALE-Sim's reference files: its configs, topologies and results, in test/fixtures/scalesim. */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fixture } from '../../helpers/fixtures.ts';

export const scaleSimDir = fixture('scalesim');

export function readReference(relative: string): string {
  return readFileSync(path.join(scaleSimDir, relative), 'utf8');
}

/** Files under a reference subdirectory with the given extension, as paths relative to scaleSimDir. */
export function referenceFiles(subdir: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(scaleSimDir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith(ext)) out.push(r);
    }
  };
  walk(subdir);
  return out.sort();
}

/** Rows of a simple CSV with a header (no quoting), as objects. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split(/\r?\n/);
  const keys = header!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i]!, v])));
}
