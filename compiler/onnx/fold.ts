/**
 * Constant folding at import: ONNX nodes whose inputs are all constants (initializers, Constant
 * nodes, earlier folds) are evaluated here in float64, and Shape reads the static shapes Kiln
 * always has. This removes the shape arithmetic exporters emit (Shape → Gather → Unsqueeze →
 * Concat → Reshape) and weight preprocessing (Transpose of an initializer before MatMul).
 */
import { Unsupported, type Builder, type Const } from './builder.ts';
import { Attrs } from './attrs.ts';
import { error, KilnError } from '../lang/diagnostics.ts';
import type { OnnxNode } from './proto.ts';

const size = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

function rowMajorStrides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]!; }
  return s;
}

export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Unsupported(`${what} axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** NumPy broadcasting of two constants. */
export function broadcastConst(a: Const, b: Const, f: (x: number, y: number) => number, dataType = a.dataType): Const {
  const r = Math.max(a.dims.length, b.dims.length);
  const dims: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a.dims[a.dims.length - r + i] ?? 1, y = b.dims[b.dims.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Unsupported(`constants of shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
    dims.push(x === 1 ? y : x);
  }
  const sa = rowMajorStrides(a.dims), sb = rowMajorStrides(b.dims);
  const out = new Float64Array(size(dims));
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let ia = 0, ib = 0;
    for (let i = 0; i < r; i++) {
      const ka = i - (r - a.dims.length), kb = i - (r - b.dims.length);
      if (ka >= 0 && a.dims[ka] !== 1) ia += idx[i]! * sa[ka]!;
      if (kb >= 0 && b.dims[kb] !== 1) ib += idx[i]! * sb[kb]!;
    }
    out[o] = f(a.values[ia]!, b.values[ib]!);
    for (let i = r - 1; i >= 0; i--) { if (++idx[i]! < dims[i]!) break; idx[i] = 0; }
  }
  return { dims, dataType, values: out };
}

export function transposeConst(c: Const, perm: readonly number[]): Const {
  const dims = perm.map((p) => c.dims[p]!);
  const s = rowMajorStrides(c.dims);
  const out = new Float64Array(c.values.length);
  const idx = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < dims.length; i++) src += idx[i]! * s[perm[i]!]!;
    out[o] = c.values[src]!;
    for (let i = dims.length - 1; i >= 0; i--) { if (++idx[i]! < dims[i]!) break; idx[i] = 0; }
  }
  return { dims, dataType: c.dataType, values: out };
}

/** ONNX Reshape's target: 0 copies the input's size (unless allowzero), one −1 is inferred. */
export function reshapeTarget(inDims: readonly number[], shape: readonly number[], allowZero: boolean): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowZero ? inDims[i] ?? NaN : d));
  if (out.some((d) => Number.isNaN(d) || d < -1) || out.filter((d) => d === -1).length > 1) {
    throw new Unsupported(`Reshape to [${shape.join(', ')}] of [${inDims.join(', ')}] is not a valid shape`);
  }
  const total = size(inDims);
  const known = size(out.filter((d) => d !== -1));
  if (out.includes(-1)) {
    if (known === 0 || total % known !== 0) throw new Unsupported(`Reshape of ${total} elements to [${shape.join(', ')}] is impossible`);
    out[out.indexOf(-1)] = total / known;
  }
  if (size(out) !== total) throw new Unsupported(`Reshape of [${inDims.join(', ')}] to [${shape.join(', ')}] changes the element count`);
  return out;
}

/** Squeeze/Unsqueeze axes come from an attribute before opset 13 and from an input since. */
export function axesOf(n: OnnxNode, b: Builder, opset: number, attr = 'axes'): number[] | undefined {
  if (opset >= 13 && n.inputs[1]) return [...b.constant(n.inputs[1], `${n.opType} axes`).values];
  return new Attrs(n).ints(attr);
}

export function squeezeDims(dims: readonly number[], axes: number[] | undefined): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const ax = new Set(axes.map((a) => normAxis(a, dims.length, 'Squeeze')));
  for (const a of ax) if (dims[a] !== 1) throw new Unsupported(`Squeeze of axis ${a} of size ${dims[a]}`);
  return dims.filter((_, i) => !ax.has(i));
}

export function unsqueezeDims(dims: readonly number[], axes: number[]): number[] {
  const r = dims.length + axes.length;
  const ax = new Set(axes.map((a) => normAxis(a, r, 'Unsqueeze')));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(ax.has(i) ? 1 : dims[j++]!);
  return out;
}

