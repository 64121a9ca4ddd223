/**
 * The vertices in ascending order of x, ties by vertex id (x holds no NaN: a Lanczos vector with
 * one is NaN throughout): a bottom-up merge sort, stable from the identity order. Not `sort`
 * with a comparator closure (see refine-fm.ts); the merge also spares a call per comparison.
 * The sweep cut (initial-spectral.ts) moves vertices to side 0 in this order.
 */
export function ascendingOrder(x: Float64Array): Int32Array {
  const nv = x.length;
  let a = new Int32Array(nv);
  let b = new Int32Array(nv);
  for (let v = 0; v < nv; v++) a[v] = v;
  for (let width = 1; width < nv; width *= 2) {
    for (let lo = 0; lo < nv; lo += 2 * width) {
      const mid = Math.min(lo + width, nv);
      const hi = Math.min(lo + 2 * width, nv);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) b[o++] = x[a[j]!]! < x[a[i]!]! ? a[j++]! : a[i++]!;
      while (i < mid) b[o++] = a[i++]!;
      while (j < hi) b[o++] = a[j++]!;
    }
    [a, b] = [b, a];
  }
  return a;
}
