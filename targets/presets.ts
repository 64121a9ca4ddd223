/**
 * The shipped preset targets, checked from their .kiln files through a SourceHost: the CLI reads
 * them from targets/presets/ (targets/resolve.ts), the browser playground from the same texts the
 * server sends, so a preset prices the same in both.
 */
import { checkSources } from '../compiler/front-end.ts';
import { KilnError } from '../compiler/lang/diagnostics.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import type { SourceHost } from '../compiler/lang/source-host.ts';

/** Every target declared in the .kiln files of `dir`, by name. A preset with an error is a Kiln bug, thrown as found. */
export function loadPresets(dir: string, host: SourceHost): Map<string, TargetDescription> {
  const out = new Map<string, TargetDescription>();
  for (const file of host.kilnFiles(dir)) {
    const r = checkSources(file, host);
    if (r.diagnostics.some((d) => d.severity === 'error')) throw new KilnError(r.diagnostics, r.program.sources);
    for (const [name, t] of r.targets) out.set(name, t);
  }
  return out;
}
