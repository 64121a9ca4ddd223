/** Shape arithmetic shared by the op vocabulary (and later by lowering and the interpreter). */

export class ShapeError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

export function expectRank(shape: readonly number[], ranks: number[], op: string, hint?: string): void {
  if (!ranks.includes(shape.length)) {
    throw new ShapeError(`${op} expects a ${ranks.join(' or ')}-D input but got ${shape.length}-D ${fmt(shape)}`, hint);
  }
}

/**
 * Output length of a sliding window (conv or pool) along one axis, with ONNX/PyTorch semantics:
 * in ceil mode the last window must still start inside the input or its leading pad.
 */
export function windowOutput(
  size: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number, ceilMode: boolean, axis: string,
): number {
  const effective = (kernel - 1) * dilation + 1;
  const padded = size + padBefore + padAfter;
  if (effective > padded) {
    throw new ShapeError(
      `kernel ${kernel}${dilation > 1 ? ` (dilated to ${effective})` : ''} is larger than the padded input ${axis} ${padded} (${size} + pad ${padBefore + padAfter})`,
      'use a smaller kernel, more padding, or remove a downsampling layer before this one',
    );
  }
  const span = padded - effective;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= size + padBefore) out -= 1;
  return out;
}

/** NumPy broadcasting of two shapes, or a ShapeError naming both. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(`${op} of incompatible shapes ${fmt(a)} and ${fmt(b)} (axis ${i}: ${x} vs ${y})`, 'shapes must match or be 1 on each axis (NumPy broadcasting)');
    }
    out.push(Math.max(x, y));
  }
  return out;
}

export function normalizeAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${op} axis ${axis} is out of range for a ${rank}-D tensor`);
  return a;
}
