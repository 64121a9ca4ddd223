/**
 * Deliberately naive reference implementations, written for obviousness rather than speed, that
 * the optimized kernels are compared against on random shapes.
 */

/** op(A)·op(B)·alpha + beta·C with explicit index arithmetic, in float64. */
export function gemmNaive(m: number, n: number, k: number, a: Float32Array, lda: number, transA: boolean,
  b: Float32Array, ldb: number, transB: boolean, c: Float32Array, ldc: number, alpha: number, beta: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * lda + i]! : a[i * lda + p]!;
        const bv = transB ? b[j * ldb + p]! : b[p * ldb + j]!;
        s += av * bv;
      }
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]!);
    }
  }
  return out;
}

export interface NaiveConv {
  stride: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/** Direct 7-loop convolution over NCHW with weight [Cout, Cin/groups, kh, kw]. */
export function conv2dNaive(x: Float32Array, xs: number[], w: Float32Array, ws: number[], bias: Float32Array | undefined,
  o: NaiveConv): { y: Float64Array; shape: number[] } {
  const [n, cin, h, wd] = xs as [number, number, number, number];
  const [cout, cing, kh, kw] = ws as [number, number, number, number];
  const [sh, sw] = o.stride;
  const [pt, pl, pb, pr] = o.pad;
  const [dh, dw] = o.dilation;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const coutg = cout / o.groups;
  const y = new Float64Array(n * cout * oh * ow);
  for (let b = 0; b < n; b++) for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutg);
    for (let yo = 0; yo < oh; yo++) for (let xo = 0; xo < ow; xo++) {
      let s = bias ? bias[co]! : 0;
      for (let ci = 0; ci < cing; ci++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const iy = yo * sh - pt + i * dh;
        const ix = xo * sw - pl + j * dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        s += x[((b * cin + g * cing + ci) * h + iy) * wd + ix]! * w[((co * cing + ci) * kh + i) * kw + j]!;
      }
      y[((b * cout + co) * oh + yo) * ow + xo] = s;
    }
  }
  return { y, shape: [n, cout, oh, ow] };
}

/** The adjoint of conv2dNaive, loop for loop: dx, dw and db of Σ dy ⊙ conv(x, w), in float64. */
export function conv2dBackwardNaive(x: Float32Array, xs: number[], w: Float32Array, ws: number[], dy: Float32Array,
  o: NaiveConv): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const [n, cin, h, wd] = xs as [number, number, number, number];
  const [cout, cing, kh, kw] = ws as [number, number, number, number];
  const [sh, sw] = o.stride;
  const [pt, pl, pb, pr] = o.pad;
  const [dh, dw] = o.dilation;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const coutg = cout / o.groups;
  const dx = new Float64Array(x.length), dW = new Float64Array(w.length), db = new Float64Array(cout);
  for (let b = 0; b < n; b++) for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutg);
    for (let yo = 0; yo < oh; yo++) for (let xo = 0; xo < ow; xo++) {
      const d = dy[((b * cout + co) * oh + yo) * ow + xo]!;
      db[co] = db[co]! + d;
      for (let ci = 0; ci < cing; ci++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const iy = yo * sh - pt + i * dh;
        const ix = xo * sw - pl + j * dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        const xi = ((b * cin + g * cing + ci) * h + iy) * wd + ix, wi = ((co * cing + ci) * kh + i) * kw + j;
        dx[xi] = dx[xi]! + w[wi]! * d;
        dW[wi] = dW[wi]! + x[xi]! * d;
      }
    }
  }
  return { dx, dw: dW, db };
}

export interface NaivePool {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
}

function* indices(dims: number[]): Generator<number[]> {
  const idx = dims.map(() => 0);
  if (dims.some((d) => d === 0)) return;
  for (;;) {
    yield [...idx];
    let a = dims.length - 1;
    while (a >= 0 && ++idx[a]! === dims[a]!) { idx[a] = 0; a--; }
    if (a < 0) return;
  }
}

/** N-D pooling straight from the ONNX operator description. */
export function poolNaive(x: Float32Array, xs: number[], o: NaivePool, mode: 'max' | 'avg'): { y: Float64Array; shape: number[] } {
  const r = xs.length - 2;
  const sp = xs.slice(2);
  const out = sp.map((len, i) => {
    const eff = (o.kernel[i]! - 1) * o.dilations[i]! + 1;
    const f = (len + o.pads[i]! + o.pads[r + i]! - eff) / o.strides[i]! + 1;
    let size = o.ceilMode ? Math.ceil(f) : Math.floor(f);
    if (o.ceilMode && (size - 1) * o.strides[i]! >= len + o.pads[i]!) size--;
    return size;
  });
  const shape = [xs[0]!, xs[1]!, ...out];
  const y = new Float64Array(shape.reduce((a, b) => a * b, 1));
  const planeIn = sp.reduce((a, b) => a * b, 1);
  let q = 0;
  for (let plane = 0; plane < xs[0]! * xs[1]!; plane++) {
    for (const oi of indices(out)) {
      let best = -Infinity;
      let sum = 0;
      let inside = 0;
      let padded = 0;
      for (const ki of indices(o.kernel)) {
        const pos = oi.map((v, i) => v * o.strides[i]! - o.pads[i]! + ki[i]! * o.dilations[i]!);
        if (pos.every((p, i) => p >= -o.pads[i]! && p < sp[i]! + o.pads[r + i]!)) padded++;
        if (!pos.every((p, i) => p >= 0 && p < sp[i]!)) continue;
        let flat = 0;
        for (let i = 0; i < r; i++) flat = flat * sp[i]! + pos[i]!;
        const v = x[plane * planeIn + flat]!;
        best = Math.max(best, v);
        sum += v;
        inside++;
      }
      // Kiln's choice: a window that touches no input element (possible with dilation or ceil
      // mode) yields 0 rather than the -inf / NaN that 0-element max / mean would give.
      if (inside === 0) { y[q++] = 0; continue; }
      y[q++] = mode === 'max' ? best : sum / (o.countIncludePad ? padded : inside);
    }
  }
  return { y, shape };
}

/** Σ_p a[i][p]·op(B)[p][j] exactly (float64: |Σ| < 2^53 for these k), for every i, j; op(B) = B [k×n] or Bᵀ with B [n×k]. */
export function intGemmExact(m: number, n: number, k: number, a: ArrayLike<number>, b: ArrayLike<number>, transB: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * (transB ? b[j * k + p]! : b[p * n + j]!);
    out[i * n + j] = s;
  }
  return out;
}
