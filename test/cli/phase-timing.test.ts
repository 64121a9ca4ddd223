/**
 * `--timing`'s block read back: parsePhaseTiming reads what PhaseTiming.format writes (the bench
 * that runs `kiln run` as a child process depends on it), finds the block among other stderr lines,
 * and refuses a stderr without a whole block rather than returning part of one.
 */
import { describe, expect, it } from 'vitest';
import { PhaseTiming, parsePhaseTiming } from '../../cli/commands/phase-timing.ts';
import { burnCpu as burn } from '../helpers/burn-cpu.ts';


describe('parsePhaseTiming', () => {
  it('reads back the phases, times and notes that format() wrote', () => {
    const t = new PhaseTiming();
    burn(5);
    t.mark('data', 'MNIST from the cache  (10000 digits)');
    burn(20);
    t.mark('inference', '2000 rows in batches of 100');
    t.mark('output');
    const rows = parsePhaseTiming(`kiln: a warning\n${t.format()}`)!;
    expect(rows.map((r) => r.phase)).toEqual(['start-up', 'data', 'inference', 'output', 'total']);
    expect(rows[1]!.note).toBe('MNIST from the cache  (10000 digits)');
    expect(rows[2]!.note).toBe('2000 rows in batches of 100');
    expect(rows[3]!.note).toBeUndefined();
    // At least the CPU burnt in the phase, rounded to whole milliseconds.
    expect(rows[2]!.cpu).toBeGreaterThanOrEqual(19);
    // The total is the rounded sum of the unrounded phases: within half a millisecond a phase.
    const sum = rows.slice(0, -1).reduce((s, r) => s + r.cpu, 0);
    expect(Math.abs(rows.at(-1)!.cpu - sum)).toBeLessThanOrEqual(0.5 * rows.length);
  });

  it('reads numbers in the columns as written', () => {
    const text = [
      'epoch 1/1 …',
      'timing (ms)     CPU    wall',
      '  start-up        201     250',
      '  lowering         58      61  h1.dense: integer fp32 GEMM 1024×784; h2.dense: xnor-popcount 1024×1024',
      '  inference       433     990  2000 rows in batches of 100',
      '  total           692    1301',
      '',
    ].join('\n');
    expect(parsePhaseTiming(text)).toEqual([
      { phase: 'start-up', cpu: 201, wall: 250 },
      { phase: 'lowering', cpu: 58, wall: 61, note: 'h1.dense: integer fp32 GEMM 1024×784; h2.dense: xnor-popcount 1024×1024' },
      { phase: 'inference', cpu: 433, wall: 990, note: '2000 rows in batches of 100' },
      { phase: 'total', cpu: 692, wall: 1301 },
    ]);
  });

  it('reads a block with \\r\\n line endings as one with \\n', () => {
    const t = new PhaseTiming();
    t.mark('inference', '2000 rows in batches of 100');
    t.mark('output');
    const lf = `kiln: a warning\n${t.format()}`;
    const crlf = lf.replaceAll('\n', '\r\n');
    expect(crlf).toContain('\r\n  inference');
    const rows = parsePhaseTiming(crlf);
    expect(rows).toEqual(parsePhaseTiming(lf));
    expect(rows!.map((r) => r.phase)).toEqual(['start-up', 'inference', 'output', 'total']);
    // No \r left on the notes (the last column).
    expect(rows![1]!.note).toBe('2000 rows in batches of 100');
  });

  it('returns undefined without a whole block', () => {
    expect(parsePhaseTiming('kiln: error: something\n')).toBeUndefined();
    expect(parsePhaseTiming('timing (ms)     CPU    wall\n  start-up        201     250\n')).toBeUndefined();
  });
});
