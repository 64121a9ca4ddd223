/**
 * Checkpoints whose checksum is valid but whose content is not: each is refused with the file
 * and the field that is wrong, never read as garbage weights or crashed on. Also `kiln run
 * --input FILE.json` with values, labels and token ids the network cannot take.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../runtime/checkpoint.ts';
import type { KilnError } from '../../compiler/lang/diagnostics.ts';
import { f32b64, writeSealedCheckpoint, writeUntrainedCheckpoint } from '../helpers/checkpoint.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const NETS = `network tiny(batch = 4) {
  input x : f32[batch, 6]
  y = dense(x, 3) -> softmax
  output y
}

network emb(batch = 2, vocab = 50) {
  input t : i32[batch, 5]
  e = embedding(t, vocab, 4)
  y = dense(e, 3) -> softmax
  output y
}
`;
const dir = tempFiles({ 'nets.kiln': NETS });
const at = (name: string) => path.join(dir, name);
const tiny = `${at('nets.kiln')}:tiny`;
const emb = `${at('nets.kiln')}:emb`;
writeUntrainedCheckpoint(tiny, at('tiny.ckpt'));
writeUntrainedCheckpoint(emb, at('emb.ckpt'));

const zeros = (n: number) => f32b64(new Array(n).fill(0));
function body(change: (b: Record<string, any>) => void = () => {}): Record<string, any> {
  const b: Record<string, any> = {
    network: 'tiny', epoch: 1, seed: 0, extra: { step: 1, order: 7, history: [], shapes: { 'y.dense/weight': [3, 6], 'y.dense/bias': [3] } },
    params: { 'y.dense/weight': zeros(18), 'y.dense/bias': zeros(3) },
    optimizer: { step: 1, slots: { 'y.dense/bias': [zeros(3)] } },
  };
  change(b);
  return b;
}

describe('readCheckpoint on sealed but malformed bodies', () => {
  const cases: [string, unknown, RegExp, Record<string, unknown>?][] = [
    ['NaN in a tensor', body((b) => { b.params['y.dense/bias'] = f32b64([0, NaN, 0]); }), /params\["y\.dense\/bias"\] holds NaN at index 1/],
    ['Infinity in a tensor', body((b) => { b.params['y.dense/weight'] = f32b64([...new Array(17).fill(0), Infinity]); }), /params\["y\.dense\/weight"\] holds Infinity at index 17/],
    ['bytes that are not whole float32 values', body((b) => { b.params['y.dense/bias'] = 'AAAAAAAA'; }), /holds 6 bytes, not a whole number of float32 values/],
    ['a tensor that is not base64', body((b) => { b.params['y.dense/bias'] = '!!!!'; }), /params\["y\.dense\/bias"\] must be a base64 string/],
    ['a tensor that is a number', body((b) => { b.params['y.dense/bias'] = 3; }), /must be a base64 string/],
    ['params that are an array', body((b) => { b.params = []; }), /`params` must be an object/],
    ['a parameter name without its node', body((b) => { b.params = { weight: zeros(1) }; }), /params\["weight"\] is not a parameter name of the form NODE\/PARAM/],
    ['a __proto__ key', JSON.stringify(body()).replace('"params":{', `"params":{"__proto__":"${zeros(1)}",`), /params\["__proto__"\] is not a parameter name/],
    ['no network', body((b) => { delete b.network; }), /`network` must be the network's name/],
    ['a negative epoch', body((b) => { b.epoch = -1; }), /`epoch` must be a whole number ≥ 0, not -1/],
    ['a fractional seed', body((b) => { b.seed = 1.5; }), /`seed` must be a whole number ≥ 0, not 1\.5/],
    ['a huge step', body((b) => { b.optimizer.step = 1e300; }), /`optimizer\.step` must be a whole number/],
    ['no optimizer', body((b) => { delete b.optimizer; }), /`optimizer` must be an object/],
    ['optimizer slots of no parameter', body((b) => { b.optimizer.slots = { 'z/w': [zeros(3)] }; }), /optimizer\.slots\["z\/w"\] belongs to no parameter/],
    ['an optimizer slot of the wrong length', body((b) => { b.optimizer.slots['y.dense/bias'] = [zeros(2)]; }), /optimizer\.slots\["y\.dense\/bias"\]\[0\] holds 2 values, but its parameter holds 3/],
    ['an empty slot list', body((b) => { b.optimizer.slots['y.dense/bias'] = []; }), /must be a non-empty array of tensors/],
    ['a huge declared shape', body((b) => { b.extra.shapes['y.dense/bias'] = [1e9, 1e9]; }), /extra\.shapes\["y\.dense\/bias"\] declares 1000000000000000000 values, but params\["y\.dense\/bias"\] holds 3/],
    ['a shape that is not whole numbers', body((b) => { b.extra.shapes['y.dense/bias'] = [1e300]; }), /must be a list of whole dimensions/],
    ['a bad generator state', body((b) => { b.extra.order = -5; }), /`extra\.order` must be a 32-bit generator state/],
    ['a history that is not a list', body((b) => { b.extra.history = 'x'; }), /`extra\.history` must be an array/],
    ['a body that is not JSON', '{"network": "tiny",', /the body is not JSON/],
    ['a body that is an array', '[]', /the body must be an object/],
    ['another format version', body(), /is format version 2; this Kiln reads version 1/, { version: 2 }],
  ];
  for (const [name, content, message, header] of cases) {
    it(name, () => {
      const file = at(`bad-${name.replace(/\W+/g, '-')}.ckpt`);
      writeSealedCheckpoint(file, content, header);
      expect(() => readCheckpoint(file)).toThrowError(message);
      let err: Error | undefined;
      try {
        readCheckpoint(file);
      } catch (e) {
        err = e as Error;
      }
      expect(err!.message).toContain(file);
    });
  }

  it('locates base64 that Node would decode anyway (base64url, a stray character, bits past the data) at FILE:2:1', () => {
    for (const [bad, why] of [['AAAAAAAA-_AA', /character 8 is "-"/], ['AAAA!AAA', /character 4 is "!"/], ['AAB=', /bits set beyond the data/], ['AAA', /length 3 is not a multiple of 4/]] as const) {
      const file = at('bad-base64.ckpt');
      writeSealedCheckpoint(file, body((b) => { b.params['y.dense/bias'] = bad; }));
      let err: KilnError | undefined;
      try {
        readCheckpoint(file);
      } catch (e) {
        err = e as KilnError;
      }
      expect(err?.message).toMatch(/params\["y\.dense\/bias"\] must be a base64 string of float32 values/);
      expect(err?.message).toMatch(why);
      expect(err?.diagnostics[0]!.pos).toMatchObject({ file, line: 2, col: 1 });
    }
  });

  it('keeps keys it does not know (an optional field a newer Kiln adds)', () => {
    writeSealedCheckpoint(at('newer.ckpt'), { ...body((b) => { b.extra.preprocessing = { mean: [0.1] }; }), preprocessing: { scale: 2 } });
    const c = readCheckpoint(at('newer.ckpt'));
    expect(c.extra.preprocessing).toEqual({ mean: [0.1] });
    expect(c.params.get('y.dense/bias')).toEqual(new Float32Array(3));
  });
});

describe('kiln run with a checkpoint that does not fit the network', () => {
  const good = JSON.parse(readFileSync(at('tiny.ckpt'), 'utf8').split('\n')[1]!) as Record<string, any>;
  writeFileSync(at('x.json'), JSON.stringify([[0, 0, 0, 0, 0, 0]]));
  const cases: [string, (b: Record<string, any>) => void, RegExp][] = [
    ['a missing tensor', (b) => { delete b.params['y.dense/bias']; }, /has no parameter `y\.dense\/bias`/],
    ['an extra tensor', (b) => { b.params['z.dense/weight'] = zeros(2); }, /has a parameter `z\.dense\/weight` that `tiny` does not declare/],
    ['a tensor of the wrong shape', (b) => { b.params['y.dense/weight'] = zeros(12); }, /has `y\.dense\/weight` with 12 values, but the network declares \[3, 6\]/],
    ['another network', (b) => { b.network = 'emb'; }, /holds network `emb`, not `tiny`/],
  ];
  for (const [name, change, message] of cases) {
    it(name, () => {
      const file = at(`run-${name.replace(/\W+/g, '-')}.ckpt`);
      const b = structuredClone(good);
      change(b);
      writeSealedCheckpoint(file, b);
      const r = runMain(['run', tiny, '--checkpoint', file, '--input', at('x.json')]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).toContain(file);
      expect(r.err).not.toMatch(STACK_TRACE);
      expect(r.out).toBe('');
    });
  }
});

describe('kiln run --input FILE.json with values the network cannot take', () => {
  const row = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  const cases: [string, string, string, RegExp][] = [
    ['a label beyond the classes', tiny, JSON.stringify({ inputs: [row, row], labels: [0, 3] }), /labels\[1\] is 3, but tiny has classes 0 to 2/],
    ['a negative label', tiny, JSON.stringify({ inputs: [row], labels: [-1] }), /labels\[0\] is -1/],
    ['a fractional label', tiny, JSON.stringify({ inputs: [row], labels: [1.5] }), /labels\[0\] is 1\.5/],
    ['a label that is a string', tiny, JSON.stringify({ inputs: [row], labels: ['1'] }), /labels\[0\] is "1"/],
    ['fewer labels than samples', tiny, JSON.stringify({ inputs: [row, row], labels: [1] }), /`labels` must be one class number per sample \(2\), not 1 values/],
    ['a string value', tiny, JSON.stringify({ inputs: [row, [0, 0, 'abc', 0, 0, 0]] }), /inputs\[1\]\[2\] is "abc", not a number/],
    ['a null value', tiny, JSON.stringify([[0, null, 0, 0, 0, 0]]), /sample 0\[1\] is null, not a number/],
    ['a value that overflows to Infinity', tiny, '[[0, 0, 1e400, 0, 0, 0]]', /sample 0\[2\] is too large to be a finite number/],
    ['a short sample', tiny, JSON.stringify([row, [1, 2]]), /sample 1 has 2 values, but input x of tiny takes samples of \[6\] \(6 values\)/],
    ['a deeply nested sample', tiny, '['.repeat(40) + '1' + ']'.repeat(40), /nested more than 32 levels deep/],
    ['no samples', tiny, '{"inputs": []}', /holds no samples/],
    ['a token beyond the vocabulary', emb, JSON.stringify([[1, 2, 50, 3, 4]]), /sample 0\[2\] is 50, but input t of emb takes whole numbers in \[0, 50\) \(`e` has a vocabulary of 50\)/],
    ['a negative token', emb, JSON.stringify([[1, -1, 2, 3, 4]]), /sample 0\[1\] is -1/],
    ['a fractional token', emb, JSON.stringify([[1, 2.5, 2, 3, 4]]), /sample 0\[1\] is 2\.5/],
    ['a token beyond i32', emb, JSON.stringify([[1, 2, 3, 4, 1e10]]), /sample 0\[4\] is 10000000000/],
  ];
  for (const [name, source, text, message] of cases) {
    it(name, () => {
      const file = at(`in-${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, text);
      const r = runMain(['run', source, '--checkpoint', at(source === tiny ? 'tiny.ckpt' : 'emb.ckpt'), '--input', file]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).toContain(file);
      expect(r.err).not.toMatch(STACK_TRACE);
    });
  }

  it('runs tokens inside the vocabulary', () => {
    writeFileSync(at('tokens.json'), JSON.stringify({ inputs: [[0, 1, 2, 3, 49]], labels: [2] }));
    const r = runMain(['run', emb, '--checkpoint', at('emb.ckpt'), '--input', at('tokens.json'), '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});
