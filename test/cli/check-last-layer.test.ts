/**
 * `kiln check` reports the bit-width every classifier's last layer needs to train (Kiln's bound
 * 1 + ⌈log2 N⌉ after Park et al. 2018, docs/precision.md) and warns at that layer's source
 * position when the layer computes narrower; networks that are not classifiers get no line.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { examplesDir } from '../helpers/paths.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const classifier = (name: string, classes: number, last: string) => `network ${name}(batch = 4) {
  input x : f32[batch, 16]
  h = dense(x, 8) -> relu
  y = dense(h, ${classes}${last}) -> softmax
  output y
}
`;

function check(files: Record<string, string>) {
  const dir = tempFiles(files);
  const file = path.join(dir, Object.keys(files)[0]!);
  return { file, ...runMain(['check', file]) };
}

describe('kiln check: the last layer\'s bit-width bound', () => {
  it('a 10-class classifier needs 5 bits; i8 weights on f32 inputs compute at 8: no warning', () => {
    const r = check({ 'ten.kiln': classifier('ten', 10, ', weights = i8') });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('ten: last layer `y.dense`: 10 classes, computes at 8 bits; it needs ≥ 5 bits to train (1 + ⌈log2 10⌉');
    expect(r.out).not.toContain('TOO NARROW');
  });

  it('a 2-class classifier needs 2 bits, which ternary weights (2 bits) meet', () => {
    const r = check({ 'two.kiln': classifier('two', 2, ', weights = ternary') });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('two: last layer `y.dense`: 2 classes, computes at 2 bits; it needs ≥ 2 bits to train');
  });

  it('ternary weights under a 10-class softmax: a warning at the layer, exit 0', () => {
    const r = check({ 'narrow.kiln': classifier('narrow', 10, ', weights = ternary') });
    expect(r.code).toBe(0);
    expect(r.out).toContain('computes at 2 bits; it needs ≥ 5 bits to train');
    expect(r.out).toContain('TOO NARROW');
    // Line 4, column 7: the `dense` of `y = dense(…)`.
    expect(r.err).toContain(`${r.file}:4:7: warning: the last layer \`y.dense\` computes at 2 bits, below the 5 bits its 10-class softmax needs to train`);
    expect(r.err).toContain('hint: keep the classifier\'s last layer at 5 bits or more, e.g. `weights = i8`');
    expect(r.err).not.toContain('inputs of');
  });

  it('binary_mlp reads sign activations: widening its weights alone would not do, and the hint says so', () => {
    const file = path.join(examplesDir, 'binary_mlp.kiln');
    const r = runMain(['check', file]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/binary_mlp\.kiln:\d+:7: warning: the last layer `y\.dense` computes at 1 bit, below the 5 bits/);
    expect(r.err).toContain('inputs of 5 bits or more, not 1 bit');
  });

  it('a network whose output is not a softmax over a dense layer gets no line', () => {
    const r = check({ 'reg.kiln': 'network reg(batch = 4) {\n  input x : f32[batch, 16]\n  y = dense(x, 3)\n  output y\n}\n' });
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${r.file}: ok (1 network, 0 targets, 0 train blocks)\n`);
  });
});
