/**
 * Batch norm as inference runs it: a per-channel scale and shift (2 operations an element), or,
 * between a binary layer and a sign, one threshold compare an element that is the sign too (the
 * fold runtime/lowered/precision makes); never free, and the estimate says which.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.ts';
import { moduleWork } from '../../targets/workload.ts';
import { memoryFiles } from '../helpers/memfs.ts';

const SOURCE = `network bn(batch = 4) {
  input x : f32[batch, 32]
  h = sign(x) -> dense(16, weights = binary) -> batchnorm -> sign
  r = dense(h, 8, weights = i8) -> batchnorm -> relu
  output r
}`;

describe('batch norm priced as inference runs it', () => {
  const layers = moduleWork(compile('t.kiln:bn', { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module);
  const byId = (id: string) => layers.find((l) => l.node.id === id)!;
  const ops = (id: string) => { const w = byId(id).work; return w.kind === 'vector' ? w.ops : 0; };

  it('after a binary layer on ±1 and before a sign: one compare an element, the sign folded in', () => {
    expect(ops('h.batchnorm')).toBe(4 * 16);
    expect(byId('h.batchnorm').notes!.join()).toMatch(/threshold compare/);
    expect(byId('h').work.kind).toBe('free');
  });

  it('a training step folds nothing: its backward pass reads batch norm and sign apart', () => {
    const train = moduleWork(compile('t.kiln:bn', { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module, { training: true });
    const w = (id: string) => train.find((l) => l.node.id === id)!.work;
    expect(w('h.batchnorm')).toEqual({ kind: 'vector', ops: 2 * 4 * 16 });
    expect(w('h')).toEqual({ kind: 'vector', ops: 4 * 16 });
  });

  it('a batch norm the network outputs is not folded: its values must still be produced', () => {
    const src = `network bo(batch = 4) {
  input x : f32[batch, 32]
  b = dense(x, 16, weights = binary) -> batchnorm
  s = sign(b)
  output b, s
}`;
    const work = moduleWork(compile('o.kiln:bo', { readFile: memoryFiles({ 'o.kiln': src }) }).module);
    const w = (id: string) => work.find((l) => l.node.id === id)!.work;
    expect(w('b')).toEqual({ kind: 'vector', ops: 2 * 4 * 16 });
    expect(w('s').kind).not.toBe('free');
  });

  it('a batch norm rounding its own output (ternary, i8) before a sign is not folded: sign(0) = +1 is no compare of the sums', () => {
    for (const a of ['ternary', 'i8']) {
      const src = `network bq(batch = 4) {
  input x : f32[batch, 32]
  h = dense(x, 16, weights = binary) -> batchnorm(activations = ${a}) -> sign
  output h
}`;
      const work = moduleWork(compile('q.kiln:bq', { readFile: memoryFiles({ 'q.kiln': src }) }).module);
      const l = (id: string) => work.find((x) => x.node.id === id)!;
      expect(l('h.batchnorm').work, a).toEqual({ kind: 'vector', ops: 2 * 4 * 16 });
      expect(l('h.batchnorm').notes!.join(), a).toMatch(/scale and shift/);
      expect(l('h').work.kind, a).not.toBe('free');
    }
  });

  it('elsewhere: a per-channel scale and shift, 2 operations an element', () => {
    expect(ops('r.batchnorm')).toBe(2 * 4 * 8);
    expect(byId('r.batchnorm').notes!.join()).toMatch(/scale and shift/);
    expect(ops('r')).toBe(4 * 8);
  });
});
