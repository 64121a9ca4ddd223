/**
 * bench/kiln-child.ts: a child `kiln` reports its CPU time and which code bin/kiln.js chose, so a
 * benchmark of the bundle can refuse a sample that ran the TypeScript sources through tsx.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { distIsCurrent } from '../../bin/dist-stamp.js';
import { KilnChild } from '../../bench/kiln-child.ts';

const kiln = new KilnChild();
afterAll(() => kiln.dispose());

describe('KilnChild', () => {
  it('reports the sources when KILN_FROM_SOURCE=1, and the bundle only while dist/ is current', () => {
    const src = kiln.run(['--version'], { KILN_FROM_SOURCE: '1' });
    expect(src.status).toBe(0);
    expect(src.entry).toBe('source');
    expect(src.cpuS).toBeGreaterThan(0);
    // The report line is taken out of the stderr handed back.
    expect(src.stderr).not.toContain('KILN_CPU_US');

    // Without a current build bin/kiln.js falls back to tsx: the report must say so, whichever holds here.
    // A source edited while the test runs can change the answer between the checks, so the claim
    // is made only when dist/ held the same state before and after the child ran.
    const before = distIsCurrent();
    const bundled = kiln.run(['--version'], { KILN_FROM_SOURCE: '0' });
    const after = distIsCurrent();
    expect(bundled.status).toBe(0);
    expect(['dist', 'source']).toContain(bundled.entry);
    if (before === after) expect(bundled.entry).toBe(before ? 'dist' : 'source');
    expect(bundled.stdout).toBe(src.stdout);
  }, 30_000);
});
