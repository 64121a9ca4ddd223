/**
 * The front end as one call: load a .kiln file (or a module JSON), check every declaration, build
 * the selected network and run a pipeline on it. The CLI and the tests both go through here.
 */
import * as path from 'node:path';
import { readInputText } from './io/read-input.ts';
import type { TargetDescription, TrainDescription } from './lang/description.ts';
import { checkTarget, checkTrain } from './lang/check-blocks.ts';
import { buildNetwork } from './lang/build-network.ts';
import { didYouMean, error, hasErrors, KilnError, uniqueDiagnostics, type Diagnostic } from './lang/diagnostics.ts';
import { loadProgram, type LoadOptions, type Program } from './lang/load.ts';
import { moduleFromJson } from './ir/json.ts';
import { importOnnx } from './onnx/importer.ts';
import { readModel } from './onnx/proto.ts';
import { stripBom } from './io/text.ts';
import type { Module } from './ir/module.ts';
import type { NetworkDecl } from './lang/ast.ts';
import { runPipeline, type Instruments } from './passes/pass.ts';
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

export interface FrontEndOptions extends LoadOptions {
  overrides?: Map<string, number>;
}

/**
 * The front end recurses over nested expressions, lists and blocks; input nested thousands of
 * levels deep exhausts the stack. That is the input's doing, so it is reported as a diagnostic
 * (exit 1), not as an internal error.
 */
function guardDepth<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new KilnError(error('too-deep', `${file} is nested too deeply to compile (an expression, list or block thousands of levels deep)`, undefined, 'split the deepest expression or block into smaller ones'));
    }
    throw e;
  }
}

/** Check everything a file declares (and imports), reporting every error found. */
export function checkFile(file: string, opts: FrontEndOptions = {}): CheckResult {
  return guardDepth(file, () => checkProgram(file, opts));
}

function checkProgram(file: string, opts: FrontEndOptions): CheckResult {
  const program = loadProgram(file, opts);
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

/** An ONNX model through the importer (its weights are not needed to compile or estimate it). */
function importedOnnx(file: string): Module {
  const r = importOnnx(readModel(file));
  if (!r.ok) throw new KilnError(error('onnx', `cannot import \`${file}\`: ${r.reason}`, undefined, 'Kiln imports the ONNX ops, types and shapes listed in docs/onnx-conformance.md'));
  return r.value.module;
}

/** `file.kiln:name` → file and name; a plain path has no name. */
export function splitSelector(spec: string): { file: string; name?: string } {
  const m = /^(.*\.(?:kiln|json)):([A-Za-z_][A-Za-z0-9_]*)$/.exec(spec);
  return m ? { file: m[1]!, name: m[2]! } : { file: spec };
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
  const base = path.basename(program.root).replace(/\.kiln$/, '');
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

/** Compile one network (from .kiln or module JSON) through a pipeline; throws KilnError on errors. */
export function compile(spec: string, opts: CompileOptions = {}): CompileResult {
  return guardDepth(splitSelector(spec).file, () => compileUnguarded(spec, opts));
}

function compileUnguarded(spec: string, opts: CompileOptions): CompileResult {
  const { file, name } = splitSelector(spec);
  const passes = PIPELINES[opts.pipeline ?? 'default'];
  if (!passes) throw new KilnError(error('usage', `unknown pipeline \`${opts.pipeline}\``, undefined, `pipelines: ${Object.keys(PIPELINES).join(', ')}`));
  let module: Module;
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  if (file.endsWith('.onnx')) {
    module = importedOnnx(file);
  } else if (file.endsWith('.json')) {
    let text: string;
    try {
      text = stripBom((opts.readFile ?? ((f: string) => readInputText(f)))(file));
    } catch (e) {
      if (e instanceof KilnError) throw e;
      throw new KilnError(error('io', `cannot read \`${file}\`: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`));
    }
    sources.set(file, text);
    module = moduleFromJson(text, file);
  } else {
    const checked = checkFile(file, opts);
    checked.program.sources.forEach((t, f) => sources.set(f, t));
    const errors = checked.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new KilnError(checked.diagnostics, sources);
    const selected = selectNetwork(checked.program, name);
    const decl = checked.program.networks.get(selected)!;
    const built = buildNetwork(checked.program, decl, { overrides: overridesFor(decl, opts.overrides) });
    diagnostics.push(...checked.diagnostics.filter((d) => d.severity !== 'error'));
    if (!built.module) throw new KilnError(built.diagnostics, sources);
    module = built.module;
  }
  const r = runPipeline(module, passes, opts.instruments);
  // Warnings from the check run already cover the selected network's pipeline.
  if (!file.endsWith('.json') && !file.endsWith('.onnx') && r.ok) return { module: r.module, diagnostics, sources };
  if (!r.ok) throw new KilnError(r.diagnostics, sources);
  return { module: r.module, diagnostics: [...diagnostics, ...r.diagnostics], sources };
}