function gatherConst(data: Const, idx: Const, axis: number): Const {
  const a = normAxis(axis, data.dims.length, 'Gather');
  const outer = size(data.dims.slice(0, a)), len = data.dims[a]!, inner = size(data.dims.slice(a + 1));
  const out = new Float64Array(outer * idx.values.length * inner);
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const raw of idx.values) {
      const i = raw < 0 ? raw + len : raw;
      // An index outside the axis makes the model invalid (ONNX allows [-len, len - 1]).
      if (!Number.isInteger(i) || i < 0 || i >= len) throw new KilnError(error('onnx', `Gather index ${raw} is out of range for an axis of ${len}`, undefined, `indices run from -${len} to ${len - 1} (negative ones count from the end)`));
      for (let q = 0; q < inner; q++) out[o++] = data.values[(p * len + i) * inner + q]!;
    }
  }
  return { dims: [...data.dims.slice(0, a), ...idx.dims, ...data.dims.slice(a + 1)], dataType: data.dataType, values: out };
}

function sliceConst(data: Const, starts: number[], ends: number[], axes: number[], steps: number[]): Const {
  const r = data.dims.length;
  const lo = data.dims.map(() => 0), step = data.dims.map(() => 1);
  const count = [...data.dims];
  axes.forEach((ax, k) => {
    const a = normAxis(ax, r, 'Slice'), d = data.dims[a]!, s = steps[k] ?? 1;
    if (s === 0) throw new Unsupported('Slice step 0');
    const clamp = (v: number, min: number, max: number) => Math.min(Math.max(v < 0 ? v + d : v, min), max);
    const b = s > 0 ? clamp(starts[k]!, 0, d) : clamp(starts[k]!, -1, d - 1);
    const e = s > 0 ? clamp(ends[k]!, 0, d) : clamp(ends[k]!, -1, d - 1);
    lo[a] = b; step[a] = s;
    count[a] = Math.max(0, Math.ceil((e - b) / s));
  });
  const s = rowMajorStrides(data.dims);
  const out = new Float64Array(size(count));
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += (lo[i]! + idx[i]! * step[i]!) * s[i]!;
    out[o] = data.values[src]!;
    for (let i = r - 1; i >= 0; i--) { if (++idx[i]! < count[i]!) break; idx[i] = 0; }
  }
  return { dims: count, dataType: data.dataType, values: out };
}

const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

function castValues(v: Float64Array, to: number): Float64Array {
  if (to === 1) return v.map(Math.fround);
  if (to === 9) return v.map((x) => (x !== 0 ? 1 : 0));
  if (INT_TYPES.has(to)) return v.map(Math.trunc);
  return v.slice();
}

function constantNode(a: Attrs): Const {
  const t = a.tensor('value');
  if (t) {
    if (!t.values) throw new Unsupported('Constant of an element type Kiln cannot read');
    return { dims: [...t.dims], dataType: t.dataType, values: t.values };
  }
  const f = a.float('value_float'), i = a.int('value_int'), fs = a.floats('value_floats'), is = a.ints('value_ints');
  if (a.has('value_float')) return { dims: [], dataType: 1, values: Float64Array.of(f!) };
  if (a.has('value_int')) return { dims: [], dataType: 7, values: Float64Array.of(i!) };
  if (fs) return { dims: [fs.length], dataType: 1, values: Float64Array.from(fs) };
  if (is) return { dims: [is.length], dataType: 7, values: Float64Array.from(is) };
  throw new Unsupported(`Constant with ${[...a.node.attrs.keys()].join(', ')} is not supported`);
}

type Folder = (n: OnnxNode, b: Builder, c: (i: number) => Const, opset: number) => Const;

const arith = (f: (x: number, y: number) => number, intF = f): Folder => (_n, _b, c) => {
  const a = c(0);
  return broadcastConst(a, c(1), INT_TYPES.has(a.dataType) ? intF : f);
};

