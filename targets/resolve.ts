/**
 * Finds a target from what a user typed: a preset name (`tpu_v1_like`), `file.kiln:target`, or a
 * SCALE-Sim .cfg file. Unknown names get a "did you mean" over every preset.
 */
import { checkFile, splitSelector } from '../compiler/driver.ts';
import { didYouMean, error, KilnError } from '../compiler/lang/diagnostics.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import { packagePath } from '../compiler/io/package-root.ts';
import { nodeHost } from '../compiler/io/node-host.ts';
import { loadPresets } from './presets.ts';

export const PRESET_DIR = packagePath('targets', 'presets');

/** For the front end: a user's target may extend a shipped preset by name (`extends tpu_v1_like`). */
export const PRESET_LIBRARY: readonly string[] = [PRESET_DIR];

let presetCache: Map<string, TargetDescription> | undefined;

/** Every preset target, by name (loaded once). */
export function presets(): Map<string, TargetDescription> {
  return (presetCache ??= loadPresets(PRESET_DIR, nodeHost()));
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
