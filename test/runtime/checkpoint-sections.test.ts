/**
 * A checkpoint's weights section, sealed on its own in the header (`weights: {bytes, sha256}`), so
 * inference (kiln run, export, convert, quantize, estimate --measure) reads and checks the weights
 * without reading Adam's moments; training (resume) still reads and checks the whole file. A damaged
 * moment slot is refused by a training load and, by design, not seen by an inference load, which
 * never reads it (docs/training.md, "Checkpoints").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import { readCheckpoint, serializeCheckpoint, type Checkpoint } from '../../runtime/checkpoint.ts';
import { loadCheckpointInto } from '../../runtime/train/state.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { paramMap } from '../../runtime/train/state.ts';
import { writeSealedCheckpoint } from '../helpers/checkpoint.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const dir = tempFiles({ 'tiny.kiln': `network tiny(batch = 2) {
  input x : f32[batch, 6]
  y = dense(x, 3) -> softmax
  output y
}
` });
const src = path.join(dir, 'tiny.kiln');
const at = (name: string) => path.join(dir, name);
const { module } = prepare(src);
const params = paramMap(initParams(module, 3));
// Adam's two moments per parameter, with values a damaged byte would change.
const slots = new Map([...params].map(([k, v]) => [k, [v.map((x) => x / 7), v.map((x) => x * x)]]));
const ckpt: Checkpoint = { network: 'tiny', epoch: 2, seed: 3, params, optimizer: { step: 9, slots }, extra: { step: 9, history: [] }, preprocess: { kind: 'none' } };
const text = serializeCheckpoint(ckpt);
const [headerText, body] = [text.slice(0, text.indexOf('\n')), text.slice(text.indexOf('\n') + 1)];

function write(name: string, t: string): string {
  writeFileSync(at(name), t);
  return at(name);
}

/** The file with one base64 character of `what` (the first slot's or the first parameter's text) changed: still valid base64, other values. */
function damaged(what: 'slot' | 'param'): string {
  const anchor = what === 'slot' ? body.indexOf('"slots":{') : body.indexOf('"params":{');
  const i = body.indexOf('":["', anchor) >= 0 && what === 'slot' ? body.indexOf('":["', anchor) + 10 : body.indexOf('":"', anchor) + 10;
  const c = body[i] === 'A' ? 'B' : 'A';
  return headerText + '\n' + body.slice(0, i) + c + body.slice(i + 1);
}

function failure(f: () => unknown): KilnError {
  try { f(); } catch (e) { return e as KilnError; }
  throw new Error('expected a KilnError');
}

describe('checkpoint weights section', () => {
  it('the header seals the weights section apart, and an inference read takes the same weights without the moments', () => {
    const h = JSON.parse(headerText) as { weights: { bytes: number; sha256: string } };
    expect(body.slice(h.weights.bytes).startsWith(',"optimizer":')).toBe(true);
    const file = write('good.ckpt', text);
    const full = readCheckpoint(file), lean = readCheckpoint(file, { weightsOnly: true });
    expect(full.optimizer.slots.size).toBe(2);
    expect(full.optimizer.step).toBe(9);
    expect(lean.optimizer.slots.size).toBe(0);
    expect([...lean.params]).toEqual([...full.params]);
    expect({ ...lean, optimizer: undefined, params: undefined }).toEqual({ ...full, optimizer: undefined, params: undefined });
  });

  it('a damaged moment slot: a training load refuses it, an inference load never reads it', () => {
    const file = write('slot.ckpt', damaged('slot'));
    const e = failure(() => loadCheckpointInto(file, module, initParams(module, 0)));
    expect(e).toBeInstanceOf(KilnError);
    expect(e.message).toMatch(/is not a valid Kiln checkpoint: checksum mismatch/);
    const w = initParams(module, 0);
    loadCheckpointInto(file, module, w, { weightsOnly: true });
    expect([...paramMap(w)]).toEqual([...params]);
    const r = runMain(['run', src, '--checkpoint', file, '--input', write('x.json', JSON.stringify([[1, 2, 3, 4, 5, 6]]))]);
    expect(r.code).toBe(0);
  });

  it('a damaged weight, a truncated file or a header that lies is refused by an inference load, with the file and line', () => {
    const h = JSON.parse(headerText) as Record<string, any>;
    const cases: [string, string][] = [
      ['param', damaged('param')],
      ['truncated', text.slice(0, headerText.length + 1 + 100)],
      ['shifted', JSON.stringify({ ...h, weights: { ...h.weights, bytes: h.weights.bytes - 4 } }) + '\n' + body],
      ['rehashed', JSON.stringify({ ...h, weights: { ...h.weights, sha256: '0'.repeat(64) } }) + '\n' + body],
      // A section longer than any file: read up to the file's end, never allocated in full.
      ['huge', JSON.stringify({ ...h, weights: { ...h.weights, bytes: 2 ** 50 } }) + '\n' + body],
    ];
    for (const [name, t] of cases) {
      const file = write(`${name}.ckpt`, t);
      const e = failure(() => readCheckpoint(file, { weightsOnly: true }));
      expect(e, name).toBeInstanceOf(KilnError);
      expect(e.diagnostics[0]!.message, name).toMatch(/the weights section checksum mismatch \(the file is truncated or was edited\)/);
      expect(e.diagnostics[0]!.pos, name).toEqual({ file, line: 1, col: 1 });
      const r = runMain(['run', src, '--checkpoint', file, '--input', at('x.json')]);
      expect(r.code, name).toBe(1);
      expect(r.err, name).toContain(`${file}:1:1`);
      expect(r.err, name).not.toMatch(STACK_TRACE);
    }
  });

  it('a checkpoint written before the section existed is read whole, and still checked whole', () => {
    const old = at('old.ckpt');
    writeSealedCheckpoint(old, body.replace(/\n$/, ''));
    expect(JSON.parse(readFileSync(old, 'utf8').split('\n')[0]!).weights).toBeUndefined();
    expect(readCheckpoint(old, { weightsOnly: true }).optimizer.slots.size).toBe(2);
    const broken = write('old-broken.ckpt', readFileSync(old, 'utf8').replace('"optimizer":{"step":9', '"optimizer":{"step":8'));
    expect(() => readCheckpoint(broken, { weightsOnly: true })).toThrowError(/checksum mismatch/);
  });
});
