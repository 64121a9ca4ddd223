/**
 * The binary cache of the `mnist` package's digits (runtime/data/mnist-cache.ts): it gives back
 * exactly what parsing gives, and a missing, damaged, truncated or stale file is rebuilt from the
 * JSON; where no directory is writable the digits are still parsed, and the note says why.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedMnist, type MnistArrays } from '../../../runtime/data/mnist-cache.ts';
import { loadMnistAll } from '../../../runtime/data/mnist.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kiln-mnist-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A small stand-in for the digits: values on the package's three-decimal grid. */
function digits(): MnistArrays {
  const count = 30, x = new Float32Array(count * 784), y = new Int32Array(count);
  for (let i = 0; i < x.length; i++) x[i] = (i * 7919) % 5 === 0 ? Math.round(((i * 104729) % 1000)) / 1000 : 0;
  for (let i = 0; i < count; i++) y[i] = i % 10;
  return { x, y, count };
}

function load(dirs: string[], key = 'mnist 1.1.0 0.json:100:5') {
  let parsed = 0;
  const r = cachedMnist(dirs, 'mnist-test.bin', key, () => { parsed++; return digits(); });
  return { ...r, parsed };
}

describe('MNIST cache', () => {
  const dir = path.join(root, 'cache');
  const file = path.join(dir, 'mnist-test.bin');

  it('believes no cache in a directory others may write (a planted file in a shared temp directory)', () => {
    const good = path.join(root, 'planted-src');
    load([good]);
    const open = path.join(root, 'planted');
    mkdirSync(open);
    cpSync(path.join(good, 'mnist-test.bin'), path.join(open, 'mnist-test.bin'));
    chmodSync(open, 0o777);
    const r = load([open]);
    expect(r.parsed).toBe(1);
    expect(r.note).toContain('closed to others: not used');
  });

  it('skips the cache when a source file cannot be stat\'ed', () => {
    let parsed = 0;
    const r = cachedMnist([path.join(root, 'nostat')], 'mnist-test.bin', undefined, () => { parsed++; return digits(); });
    expect(parsed).toBe(1);
    expect(r.note).toContain('could not be stat');
  });

  it('is written on first use and read back bit for bit, without parsing', () => {
    const first = load([dir]);
    expect(first.parsed).toBe(1);
    expect(first.note).toContain(`cached in ${file}`);
    const second = load([dir]);
    expect(second.parsed).toBe(0);
    expect(second.note).toBe(`from the cache ${file}`);
    expect(second.data.x).toEqual(digits().x);
    expect(second.data.y).toEqual(digits().y);
  });

  for (const [name, damage, why] of [
    ['a flipped payload byte', (b: Buffer) => { b[b.length - 40]! ^= 0x10; return b; }, 'checksum mismatch'],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 1000), 'truncated'],
    ['a damaged header', (b: Buffer) => { b[25] = 0x7b; return b; }, 'damaged header'],
    ['another file entirely', () => Buffer.from('hello'), 'not a Kiln MNIST cache'],
  ] as const) {
    it(`is rebuilt after ${name}`, () => {
      load([dir]);
      writeFileSync(file, damage(readFileSync(file)));
      const r = load([dir]);
      expect(r.parsed).toBe(1);
      expect(r.note).toContain(`${file}: ${why}, rebuilt`);
      expect(r.data.x).toEqual(digits().x);
      expect(load([dir]).parsed).toBe(0);
    });
  }

  it('is rebuilt when the package changed (another version, size or modification time)', () => {
    load([dir]);
    const r = load([dir], 'mnist 1.1.1 0.json:100:6');
    expect(r.parsed).toBe(1);
    expect(r.note).toContain('stale');
    expect(load([dir], 'mnist 1.1.1 0.json:100:6').parsed).toBe(0);
  });

  it('falls back to the next directory, and to parsing every time with the reason, when none is writable', () => {
    const blocker = path.join(root, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const fallback = path.join(root, 'fallback');
    const r = load([path.join(blocker, 'cache'), fallback]);
    expect(r.note).toContain(`cached in ${path.join(fallback, 'mnist-test.bin')}`);
    expect(load([path.join(blocker, 'cache'), fallback]).parsed).toBe(0);
    const none = load([path.join(blocker, 'cache')]);
    expect(none.parsed).toBe(1);
    expect(none.note).toMatch(/^parsed the JSON; no cache \(.*a-file\/cache not writable/);
    expect(none.data.x).toEqual(digits().x);
  });

  it('holds the real digits as the package gives them: 10,000, values of the three-decimal grid', () => {
    const all = loadMnistAll();
    expect(all.count).toBe(10000);
    expect(all.x.length).toBe(10000 * 784);
    for (let i = 0; i < all.x.length; i += 997) expect(Math.fround(Math.round(all.x[i]! * 1000) / 1000)).toBe(all.x[i]);
  });
});
