/**
 * Low-precision weight storage (`optimizer …(storage = f16 | bf16 | i16, kahan = …)`): rounding to
 * each format against bit patterns worked out by hand (ties to even, subnormals), and the Kahan
 * step of Park et al. 2018 on updates that plain rounding throws away.
 */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { Optimizer, type OptimizerSpec } from '../../../runtime/optim.ts';
import { trainConfig } from '../../../runtime/train.ts';
import { roundStored, type WeightStorage } from '../../../runtime/train/storage.ts';
import { checkText, net } from '../../helpers/kiln.ts';

/** IEEE binary16 bits → value: sign, 5 exponent bits (bias 15), 10 fraction bits. */
function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1, e = (bits >> 10) & 0x1f, f = bits & 0x3ff;
  return s * (e === 0 ? f * 2 ** -24 : (1 + f / 1024) * 2 ** (e - 15));
}

const f32bits = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0]!;
const fromBits = (b: number): number => new Float32Array(Uint32Array.of(b).buffer)[0]!;

function stored(fmt: WeightStorage, values: number[]): number[] {
  const w = Float32Array.from(values);
  roundStored(w, fmt);
  return [...w];
}

describe('rounding to the storage format', () => {
  it('f16: nearest, ties to even, subnormals down to 2^-24', () => {
    // 1 + 2^-11 lies halfway between 0x3C00 (1) and 0x3C01: the even one, 0x3C00.
    // 1 + 3·2^-11 lies halfway between 0x3C01 and 0x3C02: 0x3C02.
    // 2^-25 is halfway between 0 and the least subnormal 0x0001: 0. 3·2^-25 between 0x0001 and 0x0002: 0x0002.
    // 1.25·2^-24 rounds down to 0x0001; 0.1 is 0x2E66.
    const cases: [number, number][] = [[1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002],
      [1.25 * 2 ** -24, 0x0001], [0.1, 0x2e66], [-(1 + 2 ** -11), 0xbc00], [65504, 0x7bff]];
    expect(stored('f16', cases.map(([v]) => v))).toEqual(cases.map(([, b]) => half(b)));
  });

  it('bf16: the top 16 bits of the f32, ties to even, f32 subnormals included', () => {
    const cases: [number, number][] = [
      [0x3f808000, 0x3f800000], // 1 + 2^-8, a tie: to even (down)
      [0x3f818000, 0x3f820000], // a tie whose lower neighbour is odd: up
      [0x3f80c000, 0x3f810000], // above the half: up
      [0x3f807fff, 0x3f800000], // below the half: down
      [0x00008000, 0x00000000], // a subnormal tie: to zero
      [0x00018000, 0x00020000], // a subnormal tie: to even (up)
      [0xbf808001, 0xbf810000], // negative, just above the half
    ];
    expect(stored('bf16', cases.map(([b]) => fromBits(b))).map(f32bits)).toEqual(cases.map(([, b]) => b));
  });

  it('i16: one power-of-two step per tensor, chosen from max|w| (max 1 → 2^-14), half-steps to even', () => {
    const step = 2 ** -14;
    expect(stored('i16', [1, -0.5, 2.5 * step, 3.5 * step, 0.49 * step])).toEqual([1, -0.5, 2 * step, 4 * step, 0]);
    // max 3 → 32767 steps of 2^-13 hold it, 2^-14 would not.
    expect(stored('i16', [3, 2 ** -14])).toEqual([3, 0]);
  });
});

describe('Kahan-compensated updates in low-precision storage', () => {
  const sgd = (storage: WeightStorage, kahan: boolean): OptimizerSpec => ({ kind: 'sgd', lr: 1, storage, kahan });

  it('bf16: an update of a quarter ulp is lost by plain rounding, kept by the compensation, and lands after 4 steps', () => {
    // At 1, bf16's ulp is 2^-7: an update of 2^-9 rounds away.
    const g = new Map([['w', Float32Array.of(-(2 ** -9))]]);
    const plain = new Map([['w', Float32Array.of(1)]]), comp = new Map([['w', Float32Array.of(1)]]);
    const a = new Optimizer(sgd('bf16', false)), b = new Optimizer(sgd('bf16', true));
    a.step(plain, g, 1);
    b.step(comp, g, 1);
    expect(plain.get('w')![0]).toBe(1);
    expect(comp.get('w')![0]).toBe(1);
    // The compensation holds what the rounding lost: c = (t − w) − y = −2^-9.
    expect(b.state.slots.get('w')!.at(-1)![0]).toBe(-(2 ** -9));
    for (let i = 0; i < 3; i++) a.step(plain, g, 1), b.step(comp, g, 1);
    expect(plain.get('w')![0]).toBe(1);
    expect(comp.get('w')![0]).toBe(1 + 2 ** -7);
    expect(b.state.slots.get('w')!.at(-1)![0]).toBe(0);
  });

  it('f16 and i16 keep the lost part too; f32 storage is unchanged', () => {
    for (const [fmt, w0, d] of [['f16', 1, 2 ** -12], ['i16', 1, 2 ** -16]] as const) {
      const g = new Map([['w', Float32Array.of(-d, 0)]]);
      const p = new Map([['w', Float32Array.of(w0, 0.25)]]), k = new Map([['w', Float32Array.of(w0, 0.25)]]);
      const a = new Optimizer(sgd(fmt, false)), b = new Optimizer(sgd(fmt, true));
      a.step(p, g, 1);
      b.step(k, g, 1);
      expect([...p.get('w')!]).toEqual([w0, 0.25]);
      expect([...k.get('w')!]).toEqual([w0, 0.25]);
      expect(b.state.slots.get('w')!.at(-1)![0]).toBe(-d);
    }
    const w = new Map([['w', Float32Array.of(1)]]);
    new Optimizer(sgd('f32', false)).step(w, new Map([['w', Float32Array.of(-(2 ** -20))]]), 1);
    expect(w.get('w')![0]).toBe(1 + 2 ** -20);
  });
});

describe('the storage argument of the train block', () => {
  const mlp = net(['input x : f32[b, 4]', 'y = dense(x, 3) -> softmax', 'output y'], 'b = 8', 'mlp');
  const config = (opt: string) => trainConfig(checkText(mlp + `train mlp { data iris  optimizer ${opt} }\n`).trains.get('mlp')!);

  it('reads storage beside kahan, f32 by default', () => {
    expect(config('sgd(lr = 0.01, storage = bf16, kahan = true)').optimizer).toMatchObject({ storage: 'bf16', kahan: true });
    expect(config('adam(lr = 0.01, storage = i16)').optimizer).toMatchObject({ storage: 'i16', kahan: false });
    expect(config('adam(lr = 0.01)').optimizer.storage).toBe('f32');
  });

  it('a wrong format is an error at the optimizer that lists the formats', () => {
    let e: unknown;
    try { config('sgd(lr = 0.01, storage = bf61)'); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(KilnError);
    const d = (e as KilnError).diagnostics[0]!;
    expect(d.message).toBe('`storage` must be one of f32, f16, bf16, i16, not "bf61"');
    expect(d.hint).toBe('did you mean `bf16`?');
    expect(d.pos).toMatchObject({ line: 6 });
  });
});
