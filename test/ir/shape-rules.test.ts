import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { broadcastShapes, expectRank, normalizeAxis, ShapeError, windowOutput } from '../../compiler/ir/shape-rules.ts';
import { DTYPE_BITS, DTYPES, formatType, numElements, promote, isFloat, type DType } from '../../compiler/ir/dtype.ts';

/**
 * Windows counted one by one, as PyTorch's pooling defines them: a window starts every `stride`
 * steps from the padded origin; in floor mode it must end inside the padded input; in ceil mode it
 * may run past the end, but must start inside the input or its leading pad.
 */
function countWindows(size: number, k: number, s: number, pb: number, pe: number, d: number, ceil: boolean): number {
  const span = (k - 1) * d + 1;
  const padded = size + pb + pe;
  let n = 0;
  for (let start = 0; start < padded; start += s) {
    const fits = start + span <= padded;
    const ceilFits = start + span - s < padded && start < size + pb;
    if (ceil ? fits || ceilFits : fits) n++;
  }
  return n;
}

describe('windowOutput', () => {
  it('agrees with counting windows one by one, in floor and ceil mode', () => {
    fc.assert(fc.property(
      fc.record({ size: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 7 }), s: fc.integer({ min: 1, max: 5 }), pb: fc.integer({ min: 0, max: 3 }), pe: fc.integer({ min: 0, max: 3 }), d: fc.integer({ min: 1, max: 3 }), ceil: fc.boolean() })
        // Pads smaller than the kernel, as the pool ops require (ceil mode exists only for pools).
        .filter((c) => (c.k - 1) * c.d + 1 <= c.size + c.pb + c.pe && c.pb < c.k && c.pe < c.k),
      (c) => {
        expect(windowOutput(c.size, c.k, c.s, c.pb, c.pe, c.d, c.ceil, 'height')).toBe(countWindows(c.size, c.k, c.s, c.pb, c.pe, c.d, c.ceil));
      },
    ), { numRuns: 500 });
  });

  it('matches PyTorch on known cases', () => {
    // torch.nn.MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5 → 3 (the window at 6 starts in the pad)
    expect(windowOutput(5, 2, 2, 1, 1, 1, true, 'h')).toBe(3);
    // torch.nn.MaxPool2d(3, 2, ceil_mode=True) on 6 → 3; floor → 2
    expect(windowOutput(6, 3, 2, 0, 0, 1, true, 'h')).toBe(3);
    expect(windowOutput(6, 3, 2, 0, 0, 1, false, 'h')).toBe(2);
    // ResNet stem: 224, kernel 7, stride 2, pad 3 → 112; its max pool 3/2/1 → 56
    expect(windowOutput(224, 7, 2, 3, 3, 1, false, 'h')).toBe(112);
    expect(windowOutput(112, 3, 2, 1, 1, 1, false, 'h')).toBe(56);
  });

  it('rejects a window larger than the padded input', () => {
    expect(() => windowOutput(4, 3, 1, 0, 0, 2, false, 'height')).toThrow(ShapeError);
    expect(() => windowOutput(4, 3, 1, 0, 0, 2, false, 'height')).toThrow('kernel 3 (dilated to 5) is larger than the padded input height 4 (4 + pad 0)');
    expect(windowOutput(4, 5, 1, 1, 0, 1, false, 'h')).toBe(1);
  });
});

/** Broadcasting by its definition: align from the right; each pair equal or one of them 1. */
function broadcastRef(a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const pa = [...Array<number>(n - a.length).fill(1), ...a];
  const pb = [...Array<number>(n - b.length).fill(1), ...b];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i] && pa[i] !== 1 && pb[i] !== 1) return undefined;
    out.push(pa[i] === 1 ? pb[i]! : pa[i]!);
  }
  return out;
}

describe('broadcastShapes', () => {
  it('agrees with the NumPy definition, and fails exactly when it does', () => {
    const shape = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 });
    fc.assert(fc.property(shape, shape, (a, b) => {
      const want = broadcastRef(a, b);
      if (want) expect(broadcastShapes(a, b, 'add')).toEqual(want);
      else expect(() => broadcastShapes(a, b, 'add')).toThrow(ShapeError);
    }), { numRuns: 300 });
  });

  it('names both shapes and the offending axis', () => {
    expect(() => broadcastShapes([2, 3], [4], 'mul')).toThrow('mul of incompatible shapes [2, 3] and [4] (axis 1: 3 vs 4)');
  });
});

describe('axes and ranks', () => {
  it('normalizes negative axes and rejects those out of range', () => {
    expect(normalizeAxis(-1, 4, 'x')).toBe(3);
    expect(normalizeAxis(0, 1, 'x')).toBe(0);
    expect(() => normalizeAxis(4, 4, 'softmax')).toThrow('softmax axis 4 is out of range for a 4-D tensor');
    expect(() => normalizeAxis(-5, 4, 'x')).toThrow(ShapeError);
  });

  it('checks ranks with the hint given', () => {
    expect(() => expectRank([1, 2, 3], [2, 4], 'op', 'a hint')).toThrow('op expects a 2 or 4-D input but got 3-D [1, 2, 3]');
    try {
      expectRank([1], [2], 'op', 'a hint');
    } catch (e) {
      expect((e as ShapeError).hint).toBe('a hint');
    }
    expect(() => expectRank([1, 2], [2], 'op')).not.toThrow();
  });
});

describe('dtypes', () => {
  it('promotes: float beats integer, then the wider; same stays', () => {
    expect(promote('i8', 'f16')).toBe('f16');
    expect(promote('f16', 'i32')).toBe('f16');
    expect(promote('i8', 'i16')).toBe('i16');
    expect(promote('f16', 'f32')).toBe('f32');
    expect(promote('binary', 'ternary')).toBe('ternary');
    expect(promote('spike', 'i8')).toBe('i8');
    expect(promote('bf16', 'bf16')).toBe('bf16');
  });

  it('promotion is commutative up to equal widths and never narrows', () => {
    for (const a of DTYPES) {
      for (const b of DTYPES) {
        const p = promote(a, b);
        expect([a, b]).toContain(p);
        if (isFloat(a) || isFloat(b)) expect(isFloat(p)).toBe(true);
        else expect(DTYPE_BITS[p]).toBe(Math.max(DTYPE_BITS[a], DTYPE_BITS[b]));
        if (DTYPE_BITS[a] !== DTYPE_BITS[b] || isFloat(a) !== isFloat(b)) expect(promote(b, a)).toBe(p);
      }
    }
  });

  it('knows the storage bits and formats types', () => {
    const bits: Record<DType, number> = { f32: 32, f16: 16, bf16: 16, i32: 32, i16: 16, i8: 8, ternary: 2, binary: 1, spike: 1 };
    expect(DTYPE_BITS).toEqual(bits);
    expect(formatType({ dtype: 'i8', shape: [2, 3] })).toBe('i8[2, 3]');
    expect(numElements([2, 3, 4])).toBe(24);
    expect(numElements([])).toBe(1);
  });
});
