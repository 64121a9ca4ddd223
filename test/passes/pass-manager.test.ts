import { describe, it, expect } from 'vitest';
import { produce } from 'immer';
import { runPipeline, PassFailure, type Pass } from '../../compiler/passes/pass.ts';
import { inferShapes } from '../../compiler/passes/infer-shapes.ts';
import { eliminateDeadCode } from '../../compiler/passes/eliminate-dead-code.ts';
import { PASSES, PIPELINES } from '../../compiler/passes/pipelines.ts';
import { buildNetwork } from '../../compiler/lang/build-network.ts';
import { loadProgram } from '../../compiler/lang/load.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { compile } from '../../compiler/driver.ts';
import { printModule } from '../../compiler/ir/print.ts';
import { verifyModule } from '../../compiler/ir/verify.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { memoryFiles } from '../helpers/memfs.ts';
import { net } from '../helpers/kiln.ts';

/** The module the builder makes, before any pass: no types yet. */
function built(lines: string[]): Module {
  const program = loadProgram('p.kiln', { readFile: memoryFiles({ 'p.kiln': net(lines) }) });
  const r = buildNetwork(program, program.networks.get('n')!);
  if (!r.module) throw new Error(JSON.stringify(r.diagnostics));
  return r.module;
}

const plain = built(['input x : f32[2, 4]', 'h = dense(x, 3) -> relu', 'y = softmax(h)', 'output y']);
const withDead = built(['input x : f32[2, 4]', 'input unused_in : f32[1]', 'h = dense(x, 3) -> relu', 'spare = dense(h, 5) -> tanh -> relu', 'y = softmax(h)', 'output y']);

