/**
 * Lowered precision kernels against Kiln's f32 GEMM on the same layer shape (a batch of 256 rows
 * through a 1024 → 1024 dense layer): the whole lowered layer as `kiln run` calls it — input
 * quantized or packed, integer sums, requantization or thresholds — against sgemm. The BNN paper's
 * 7× (Courbariaux, Hubara et al. 2016, abstract) is its whole MNIST network, not a kernel; the
 * paper's kernel-to-kernel figure, as far as we recall it (the text is not at hand here), is its
 * XNOR kernel at about 3.4× cuBLAS, whose counterpart here is XNOR-popcount against the SIMD sgemm.
 * Timed round-robin on this process's CPU time (bench/timing.ts), so load from other processes hits
 * every row alike. A second table takes binary_mlp's hidden layers as `kiln run` meets them (a batch
 * of 100 through 1024 → 1024), XNOR-popcount against the fp32 GEMM on both kernel paths: the
 * WebAssembly SIMD one (the f32 twin's) and the plain-JS reference (KILN_KERNELS=js), each binary
 * row on both paths so like can be set against like. A run gives back the kernels' memory it
 * took (scratch, and the resident blocks of every packed weight), so it can run inside a longer
 * process or a test. Run with `npx tsx bench/precision.ts [--quick] [--hidden]` (`--hidden`: the
 * second table only); the tables go into docs/benchmarks.md.
 */
import { sgemm } from '../runtime/kernels/gemm.ts';
import { packSignBits, xnorGemm } from '../runtime/kernels/binary.ts';
import { binaryThresholds, lowerBinary } from '../runtime/lowered/precision/binary-layer.ts';
import { lowerDfp16 } from '../runtime/lowered/precision/dfp16-layer.ts';
import { lowerInt8 } from '../runtime/lowered/precision/int8-layer.ts';
import { lowerTernary } from '../runtime/lowered/precision/ternary-layer.ts';
import { newCounts } from '../runtime/lowered/precision/types.ts';
import { i8DotAvailable, Int8Weights, wasmGemmI8At } from '../runtime/kernels/wasm/gemm-i8.ts';
import { i32At, i8At, scratchAlloc, withScratch } from '../runtime/kernels/wasm/instance.ts';
import { mulberry32 } from '../runtime/tensor.ts';
import { onBackend, timeTogether } from './timing.ts';

export interface PrecisionRow { name: string; median: number }

/**
 * One seeded m × k input through a k → n layer, as both tables time it: the reals, their signs,
 * both packed, and the binary layer lowered on the signs (not timed: lowering happens at load).
 */
function binaryCase(M: number, N: number, K: number) {
  const rng = mulberry32(1);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
  const A = rand(M * K), W = rand(N * K), C = new Float32Array(M * N);
  const weight = { shape: [N, K], data: W };
  const signs = Float32Array.from(A, (v) => (v >= 0 ? 1 : -1));
  return { A, W, C, weight, signs, packedA: packSignBits(signs, M, K), packedW: packSignBits(W, N, K), bin: lowerBinary(weight, undefined, true) };
}

/** Every row's median CPU milliseconds over `reps` rounds, for an m × k input through a k → n layer. */
export function benchPrecision(M: number, N: number, K: number, reps: number): PrecisionRow[] {
  const { A, W, C, weight, signs, packedA, packedW, bin } = binaryCase(M, N, K);
  // A layer reading a ReLU: no negative input, so its int8 codes lie in [0, 127] (gemm-i8.wat).
  const relu = Float32Array.from(A, (v) => Math.max(0, v));
  // Lowering (packing and quantizing the weights) happens once, at load: it is not timed.
  const binReal = lowerBinary(weight, undefined, false);
  const i8 = lowerInt8({ weight, perChannel: true, actScale: 1 / 127, outScale: 0.5 });
  // |x| < 1 at 2^-15 gives int16 mantissas at full range: every row would overflow int32, so the
  // int16 row is timed at 2^-6 (mantissas below 64), where the rows pass the bound that lets them
  // into WebAssembly.
  const i16 = lowerDfp16({ weight, perChannel: false, actScale: 2 ** -6, overflow: 'saturate' });
  const ter = lowerTernary(weight, undefined, true);
  const layers = [bin, binReal, i8, i16, ter];
  const w8 = new Int8Weights(N, K, Int8Array.from(W, (v) => Math.round(v * 127)), true);
  try {
    return withScratch(() => {
      // The int8 layer's ceiling: its GEMM alone, codes and packed weights already in the kernels'
      // memory (held for the whole run, below any call's scratch).
      const codesAt = scratchAlloc(M * K), sumsAt = scratchAlloc(4 * M * N);
      i8At(codesAt, M * K).set(Int8Array.from(relu, (v) => Math.round(v * 127)));
      // wasmGemmI8At declines (false, nothing computed) where the dot-product kernel does not run:
      // the row would time nothing, so it is left out there.
      const i8Alone: [string, () => void][] = i8DotAvailable()
        ? [['int8: dot-product GEMM alone (codes and packed weights in the kernels\' memory)', () => wasmGemmI8At(M, codesAt, w8, i32At(sumsAt, M * N))]]
        : [];
      if (!i8Alone.length) console.error('precision: no int8 dot-product kernel here (relaxed SIMD): the GEMM-alone row is left out, and the post-ReLU layer takes the widened int16 GEMM');
      const rows: [string, () => void][] = [
        ['f32 sgemm (Kiln\'s GEMM)', () => sgemm({ m: M, n: N, k: K, a: A, b: W, transB: true, c: C, beta: 0 })],
        ['binary: XNOR-popcount on packed operands (kernel)', () => xnorGemm(packedA, packedW)],
        ['binary: lowered layer on ±1 input (pack input + XNOR-popcount)', () => bin.accumulate(M, signs, newCounts())],
        ['binary: lowered layer on real input (fp32 GEMM, ±1 weights)', () => binReal.gemm(M, A, newCounts())],
        ...i8Alone,
        ['int8: lowered layer on a signed input (quantize, widened int16 GEMM, bias + requantize)', () => i8.gemm(M, A, newCounts())],
        ['int8: lowered layer on a post-ReLU input (quantize, int8 dot-product GEMM, bias + requantize)', () => i8.gemm(M, relu, newCounts())],
        ['int16 dfp: lowered layer (rows inside the int32 bound: quantize, int16 GEMM, bias + scale)', () => i16.gemm(M, A, newCounts())],
        ['ternary: lowered layer (fp32 GEMM on α·t)', () => ter.gemm(M, A, newCounts())],
      ];
      const times = timeTogether(rows.map(([, f]) => f), reps);
      return rows.map(([name], i) => ({ name, median: times[i]!.median }));
    });
  } finally {
    w8.free();
    for (const l of layers) l.dispose?.();
  }
}

