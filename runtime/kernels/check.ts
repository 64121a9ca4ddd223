/**
 * Argument checks shared by the kernels. A kernel called with mismatched shapes is a user-visible
 * failure (a network description that the checker let through, or a bad checkpoint), so it raises
 * a KilnError with a hint rather than reading out of bounds or returning garbage.
 */
import { KilnError, error } from '../../compiler/lang/diagnostics.ts';
import { formatShape } from '../tensor.ts';

export function kernelError(kernel: string, message: string, hint?: string): KilnError {
  return new KilnError(error('kernel-args', `${kernel}: ${message}`, undefined, hint));
}

export function expectRank(kernel: string, what: string, shape: readonly number[], rank: number): void {
  if (shape.length !== rank) {
    throw kernelError(kernel, `${what} must have rank ${rank}, got ${formatShape(shape)}`);
  }
}

export function expectShape(kernel: string, what: string, shape: readonly number[], want: readonly number[]): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw kernelError(kernel, `${what} must have shape ${formatShape(want)}, got ${formatShape(shape)}`);
  }
}

export function expect(kernel: string, ok: boolean, message: string, hint?: string): void {
  if (!ok) throw kernelError(kernel, message, hint);
}

/** Normalize a possibly negative axis against a rank, as numpy and ONNX do. */
export function normAxis(kernel: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw kernelError(kernel, `axis ${axis} is out of range for rank ${rank}`, `use an axis in [${-rank}, ${rank - 1}]`);
  }
  return a;
}

/** Split a shape around an axis into (outer, axis length, inner) extents. */
export function aroundAxis(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, len: shape[axis]!, inner };
}