describe('pass manager', () => {
  it('runs the default pipeline: dead-code elimination, then shape inference', () => {
    expect(PIPELINES.default!.map((p) => p.name)).toEqual(['eliminate-dead-code', 'infer-shapes']);
    expect(Object.keys(PASSES).sort()).toEqual(['eliminate-dead-code', 'infer-shapes']);
    for (const p of Object.values(PASSES)) expect(p.description.length).toBeGreaterThan(10);
  });

  it('refuses an unknown pipeline by name', () => {
    let caught: unknown;
    try {
      compile('p.kiln', { readFile: memoryFiles({ 'p.kiln': net(['input x : f32[1]', 'output x']) }), pipeline: 'fast' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KilnError);
    expect((caught as KilnError).diagnostics).toEqual([{ severity: 'error', code: 'usage', message: 'unknown pipeline `fast`', pos: undefined, hint: 'pipelines: default' }]);
  });

  it('print-after-all hands over the IR after every pass, under its name', () => {
    const printed: [string, string][] = [];
    const r = runPipeline(withDead, PIPELINES.default!, { printAfterAll: (name, text) => printed.push([name, text]) });
    expect(printed.map(([name]) => name)).toEqual(['eliminate-dead-code', 'infer-shapes']);
    // After dead-code elimination the spare layers are gone but nothing is typed yet.
    expect(printed[0]![1]).not.toContain('spare');
    expect(printed[0]![1]).not.toContain('# f32');
    expect(printed[1]![1]).toBe(printModule(r.module));
    expect(printed[1]![1]).toContain('y = softmax(h, axis = -1)  # f32[2, 3]');
  });

  it('timing reports every pass with a duration', () => {
    const times: [string, number][] = [];
    runPipeline(plain, PIPELINES.default!, { timing: (name, ms) => times.push([name, ms]) });
    expect(times.map(([n]) => n)).toEqual(['eliminate-dead-code', 'infer-shapes']);
    for (const [, ms] of times) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('verify-each stops at the first pass that breaks the IR, naming it', () => {
    const breaker: Pass = { name: 'break-outputs', description: 'points the output at nothing', run: (m) => produce(m, (d) => { d.outputs = ['nowhere']; }) };
    const after: Pass = { name: 'after', description: 'must not run', run: () => { throw new Error('ran after a broken pass'); } };
    let caught: unknown;
    try {
      runPipeline(plain, [inferShapes, breaker, after], { verifyEach: true });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PassFailure);
    expect((caught as PassFailure).passName).toBe('break-outputs');
    expect((caught as PassFailure).problems).toEqual(['module output "nowhere" does not exist']);
    expect((caught as PassFailure).message).toContain('internal error: the IR is invalid after pass break-outputs');
    // Without the instrument the broken IR goes through unnoticed (the later pass is reached).
    expect(() => runPipeline(plain, [inferShapes, breaker, after])).toThrow('ran after a broken pass');
  });

  it('verify-each requires types only once a pass established them', () => {
    const dropTypes: Pass = { name: 'drop-types', description: 'forgets the types', run: (m) => produce(m, (d) => { for (const n of Object.values(d.nodes)) delete n.type; }) };
    expect(() => runPipeline(plain, [dropTypes], { verifyEach: true })).not.toThrow();
    expect(() => runPipeline(plain, [inferShapes, dropTypes], { verifyEach: true })).toThrow(PassFailure);
  });

  it('stops after a pass that reports an error, without verifying or printing it', () => {
    const failing: Pass = { name: 'fail', description: 'reports an error', run: (m, ctx) => { ctx.diagnostics.push(error('x', 'nope')); return m; } };
    const printed: string[] = [];
    const r = runPipeline(plain, [failing, inferShapes], { printAfterAll: (n) => printed.push(n), verifyEach: true });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.message)).toEqual(['nope']);
    expect(printed).toEqual([]);
    expect(r.module.nodes.y!.type).toBeUndefined();
  });

  it('keeps passing warnings through a successful run', () => {
    const r = runPipeline(withDead, PIPELINES.default!, { verifyEach: true });
    expect(r.ok).toBe(true);
    expect(r.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
    expect(verifyModule(r.module, { requireTypes: true })).toEqual([]);
  });
});

describe('passes are pure functions of the module (immer)', () => {
  it('never change their input', () => {
    const before = JSON.stringify(withDead);
    runPipeline(withDead, PIPELINES.default!);
    expect(JSON.stringify(withDead)).toBe(before);
  });

  it('return the very same object when nothing changes', () => {
    const ctx = { diagnostics: [] };
    expect(eliminateDeadCode.run(plain, ctx)).toBe(plain);
    const typed = inferShapes.run(plain, ctx);
    expect(typed).not.toBe(plain);
    expect(inferShapes.run(typed, ctx)).toBe(typed);
    expect(eliminateDeadCode.run(typed, ctx)).toBe(typed);
    expect(ctx.diagnostics).toEqual([]);
  });

  it('share the nodes they do not touch', () => {
    const ctx = { diagnostics: [] };
    const typed = inferShapes.run(withDead, ctx);
    const pruned = eliminateDeadCode.run(typed, ctx);
    expect(pruned).not.toBe(typed);
    expect(pruned.nodes.h).toBe(typed.nodes.h);
    expect(pruned.nodes.y).toBe(typed.nodes.y);
  });

  it('an owned module is emptied as it is typed, to the same result; one not owned is left alone', () => {
    const lines = ['input x : f32[2, 4]', 'h = dense(x, 3) -> relu -> relu', 'y = softmax(h)', 'output y'];
    const kept = built(lines);
    const owned = built(lines);
    const fromKept = runPipeline(kept, PIPELINES.default!);
    const fromOwned = runPipeline(owned, PIPELINES.default!, {}, true);
    expect(JSON.stringify(fromOwned.module)).toBe(JSON.stringify(fromKept.module));
    expect(Object.keys(owned.nodes)).toEqual([]);
    expect(Object.keys(kept.nodes)).toEqual(['x', 'h.dense', 'h.relu', 'h', 'y']);
  });

  it('a module immer froze is typed but not emptied, even when owned', () => {
    const pruned = runPipeline(withDead, [eliminateDeadCode]).module;
    const ids = Object.keys(pruned.nodes);
    expect(runPipeline(pruned, [inferShapes], {}, true).ok).toBe(true);
    expect(Object.keys(pruned.nodes)).toEqual(ids);
  });

  it('a second run of the whole pipeline changes nothing', () => {
    const once = runPipeline(withDead, PIPELINES.default!).module;
    const twice = runPipeline(once, PIPELINES.default!);
    expect(twice.module).toBe(once);
    expect(twice.diagnostics).toEqual([]);
  });
});