/**
 * binary_mlp's hidden layers: what the lowered layer does per batch (pack the ±1 input,
 * XNOR-popcount, and with its folded batch norm → sign the compare) against the product the f32
 * twin's layer computes, on each backend.
 */
export function benchHidden(M: number, N: number, K: number, reps: number): PrecisionRow[] {
  const { A, W, C, signs, packedA, packedW, bin } = binaryCase(M, N, K);
  // Channels alternating γ's sign around a spread of means: both compares, half the outputs each way.
  const stat = (f: (c: number) => number) => ({ shape: [N], data: Float32Array.from({ length: N }, (_, c) => f(c)) });
  const th = binaryThresholds({ gamma: stat((c) => (c % 2 ? -1 : 1)), beta: stat(() => 0), mean: stat((c) => (c % 64) - 32), variance: stat(() => 1), eps: 1e-5 }, undefined);
  try {
    const rows: [string, () => void][] = [
      ['f32 sgemm, WebAssembly SIMD (the f32 twin)', onBackend('wasm', () => sgemm({ m: M, n: N, k: K, a: A, b: W, transB: true, c: C, beta: 0 }))],
      ['f32 sgemm, KILN_KERNELS=js', onBackend('js', () => sgemm({ m: M, n: N, k: K, a: A, b: W, transB: true, c: C, beta: 0 }))],
      ['XNOR-popcount on packed operands, WebAssembly', onBackend('wasm', () => xnorGemm(packedA, packedW))],
      ['XNOR-popcount on packed operands, KILN_KERNELS=js', onBackend('js', () => xnorGemm(packedA, packedW))],
      ['lowered binary layer on ±1 input (pack + XNOR-popcount), WebAssembly', onBackend('wasm', () => bin.accumulate(M, signs, newCounts()))],
      ['lowered binary layer on ±1 input, KILN_KERNELS=js', onBackend('js', () => bin.accumulate(M, signs, newCounts()))],
      ['the layer with its folded batch norm → sign, as kiln run calls it, WebAssembly', onBackend('wasm', () => bin.compare(M, signs, newCounts(), th, -1))],
      ['the layer with its folded batch norm → sign, KILN_KERNELS=js', onBackend('js', () => bin.compare(M, signs, newCounts(), th, -1))],
    ];
    const times = timeTogether(rows.map(([, f]) => f), reps);
    return rows.map(([name], i) => ({ name, median: times[i]!.median }));
  } finally {
    bin.dispose?.();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const M = 256, N = 1024, K = 1024, HM = 100;
  if (!process.argv.includes('--hidden')) {
    const rows = benchPrecision(M, N, K, quick ? 3 : 7);
    const f32 = rows[0]!.median;
    console.log(`| layer ${M}×${K} · ${K}→${N}, one thread | ms (median CPU) | vs f32 sgemm |`);
    console.log('|---|---:|---:|');
    for (const r of rows) console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${(f32 / r.median).toFixed(2)}× |`);
    console.log('');
  }
  const hidden = benchHidden(HM, N, K, quick ? 3 : 9);
  const [simd, js] = [hidden[0]!.median, hidden[1]!.median];
  console.log(`| binary_mlp hidden layer, ${HM}×${K} · ${K}→${N}, one thread | ms (median CPU) | vs f32 WebAssembly SIMD | vs f32 JS |`);
  console.log('|---|---:|---:|---:|');
  for (const r of hidden) console.log(`| ${r.name} | ${r.median.toFixed(2)} | ${(simd / r.median).toFixed(2)}× | ${(js / r.median).toFixed(2)}× |`);
}
