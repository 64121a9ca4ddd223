/**
 * The front end over any SourceHost (compiler/lang/source-host.ts): check every declaration of a
 * program, pick its network, build it and run a pass pipeline. It imports no node: module, so the
 * CLI (through compiler/driver.ts, which adds the disk, module JSON and ONNX) and the browser
 * playground run the same code on the same text.
 */
import type { TargetDescription, TrainDescription } from './lang/description.ts';
import { checkTarget, checkTrain } from './lang/check-blocks.ts';
import { buildNetwork } from './lang/build-network.ts';
import { didYouMean, error, hasErrors, KilnError, uniqueDiagnostics, type Diagnostic } from './lang/diagnostics.ts';
import { loadSources, type LibraryOptions, type Program } from './lang/load-sources.ts';
import { baseName, type SourceHost } from './lang/source-host.ts';
import type { Module } from './ir/module.ts';
import type { NetworkDecl } from './lang/ast.ts';
import { runPipeline, type Instruments, type Pass } from './passes/pass.ts';
import { PIPELINES } from './passes/pipelines.ts';
import { inferShapes } from './passes/infer-shapes.ts';

export interface CheckResult {
  program: Program;
  /** Every network that built and passed the default pipeline, by name. */
  modules: Map<string, Module>;
  targets: Map<string, TargetDescription>;
  trains: Map<string, TrainDescription>;
  diagnostics: Diagnostic[];
}

export interface FrontEndOptions extends LibraryOptions {
  overrides?: Map<string, number>;
}

/**
 * The front end recurses over nested expressions, lists and blocks; input nested thousands of
 * levels deep exhausts the stack. That is the input's doing, so it is reported as a diagnostic
 * (exit 1), not as an internal error.
 */
export function guardDepth<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new KilnError(error('too-deep', `${file} is nested too deeply to compile (an expression, list or block thousands of levels deep)`, undefined, 'split the deepest expression or block into smaller ones'));
    }
    throw e;
  }
}

/** Check everything a program declares (and imports), reporting every error found. */
export function checkSources(file: string, host: SourceHost, opts: FrontEndOptions = {}): CheckResult {
  return guardDepth(file, () => checkProgram(file, host, opts));
}

function checkProgram(file: string, host: SourceHost, opts: FrontEndOptions): CheckResult {
  const program = loadSources(file, host, opts);
  const diagnostics = [...program.diagnostics];
  const modules = new Map<string, Module>();
  const targets = new Map<string, TargetDescription>();
  const trains = new Map<string, TrainDescription>();
  if (hasErrors(program.diagnostics)) return { program, modules, targets, trains, diagnostics };
  // An override must name a parameter of some network, or a typo in --set would pass silently.
  const allParams = [...new Set([...program.networks.values()].flatMap((d) => d.params.map((p) => p.name.name)))];
  for (const k of opts.overrides?.keys() ?? []) {
    if (!allParams.includes(k)) diagnostics.push(error('unknown-attr', `no network in ${file} has a parameter \`${k}\``, undefined, didYouMean(k, allParams) ?? `parameters: ${allParams.join(', ') || 'none'}`));
  }
  for (const decl of program.networks.values()) {
    const built = buildNetwork(program, decl, { overrides: overridesFor(decl, opts.overrides) });
    // The layers that built are shape-checked too: their mistakes are independent of the others.
    const shapes = built.partial ? runPipeline(built.partial, [inferShapes]).diagnostics : [];
    diagnostics.push(...inSourceOrder([...built.diagnostics, ...shapes]));
    if (!built.module) continue;
    // Nothing else holds the built module: the pipeline may take it apart as it types it.
    const r = runPipeline(built.module, PIPELINES.default!, {}, true);
    diagnostics.push(...r.diagnostics);
    if (r.ok) modules.set(decl.name.name, r.module);
  }
  for (const decl of program.targets.values()) {
    const t = checkTarget(program, decl, diagnostics);
    if (t) targets.set(t.name, t);
  }
  for (const decl of program.trains.values()) {
    const t = checkTrain(program, decl, diagnostics);
    if (t) trains.set(t.name, t);
  }
  return { program, modules, targets, trains, diagnostics: uniqueDiagnostics(diagnostics) };
}

