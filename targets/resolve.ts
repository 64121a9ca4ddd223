/**
 * Finds a target from what a user typed: a preset name (`tpu_v1_like`), `file.kiln:target`, or a
 * SCALE-Sim .cfg file. Unknown names get a "did you mean" over every preset.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { checkFile, splitSelector } from '../compiler/driver.ts';
import { didYouMean, error, KilnError } from '../compiler/lang/diagnostics.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import { packagePath } from '../compiler/io/package-root.ts';

export const PRESET_DIR = packagePath('targets', 'presets');

/** For the front end: a user's target may extend a shipped preset by name (`extends tpu_v1_like`). */
export const PRESET_LIBRARY: readonly string[] = [PRESET_DIR];

let presetCache: Map<string, TargetDescription> | undefined;

/** Every preset target, by name (loaded once). */
export function presets(): Map<string, TargetDescription> {
  if (presetCache) return presetCache;
  const out = new Map<string, TargetDescription>();
  for (const f of readdirSync(PRESET_DIR).filter((f) => f.endsWith('.kiln')).sort()) {
    const r = checkFile(path.join(PRESET_DIR, f));
    if (r.diagnostics.some((d) => d.severity === 'error')) throw new KilnError(r.diagnostics, r.program.sources);
    for (const [name, t] of r.targets) out.set(name, t);
  }
  presetCache = out;
  return out;
}

/** Whether a `--target` value names a preset rather than a file (FILE.kiln[:NAME] or a .cfg). */
export function isPresetName(spec: string): boolean {
  return !spec.endsWith('.cfg') && !splitSelector(spec).file.endsWith('.kiln');
}

/** What to say about a target name that is no preset: the nearest preset, then all of them. */
export function unknownTargetHint(spec: string): string {
  const names = [...presets().keys()];
  return [didYouMean(spec, names), `presets: ${names.join(', ')}; or FILE.kiln:NAME, or a SCALE-Sim .cfg`].filter(Boolean).join(' ');
}

export type ConfigLoader = (file: string) => TargetDescription;

/** Resolve one `--target` value. `.cfg` files go through `loadCfg` (SCALE-Sim import). */
export function resolveTarget(spec: string, loadCfg?: ConfigLoader): TargetDescription {
  if (spec.endsWith('.cfg')) {
    if (!loadCfg) throw new KilnError(error('usage', 'SCALE-Sim .cfg targets are not supported here'));
    return loadCfg(spec);
  }
  const { file, name } = splitSelector(spec);
  if (file.endsWith('.kiln')) {
    const r = checkFile(file, { libraries: PRESET_LIBRARY });
    if (r.diagnostics.some((d) => d.severity === 'error')) throw new KilnError(r.diagnostics, r.program.sources);
    // Without a name, the file's own target is meant, not one it imports or builds on.
    const declared = [...r.targets.keys()].filter((n) => r.program.targets.get(n)!.name.loc.file === file);
    const own = declared.length ? declared : [...r.targets.keys()];
    const chosen = name ?? (own.length === 1 ? own[0] : undefined);
    const at = { file, line: 1, col: 1, length: 1 };
    if (!chosen) throw new KilnError(error('ambiguous', `${file} declares ${own.length} targets (${own.join(', ') || 'none'}); say which`, at, own.length ? `write ${file}:${own[0]}` : 'add a `target NAME : KIND { … }` block'));
    const t = r.targets.get(chosen);
    if (!t) throw new KilnError(error('undefined-name', `no target \`${chosen}\` in ${file}`, at, didYouMean(chosen, own)));
    return t;
  }
  const t = presets().get(spec);
  if (!t) {
    throw new KilnError(error('undefined-name', `unknown target \`${spec}\``, undefined, unknownTargetHint(spec)));
  }
  return t;
}