const FOLDERS: Readonly<Record<string, Folder>> = {
  Identity: (_n, _b, c) => c(0),
  Cast: (n, _b, c) => { const to = new Attrs(n).int('to', 1); return { ...c(0), dataType: to, values: castValues(c(0).values, to) }; },
  Neg: (_n, _b, c) => ({ ...c(0), values: c(0).values.map((v) => -v) }),
  Add: arith((x, y) => x + y),
  Sub: arith((x, y) => x - y),
  Mul: arith((x, y) => x * y),
  Div: arith((x, y) => x / y, (x, y) => Math.trunc(x / y)),
  Reshape: (n, b, c, opset) => {
    const a = new Attrs(n);
    const shape = opset < 5 ? a.ints('shape') ?? [] : [...b.constant(n.inputs[1]!, 'Reshape shape').values];
    return { ...c(0), dims: reshapeTarget(c(0).dims, shape, a.int('allowzero', 0) === 1) };
  },
  Flatten: (n, _b, c) => {
    const d = c(0).dims;
    const ax = new Attrs(n).int('axis', 1);
    const a = ax < 0 ? ax + d.length : ax;
    return { ...c(0), dims: [size(d.slice(0, a)), size(d.slice(a))] };
  },
  Transpose: (n, _b, c) => transposeConst(c(0), new Attrs(n).ints('perm') ?? c(0).dims.map((_, i) => c(0).dims.length - 1 - i)),
  Squeeze: (n, b, c, opset) => ({ ...c(0), dims: squeezeDims(c(0).dims, axesOf(n, b, opset)) }),
  Unsqueeze: (n, b, c, opset) => ({ ...c(0), dims: unsqueezeDims(c(0).dims, axesOf(n, b, opset) ?? []) }),
  Concat: (n, _b, c) => {
    const parts = n.inputs.filter((i) => i !== '').map((_, k) => c(k));
    const first = parts[0]!;
    const ax = normAxis(new Attrs(n).int('axis', 0), first.dims.length, 'Concat');
    const outer = size(first.dims.slice(0, ax));
    const values: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const p of parts) {
        const chunk = size(p.dims.slice(ax));
        for (let i = o * chunk; i < (o + 1) * chunk; i++) values.push(p.values[i]!);
      }
    }
    const dims = [...first.dims];
    dims[ax] = parts.reduce((s, p) => s + p.dims[ax]!, 0);
    return { dims, dataType: first.dataType, values: Float64Array.from(values) };
  },
  Gather: (n, _b, c) => gatherConst(c(0), c(1), new Attrs(n).int('axis', 0)),
  Slice: (n, b, c, opset) => {
    const data = c(0);
    if (opset < 10) {
      const a = new Attrs(n);
      const starts = a.ints('starts') ?? [];
      return sliceConst(data, starts, a.ints('ends') ?? [], a.ints('axes') ?? starts.map((_, i) => i), starts.map(() => 1));
    }
    const vals = (i: number, what: string) => (n.inputs[i] ? [...b.constant(n.inputs[i]!, `Slice ${what}`).values] : undefined);
    const starts = vals(1, 'starts')!;
    return sliceConst(data, starts, vals(2, 'ends')!, vals(3, 'axes') ?? starts.map((_, i) => i), vals(4, 'steps') ?? starts.map(() => 1));
  },
};

/** Ops folded whenever their data input has a static shape, constant or not. */
function foldShape(n: OnnxNode, b: Builder): Const | undefined {
  if (n.opType === 'Shape') {
    const d = b.shape(n.inputs[0]!);
    const a = new Attrs(n);
    const r = d.length;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const part = d.slice(norm(a.int('start', 0)), norm(a.int('end', r)));
    return { dims: [part.length], dataType: 7, values: Float64Array.from(part) };
  }
  if (n.opType === 'Size') return { dims: [], dataType: 7, values: Float64Array.of(size(b.shape(n.inputs[0]!))) };
  return undefined;
}

/** Fold the node if it can be; returns whether its outputs are now bound. */
export function tryFold(n: OnnxNode, b: Builder, opset: number): boolean {
  if (n.opType === 'Constant') { b.bindConst(n.outputs[0]!, constantNode(new Attrs(n))); return true; }
  const shaped = foldShape(n, b);
  if (shaped) { b.bindConst(n.outputs[0]!, shaped); return true; }
  // CastLike needs only the element type of its second input, which a computed value also has.
  if (n.opType === 'CastLike' && b.isConst(n.inputs[0]!)) {
    const to = b.elemType(n.inputs[1]!) ?? 1;
    const c = b.constant(n.inputs[0]!, 'CastLike input');
    b.bindConst(n.outputs[0]!, { ...c, dataType: to, values: castValues(c.values, to) });
    return true;
  }
  const folder = FOLDERS[n.opType];
  const ins = n.inputs.filter((i) => i !== '');
  if (!folder || ins.length === 0 || !ins.every((i) => b.isConst(i))) return false;
  const c = (k: number): Const => b.constant(ins[k]!, `${n.opType} input ${k}`);
  b.bindConst(n.outputs[0]!, folder(n, b, c, opset));
  return true;
}
