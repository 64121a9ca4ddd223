/**
 * `--target` on the command line, shared by the commands that take one. A preset name that does
 * not exist is a mistake on the command line (exit 2, with the presets to choose from); a target
 * file with errors in it is a mistake in the input (exit 1). Checked before the input is read, so
 * a mistyped preset is reported as what it is.
 */
import { warning, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { isPresetName, presets, resolveTarget, unknownTargetHint } from '../../targets/resolve.ts';
import { scaleSimTarget } from '../../targets/systolic/scalesim-import.ts';
import { UsageError } from '../args.ts';

export function targetFromCommandLine(spec: string, command: string): TargetDescription {
  if (isPresetName(spec) && !presets().has(spec)) throw new UsageError(`kiln ${command}: unknown target '${spec}'\n  hint: ${unknownTargetHint(spec)}`);
  return resolveTarget(spec, scaleSimTarget);
}

/** A cost model's notes about assumed defaults, as warnings (they carry their target's name): stderr, not the report. */
export function targetWarnings(warnings: readonly string[]): Diagnostic[] {
  return warnings.map((w) => warning('target', w));
}
