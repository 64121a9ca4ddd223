/**
 * Lowered precision kernels against Kiln's f32 GEMM on the same layer shape (a batch of 256 rows
 * through a 1024 → 1024 dense layer): the whole lowered layer as `kiln run` calls it — input
 * quantized or packed, integer sums, requantization or thresholds — against sgemm. The BNN paper's
 * binary kernel was 7× faster than its unoptimised-GEMM baseline (Courbariaux, Hubara et al.
 * 2016, §3); the XNOR-popcount line below is Kiln's own kernel on packed inputs.
 * Run with `npx tsx bench/precision.ts [--quick]`; the table goes into docs/benchmarks.md.
 */
import { sgemm } from '../runtime/kernels/gemm.ts';
import { packSignBits, xnorGemm } from '../runtime/kernels/binary.ts';
import { lowerBinary } from '../runtime/lowered/precision/binary-layer.ts';
import { lowerDfp16 } from '../runtime/lowered/precision/dfp16-layer.ts';
import { lowerInt8 } from '../runtime/lowered/precision/int8-layer.ts';
import { lowerTernary } from '../runtime/lowered/precision/ternary-layer.ts';
import { newCounts } from '../runtime/lowered/precision/types.ts';
import { mulberry32 } from '../runtime/tensor.ts';

const quick = process.argv.includes('--quick');
const M = 256, N = 1024, K = 1024;
const rng = mulberry32(1);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
const A = rand(M * K), W = rand(N * K), C = new Float32Array(M * N);
const weight = { shape: [N, K], data: W };
const signs = Float32Array.from(A, (v) => (v >= 0 ? 1 : -1));

/** Median of `reps` runs after one warm-up, in ms. */
function median(fn: () => void, reps = quick ? 3 : 7): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

const f32 = median(() => sgemm({ m: M, n: N, k: K, a: A, b: W, transB: true, c: C, beta: 0 }));
const packedW = packSignBits(W, N, K);
const packedA = packSignBits(signs, M, K);
// Lowering (packing and quantizing the weights) happens once, at load: it is not timed.
const bin = lowerBinary(weight, undefined, true);
const i8 = lowerInt8({ weight, perChannel: true, actScale: 1 / 127, outScale: 0.5 });
const i16 = lowerDfp16({ weight, perChannel: false, actScale: 2 ** -15, overflow: 'saturate' });
const ter = lowerTernary(weight, undefined, true);
const rows: [string, number][] = [
  ['binary: XNOR-popcount on packed operands (kernel)', median(() => xnorGemm(packedA, packedW))],
  ['binary: lowered layer (pack input + XNOR-popcount)', median(() => bin.accumulate(M, signs, newCounts()))],
  ['int8: lowered layer (quantize, int32 GEMM, requantize)', median(() => i8.gemm(M, A, newCounts()), 3)],
  ['int16 dfp: lowered layer (saturating int32 accumulators)', median(() => i16.gemm(M, A, newCounts()), 3)],
  ['ternary: lowered layer (adds and subtracts)', median(() => ter.gemm(M, A, newCounts()), 3)],
];
console.log(`| layer ${M}×${K} · ${K}→${N} | ms (median) | vs f32 sgemm (${f32.toFixed(1)} ms) |`);
console.log('|---|---:|---:|');
console.log(`| f32 sgemm (Kiln's GEMM) | ${f32.toFixed(1)} | 1.00× |`);
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} | ${(f32 / ms).toFixed(2)}× |`);
