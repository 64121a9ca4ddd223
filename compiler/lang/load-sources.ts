/**
 * Loads a .kiln file and everything it imports into one Program: every declaration by name,
 * every source text (so any diagnostic can show its line), and the diagnostics of all files.
 * Files come through a SourceHost, so the same loader runs on disk and in the browser playground.
 */
import type { FileAst, NetworkDecl, TargetDecl, TrainDecl, Loc } from './ast.ts';
import { parseFile } from './build-ast.ts';
import { error, KilnError, type Diagnostic } from './diagnostics.ts';
import { TARGET_KINDS } from './block-schema.ts';
import { stripBom } from '../io/text.ts';
import { baseName, type SourceHost } from './source-host.ts';

export interface Program {
  /** The file given on the command line. */
  root: string;
  sources: Map<string, string>;
  files: FileAst[];
  networks: Map<string, NetworkDecl>;
  targets: Map<string, TargetDecl>;
  trains: Map<string, TrainDecl>;
  diagnostics: Diagnostic[];
}

export interface LibraryOptions {
  /**
   * Folders of shipped target presets (the front end cannot know where they live: whoever calls
   * it passes them in). A target that extends a name the program neither declares nor imports is
   * looked up there, so a user's file can build on a preset by name from any folder.
   */
  libraries?: readonly string[];
}

export function loadSources(root: string, host: SourceHost, opts: LibraryOptions = {}): Program {
  const read = (f: string) => host.readFile(f);
  const program: Program = { root, sources: new Map(), files: [], networks: new Map(), targets: new Map(), trains: new Map(), diagnostics: [] };
  const done = new Set<string>();

  const visit = (file: string, stack: string[], from?: Loc): void => {
    if (stack.includes(file)) {
      const cycle = [...stack.slice(stack.indexOf(file)), file].map(baseName).join(' → ');
      program.diagnostics.push(error('import-cycle', `import cycle: ${cycle}`, from, 'move the shared declarations into a file both can import'));
      return;
    }
    if (done.has(file)) return;
    done.add(file);
    let text: string;
    try {
      text = stripBom(read(file));
    } catch (e) {
      // The reader's refusals (not a regular file, over the cap) keep their words, placed at the import.
      if (e instanceof KilnError) {
        program.diagnostics.push(...e.diagnostics.map((d) => ({ ...d, code: 'import', pos: from, hint: d.hint ?? (from ? 'import paths are relative to the importing file' : undefined) })));
        return;
      }
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : ((e as Error).message ?? String(e));
      program.diagnostics.push(error('import', `cannot read \`${file}\`: ${why}`, from, from ? 'import paths are relative to the importing file' : undefined));
      return;
    }
    program.sources.set(file, text);
    const { ast, diagnostics } = parseFile(text, file);
    program.diagnostics.push(...diagnostics);
    if (!ast) return;
    program.files.push(ast);
    for (const imp of ast.imports) visit(host.resolveImport(file, imp.path), [...stack, file], imp.loc);
    for (const d of ast.decls) {
      const table: Map<string, NetworkDecl | TargetDecl | TrainDecl> =
        d.kind === 'network' ? program.networks : d.kind === 'target' ? program.targets : program.trains;
      const prev = table.get(d.name.name);
      if (prev) {
        program.diagnostics.push(error('duplicate-name', `duplicate ${d.kind} \`${d.name.name}\``, d.name.loc, `the first is at ${prev.name.loc.file}:${prev.name.loc.line}:${prev.name.loc.col}; rename one`));
      } else {
        table.set(d.name.name, d as never);
      }
    }
  };
  visit(root, []);
  if (opts.libraries?.length) loadLibraryBases(program, opts.libraries, host, visit);
  return program;
}

/** Every library file that declares a base the program is missing, until none is missing. */
function loadLibraryBases(program: Program, libraries: readonly string[], host: SourceHost, visit: (file: string, stack: string[], from?: Loc) => void): void {
  const declaredIn = new Map<string, string>();
  for (const dir of libraries) {
    for (const file of host.kilnFiles(dir)) {
      const { ast } = parseFile(host.readFile(file), file);
      for (const d of ast?.decls ?? []) if (d.kind === 'target' && !declaredIn.has(d.name.name)) declaredIn.set(d.name.name, file);
    }
  }
  for (;;) {
    // `target t : preset` is a mistake checkTarget explains; loading the preset lets it say so.
    const missing = [...program.targets.values()].map((t) => t.base).filter((b) => !program.targets.has(b.name.name) && (b.how === 'extends' || !(TARGET_KINDS as readonly string[]).includes(b.name.name)));
    const next = missing.find((b) => declaredIn.has(b.name.name) && !program.sources.has(declaredIn.get(b.name.name)!));
    if (!next) return;
    visit(declaredIn.get(next.name.name)!, [], next.name.loc);
  }
}
