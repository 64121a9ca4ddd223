/**
 * Issue 9: a UTF-8 byte-order mark at the start of an input file is accepted, and columns in
 * diagnostics count from the first real character, as an editor shows them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { stripBom } from '../../compiler/io/text.ts';
import { checkText, compileText, diagnosticsOf, expectDiagnostics, formattedErrors, net } from '../helpers/kiln.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

const BOM = '\uFEFF';
afterAll(removeTempFiles);

describe('a byte-order mark at the start of a file', () => {
  it('is dropped, and only at the start', () => {
    expect(stripBom(`${BOM}network`)).toBe('network');
    expect(stripBom(`a${BOM}`)).toBe(`a${BOM}`);
    expect(stripBom('')).toBe('');
  });

  it('a .kiln file with one compiles like the same file without', () => {
    const src = net(['input x : f32[1, 4]', 'y = dense(x, 3) -> relu', 'output y']);
    expect(compileText(BOM + src).module).toEqual(compileText(src).module);
    expect(checkText(BOM + src).diagnostics).toEqual([]);
  });

  it('does not shift the column of an error on the first line, nor its caret', () => {
    const src = 'network n { input x : f32[1, 4]  y = relux(x)\n  output y }\n';
    expectDiagnostics(diagnosticsOf(BOM + src), [{ code: 'unknown-op', line: 1, col: 38 }]);
    expect(formattedErrors(BOM + src)).toBe(formattedErrors(src));
  });

  it('is accepted in an imported file too', () => {
    const block = 'network blk {\n  input x : f32[1, 4]\n  y = dense(x, 4)\n  output y\n}\n';
    const main = `${BOM}import "blk.kiln"\n` + net(['input x : f32[1, 4]', 'y = blk(x)', 'output y']);
    expect(compileText(main, { files: { 'blk.kiln': BOM + block }, network: 'n' }).module.outputs).toHaveLength(1);
  });

  it('is accepted in a module JSON, a rates JSON and on the command line', () => {
    const src = net(['input x : f32[1, 4]', 'y = dense(x, 3) -> relu', 'output y']);
    const dir = tempFiles({ 'n.kiln': BOM + src });
    const json = runMain(['compile', path.join(dir, 'n.kiln'), '--emit', 'json']);
    expect(json.code).toBe(0);
    const dir2 = tempFiles({ 'm.json': BOM + json.out, 'rates.json': BOM + '{"x": 0.1}' });
    const again = runMain(['compile', path.join(dir2, 'm.json'), '--emit', 'json']);
    expect(again).toEqual({ code: 0, out: json.out, err: '' });
    const est = runMain(['estimate', path.join(dir2, 'm.json'), '--target', 'avx2_laptop', '--rates', path.join(dir2, 'rates.json'), '--json']);
    expect(est.err).toBe('');
    expect(est.code).toBe(0);
  });

  it('the CLI prints an error on line 1 with the caret under the right character', () => {
    const dir = tempFiles({ 'bad.kiln': BOM + 'network n { input x : f32[1, 4]  y = relux(x)\n  output y }\n' });
    const r = runMain(['check', path.join(dir, 'bad.kiln')]);
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines[0]).toMatch(/bad\.kiln:1:38: error: unknown op `relux`$/);
    expect(lines[1]).toBe('    1 | network n { input x : f32[1, 4]  y = relux(x)');
    expect(lines[2]).toBe('      |                                      ^~~~~');
    expect(r.out).toBe('');
  });
});
