/**
 * Runs the `kiln` command in-process through `main(argv, io)`, capturing its output, and (for
 * the few tests that need the real executable) as a subprocess. Temporary source files go to a
 * fresh directory per call.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadCommands, main } from '../../cli/main.ts';
import { repoRoot } from './paths.ts';

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

// main() runs only commands whose modules are loaded; tests run any command line.
await loadCommands();

export function runMain(argv: readonly string[]): RunResult {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Run a command to completion, collecting its output (asynchronous, so several can overlap). */
export function runProcess(command: string, argv: readonly string[], cwd = repoRoot, env?: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: env && { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/**
 * Run `node bin/kiln.js ARGS`: the bundle in dist/ (test/global-setup.ts builds it), about 0.3 s
 * of CPU a process; with `{ KILN_FROM_SOURCE: '1' }` the sources through tsx, 2-3 s.
 */
export function runKilnProcess(argv: readonly string[], cwd = repoRoot, env?: Record<string, string>): Promise<RunResult> {
  return runProcess(process.execPath, [path.join(repoRoot, 'bin/kiln.js'), ...argv], cwd, env);
}

const made: string[] = [];

/** Remove every directory tempFiles made (call from afterAll). */
export function removeTempFiles(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Write files (relative names, subdirectories allowed) into a new temporary directory. */
export function tempFiles(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-test-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** What must never reach a user: a JavaScript stack frame or an uncaught error's name. */
export const STACK_TRACE = /\n\s+at [^\n]*\(|TypeError|ReferenceError|RangeError|SyntaxError: /;
