/**
 * The front end as one call: load a .kiln file (or a module JSON, or an ONNX model) from disk,
 * check every declaration, build the selected network and run a pipeline on it. The CLI and the
 * tests go through here; the work on .kiln text is compiler/front-end.ts, which the browser
 * playground runs on its own host.
 */
import { readInputText } from './io/read-input.ts';
import { nodeHost } from './io/node-host.ts';
import { error, KilnError } from './lang/diagnostics.ts';
import type { LoadOptions } from './lang/load.ts';
import { moduleFromJson } from './ir/json.ts';
import { importOnnx } from './onnx/importer.ts';
import { readModel } from './onnx/proto.ts';
import { stripBom } from './io/text.ts';
import type { Module } from './ir/module.ts';
import { runPipeline } from './passes/pass.ts';
import { checkSources, compileKiln, guardDepth, pipelineOf, type CheckResult, type CompileOptions as KilnCompileOptions, type CompileResult, type FrontEndOptions as KilnFrontEndOptions } from './front-end.ts';

export { selectNetwork, type CheckResult, type CompileResult } from './front-end.ts';

export interface FrontEndOptions extends KilnFrontEndOptions, LoadOptions {}
export interface CompileOptions extends KilnCompileOptions, LoadOptions {}

/** Check everything a file declares (and imports), reporting every error found. */
export function checkFile(file: string, opts: FrontEndOptions = {}): CheckResult {
  return checkSources(file, nodeHost(opts.readFile), opts);
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

/** Compile one network (from .kiln or module JSON) through a pipeline; throws KilnError on errors. */
export function compile(spec: string, opts: CompileOptions = {}): CompileResult {
  const { file, name } = splitSelector(spec);
  if (!file.endsWith('.json') && !file.endsWith('.onnx')) return compileKiln(file, name, nodeHost(opts.readFile), opts);
  return guardDepth(file, () => compileModule(file, opts));
}

/** A module JSON or an ONNX model: no program to check, straight into the pipeline. */
function compileModule(file: string, opts: CompileOptions): CompileResult {
  const passes = pipelineOf(opts.pipeline);
  let module: Module;
  const sources = new Map<string, string>();
  if (file.endsWith('.onnx')) {
    module = importedOnnx(file);
  } else {
    let text: string;
    try {
      text = stripBom((opts.readFile ?? ((f: string) => readInputText(f)))(file));
    } catch (e) {
      if (e instanceof KilnError) throw e;
      throw new KilnError(error('io', `cannot read \`${file}\`: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`));
    }
    sources.set(file, text);
    module = moduleFromJson(text, file);
  }
  const r = runPipeline(module, passes, opts.instruments);
  if (!r.ok) throw new KilnError(r.diagnostics, sources);
  return { module: r.module, diagnostics: r.diagnostics, sources };
}
