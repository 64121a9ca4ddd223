/**
 * What the playground computes from the editor's text, in the browser (and in Node for tests):
 * the same front end, presets, estimate and JSON rows as `kiln estimate --json`, over an
 * in-memory SourceHost holding the text and the shipped preset files the server sent.
 */
import { compileKiln } from '../../compiler/front-end.ts';
import type { Module } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import type { SourceHost } from '../../compiler/lang/source-host.ts';
import { estimateEach, neuromorphicRates, type EstimateOptions, type Workload } from '../../targets/estimate.ts';
import { loadPresets } from '../../targets/presets.ts';
import { partitionMaps } from '../report/partition-maps.ts';
import { estimateJson, type EstimateJson } from '../report/report-data.ts';

/** The editor's file. */
export const SOURCE_FILE = 'playground.kiln';

/**
 * The shipped preset files: their folder as the server names it (so every price's source, e.g.
 * `…/targets/presets/avx2-laptop.kiln:33:5`, reads as on the command line) and their texts by file name.
 */
export interface PresetFiles {
  dir: string;
  files: Record<string, string>;
}

export interface Analysis {
  /** Errors and warnings of the text; those with a position in SOURCE_FILE are drawn in the editor. */
  diagnostics: Diagnostic[];
  module?: Module;
  /** Exactly what `kiln estimate --json` prints for the text and the chosen presets. */
  estimate?: EstimateJson;
  maps: { target: string; svg: string }[];
}

/** Files held in memory: a file it lacks is missing, as on disk; imports resolve against the importer's folder. */
export function memoryHost(files: ReadonlyMap<string, string>): SourceHost {
  const folder = (f: string) => f.slice(0, Math.max(0, f.lastIndexOf('/')));
  return {
    readFile(file) {
      const text = files.get(file);
      if (text === undefined) throw Object.assign(new Error(`no such file: ${file}`), { code: 'ENOENT' });
      return text;
    },
    kilnFiles: (dir) => [...files.keys()].filter((f) => folder(f) === dir && f.endsWith('.kiln')).sort(),
    resolveImport: (file, rel) => (folder(file) ? `${folder(file)}/${rel}` : rel),
  };
}

export class Playground {
  private readonly presetFiles: Map<string, string>;
  private readonly presetDir: string;
  readonly presets: Map<string, TargetDescription>;

  constructor(shipped: PresetFiles) {
    this.presetDir = shipped.dir;
    this.presetFiles = new Map(Object.entries(shipped.files).map(([f, t]) => [`${shipped.dir}/${f}`, t]));
    this.presets = loadPresets(shipped.dir, memoryHost(this.presetFiles));
  }

  /** Compile `text` and price it on the named presets, as `kiln estimate FILE --target T… --json` would. */
  analyse(text: string, targetNames: readonly string[], options: EstimateOptions = {}): Analysis {
    const host = memoryHost(new Map([...this.presetFiles, [SOURCE_FILE, text]]));
    let module: Module;
    let diagnostics: Diagnostic[];
    try {
      ({ module, diagnostics } = compileKiln(SOURCE_FILE, undefined, host, { libraries: [this.presetDir] }));
    } catch (e) {
      if (e instanceof KilnError) return { diagnostics: e.diagnostics, maps: [] };
      throw e;
    }
    const targets = targetNames.map((n) => {
      const t = this.presets.get(n);
      if (!t) throw new Error(`no preset target \`${n}\` (presets: ${[...this.presets.keys()].join(', ')})`);
      return t;
    });
    const workload: Workload = { kind: 'module', module };
    const entries = estimateEach(workload, targets, options);
    return { diagnostics, module, estimate: estimateJson(entries), maps: partitionMaps(SOURCE_FILE, workload, targets, entries, neuromorphicRates(options)) };
  }
}
