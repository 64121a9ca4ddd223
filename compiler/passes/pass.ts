/**
 * Passes are pure Module → Module functions (written with immer, so a pass that changes nothing
 * returns the very same object). The pass manager runs a pipeline with instruments: print after
 * every pass, verify after every pass, and time every pass.
 */
import type { Diagnostic } from '../lang/diagnostics.ts';
import type { Module } from '../ir/module.ts';
import { printModule } from '../ir/print.ts';
import { verifyModule } from '../ir/verify.ts';

export interface PassContext {
  diagnostics: Diagnostic[];
  /**
   * The input module belongs to this run alone (its caller built it and keeps no reference), so a
   * pass may empty its `nodes` record while it builds its result: on a 262,144-node chain an
   * untyped and a typed copy side by side cost ~30 MB at `kiln check`'s peak. Node objects
   * themselves are never edited: they may be shared with the result.
   */
  owned?: boolean;
}

export interface Pass {
  name: string;
  description: string;
  run(m: Module, ctx: PassContext): Module;
  /** The verifier may require more after this pass (e.g. types after infer-shapes). */
  establishesTypes?: boolean;
}

export interface Instruments {
  printAfterAll?: (passName: string, text: string) => void;
  verifyEach?: boolean;
  timing?: (passName: string, ms: number) => void;
}

export class PassFailure extends Error {
  constructor(readonly passName: string, readonly problems: string[]) {
    super(`internal error: the IR is invalid after pass ${passName}: ${problems.join('; ')}`);
  }
}

export interface PipelineResult {
  module: Module;
  diagnostics: Diagnostic[];
  /** False when a pass reported errors; later passes did not run. */
  ok: boolean;
}

/** With `owned`, the caller hands `m` over: it must not read it afterwards (see PassContext.owned). */
export function runPipeline(m: Module, passes: readonly Pass[], instruments: Instruments = {}, owned = false): PipelineResult {
  const ctx: PassContext = { diagnostics: [], owned };
  let typed = false;
  let current = m;
  for (const pass of passes) {
    const t0 = performance.now();
    current = pass.run(current, ctx);
    instruments.timing?.(pass.name, performance.now() - t0);
    if (ctx.diagnostics.some((d) => d.severity === 'error')) return { module: current, diagnostics: ctx.diagnostics, ok: false };
    typed ||= !!pass.establishesTypes;
    if (instruments.verifyEach) {
      const problems = verifyModule(current, { requireTypes: typed });
      if (problems.length) throw new PassFailure(pass.name, problems);
    }
    instruments.printAfterAll?.(pass.name, printModule(current));
  }
  return { module: current, diagnostics: ctx.diagnostics, ok: true };
}