/** Diagnostics of one network by position, so a reader meets them top to bottom (a stable sort). */
function inSourceOrder(diags: Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => (d.pos ? [d.pos.line, d.pos.col] : [Infinity, Infinity]);
  return diags.sort((a, b) => (a.pos?.file === b.pos?.file ? key(a)[0]! - key(b)[0]! || key(a)[1]! - key(b)[1]! : 0));
}

/** Overrides apply to the networks that have the parameter; the others keep their defaults. */
function overridesFor(decl: NetworkDecl, overrides: ReadonlyMap<string, number> | undefined): Map<string, number> {
  return new Map([...(overrides ?? [])].filter(([k]) => decl.params.some((p) => p.name.name === k)));
}

/**
 * Which network of a program to compile: the named one; else the root file's only network; else
 * the one named like the file (`resnet18.kiln` → `resnet18`). Otherwise an error lists the choices.
 */
export function selectNetwork(program: Program, name?: string): string {
  const rootAst = program.files.find((f) => f.file === program.root);
  const own = (rootAst?.decls ?? []).filter((d) => d.kind === 'network').map((d) => d.name.name);
  const at = { file: program.root, line: 1, col: 1, length: 1 };
  if (name !== undefined) {
    if (program.networks.has(name)) return name;
    throw new KilnError(error('undefined-name', `no network \`${name}\` in ${program.root}`, at, didYouMean(name, program.networks.keys()) ?? `networks: ${[...program.networks.keys()].join(', ') || 'none'}`));
  }
  if (own.length === 1) return own[0]!;
  const base = baseName(program.root).replace(/\.kiln$/, '');
  if (own.includes(base)) return base;
  if (own.length === 0) throw new KilnError(error('missing-output', `${program.root} declares no network`, at, 'add a `network NAME { … }` block'));
  throw new KilnError(error('ambiguous', `${program.root} declares ${own.length} networks (${own.join(', ')}); say which`, at, `write ${program.root}:${own[0]}`));
}

export interface CompileOptions extends FrontEndOptions {
  pipeline?: string;
  instruments?: Instruments;
}

export interface CompileResult {
  module: Module;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

/** The passes of a named pipeline (the default one when unnamed). */
export function pipelineOf(name: string | undefined): readonly Pass[] {
  const passes = PIPELINES[name ?? 'default'];
  if (!passes) throw new KilnError(error('usage', `unknown pipeline \`${name}\``, undefined, `pipelines: ${Object.keys(PIPELINES).join(', ')}`));
  return passes;
}

/** Compile network `name` (or the one selectNetwork picks) of a .kiln program; throws KilnError on errors. */
export function compileKiln(file: string, name: string | undefined, host: SourceHost, opts: CompileOptions = {}): CompileResult {
  return guardDepth(file, () => {
    const passes = pipelineOf(opts.pipeline);
    const checked = checkProgram(file, host, opts);
    const sources = new Map(checked.program.sources);
    const errors = checked.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new KilnError(checked.diagnostics, sources);
    const selected = selectNetwork(checked.program, name);
    // The check already built and typed every network through the default pipeline: reuse it
    // rather than build a second copy (a 2 MB source's chain is most of check's memory).
    const typed = passes === PIPELINES.default && !opts.instruments ? checked.modules.get(selected) : undefined;
    if (typed) return { module: typed, diagnostics: checked.diagnostics.filter((d) => d.severity !== 'error'), sources };
    const decl = checked.program.networks.get(selected)!;
    const built = buildNetwork(checked.program, decl, { overrides: overridesFor(decl, opts.overrides) });
    if (!built.module) throw new KilnError(built.diagnostics, sources);
    const r = runPipeline(built.module, passes, opts.instruments);
    if (!r.ok) throw new KilnError(r.diagnostics, sources);
    // Warnings from the check run already cover the selected network's pipeline.
    return { module: r.module, diagnostics: checked.diagnostics.filter((d) => d.severity !== 'error'), sources };
  });
}
