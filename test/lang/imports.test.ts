import { describe, it, expect } from 'vitest';
import { loadProgram } from '../../compiler/lang/load.ts';
import { compile } from '../../compiler/driver.ts';
import { memoryFiles } from '../helpers/memfs.ts';
import { compileError, compileText, expectDiagnostic, expectDiagnostics, net } from '../helpers/kiln.ts';

const block = net(['input x : f32[b, 4]', 'y = dense(x, 4) -> relu', 'output y'], 'b = 1', 'block');

describe('imports', () => {
  it('makes every declaration of an imported file (and of what it imports) visible', () => {
    const files = {
      'lib/a.kiln': 'import "b.kiln"\n' + block,
      'lib/b.kiln': 'target t : systolic { array 4 x 4 }\n',
    };
    const program = loadProgram('main.kiln', { readFile: memoryFiles({ ...files, 'main.kiln': 'import "lib/a.kiln"\n' }) });
    expect(program.diagnostics).toEqual([]);
    expect([...program.sources.keys()]).toEqual(['main.kiln', 'lib/a.kiln', 'lib/b.kiln']);
    expect([...program.networks.keys()]).toEqual(['block']);
    expect([...program.targets.keys()]).toEqual(['t']);
    // Positions keep the file they came from.
    expect(program.networks.get('block')!.name.loc.file).toBe('lib/a.kiln');
  });

  it('resolves paths relative to the importing file', () => {
    const files = { 'a/x.kiln': 'import "../b/y.kiln"\n', 'b/y.kiln': block };
    const program = loadProgram('a/x.kiln', { readFile: memoryFiles(files) });
    expect(program.diagnostics).toEqual([]);
    expect(program.networks.has('block')).toBe(true);
  });

  it('reads a file imported twice once', () => {
    let reads = 0;
    const files = memoryFiles({ 'main.kiln': 'import "a.kiln"\nimport "b.kiln"\n', 'a.kiln': 'import "c.kiln"\n', 'b.kiln': 'import "c.kiln"\n', 'c.kiln': block });
    const program = loadProgram('main.kiln', { readFile: (f) => { if (f === 'c.kiln') reads++; return files(f); } });
    expect(program.diagnostics).toEqual([]);
    expect(reads).toBe(1);
  });

  it('compiles a network that calls one from an imported file', () => {
    const { module: m } = compileText('import "block.kiln"\n' + net(['input x : f32[2, 4]', 'h = block(x, b = 2) -> softmax', 'output h']), { files: { 'block.kiln': block } });
    expect(Object.keys(m.nodes)).toEqual(['x', 'h.block.y.dense', 'h.block.y', 'h']);
  });

  it('reports a missing import at the import string', () => {
    const e = compileError('import "nope.kiln"\n' + net(['input x : f32[1]', 'output x']));
    expectDiagnostics(e.diagnostics, [{ code: 'import', file: 'main.kiln', line: 1, col: 8, message: 'cannot read `nope.kiln`: no such file', hint: 'relative to the importing file' }]);
  });

  it('reports a missing root file without a position', () => {
    const e = (() => { try { compile('absent.kiln', { readFile: memoryFiles({}) }); } catch (x) { return x as { diagnostics: unknown[] }; } return undefined; })();
    expect(e?.diagnostics).toEqual([{ severity: 'error', code: 'import', message: 'cannot read `absent.kiln`: no such file', pos: undefined, hint: undefined }]);
  });

  it('reports an import cycle at the import that closes it, with the whole loop', () => {
    const e = compileError('import "a.kiln"\n', { files: { 'a.kiln': 'import "b.kiln"\n', 'b.kiln': '\nimport "a.kiln"\n' } });
    expectDiagnostics(e.diagnostics, [{ code: 'import-cycle', file: 'b.kiln', line: 2, col: 8, message: 'import cycle: a.kiln → b.kiln → a.kiln', hint: 'a file both can import' }]);
  });

  it('reports a file that imports itself', () => {
    const e = compileError('import "main.kiln"\n' + net(['input x : f32[1]', 'output x']));
    expectDiagnostic(e.diagnostics, { code: 'import-cycle', line: 1, col: 8, message: 'import cycle: main.kiln → main.kiln' });
  });

  it('reports the same network name in two files', () => {
    const e = compileError('import "a.kiln"\n' + block, { files: { 'a.kiln': block } });
    expect(e.diagnostics).toHaveLength(1);
    expectDiagnostic(e.diagnostics, { code: 'duplicate-name', message: 'duplicate network `block`', hint: 'the first is at' });
  });

  it('reports syntax errors of every imported file, each with its own file name and source', () => {
    const e = compileError('import "a.kiln"\nimport "b.kiln"\n', { files: { 'a.kiln': 'network m { y = relu(x }\n', 'b.kiln': '\nnetwork k { input x f32[1] }\n' } });
    expectDiagnostics(e.diagnostics, [
      { code: 'syntax', file: 'a.kiln', line: 1, col: 24, message: "expected ')' but found '}'" },
      { code: 'syntax', file: 'b.kiln', line: 2, col: 21, message: "expected ':' but found 'f32'" },
    ]);
    expect(e.sources!.get('a.kiln')).toContain('network m');
  });

  it('reports an unreadable import that is a directory', () => {
    const readFile = (f: string) => {
      if (f === 'main.kiln') return 'import "dir"\n';
      const e = new Error('EISDIR') as NodeJS.ErrnoException;
      e.code = 'EISDIR';
      throw e;
    };
    const program = loadProgram('main.kiln', { readFile });
    expectDiagnostic(program.diagnostics, { code: 'import', message: 'cannot read `dir`: it is a directory' });
  });
});

describe('selecting a network', () => {
  const two = net(['input x : f32[1]', 'output x'], '', 'first') + net(['input x : f32[2]', 'output x'], '', 'second');

  it('takes FILE:NETWORK', () => {
    expect(compileText(two, { network: 'second' }).module.name).toBe('second');
  });

  it('takes the only network of the root file, ignoring imported ones', () => {
    expect(compileText('import "b.kiln"\n' + net(['input x : f32[1]', 'output x'], '', 'mine'), { files: { 'b.kiln': block } }).module.name).toBe('mine');
  });

  it('takes the network named like the file', () => {
    expect(compileText(two, { file: 'second.kiln' }).module.name).toBe('second');
  });

  it('asks which one when it cannot tell', () => {
    expectDiagnostics(compileError(two).diagnostics, [{ code: 'ambiguous', line: 1, col: 1, message: 'main.kiln declares 2 networks (first, second); say which', hint: 'write main.kiln:first' }]);
  });

  it('reports an unknown network name with a suggestion', () => {
    expectDiagnostics(compileError(two, { network: 'secnod' }).diagnostics, [{ code: 'undefined-name', message: 'no network `secnod` in main.kiln', hint: 'did you mean `second`?' }]);
  });

  it('reports a file that declares no network', () => {
    expectDiagnostics(compileError('target t : systolic { }\n').diagnostics, [{ code: 'missing-output', message: 'main.kiln declares no network', hint: 'add a `network NAME { … }` block' }]);
  });
});
