/**
 * Integer kernels on both backends (WebAssembly SIMD, the default, and the plain-JS reference)
 * against Kiln's own fp32 WebAssembly GEMM in the same process, timed round-robin on CPU time
 * (bench/timing.ts). Issue 15's goals, one thread, medians: int16 GEMM ≥ 1.8× the fp32 WebAssembly
 * GEMM (the training-throughput ratio of Das et al. 2018's INT16 dynamic fixed point), int8 ≥ 2×; binary
 * XNOR-popcount ≥ 100 G binary MAC/s (C with popcnt reaches 108–152 on this machine, per the issue).
 * int8 is timed twice: signed activations (the int16 kernel on widened operands) and activations in
 * [0, 127], as after a ReLU (relaxed SIMD's int8 dot product, gemm-i8.wat, where it runs).
 * Run with `npx tsx bench/int-kernels.ts [--quick]`; prints markdown for docs/benchmarks.md.
 */
import { sgemm } from '../runtime/kernels/gemm.ts';
import { type Dfp16, gemmDfp16 } from '../runtime/kernels/fixed-point.ts';
import { gemmInt8 } from '../runtime/kernels/quant-int8.ts';
import { packSignBits, xnorGemm } from '../runtime/kernels/binary.ts';
import { packI16B, residentC, wasmGemmI16Resident } from '../runtime/kernels/wasm/gemm-i16.ts';
import { i8DotAvailable, Int8Weights } from '../runtime/kernels/wasm/gemm-i8.ts';
import { Resident } from '../runtime/kernels/wasm/resident.ts';
import { mulberry32 } from '../runtime/tensor.ts';
import { onBackend, type Timing, timeTogether } from './timing.ts';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 11;
const rng = mulberry32(3);


const gmacs = (macs: number, t: Timing): string => (macs / t.median / 1e6).toFixed(2);

/**
 * int16 operands with |x| < range. For every row of a k-deep product to pass the int32 bound
 * (Σ|a|·max|B| ≤ 2^31 − 1), k·range² ≤ 2^31: 2047 at k = 512, 1448 at k = 1024. A full-range
 * operand fails it and takes the JS loop (docs/kernels.md, "int16 overflow").
 */
const int16s = (len: number, range: number): Int16Array => Int16Array.from({ length: len }, () => Math.floor((rng() * 2 - 1) * range));

const int8s = (len: number): Int8Array => Int8Array.from({ length: len }, () => Math.floor(rng() * 255) - 127);

/** Post-ReLU activations quantized symmetrically: [0, 127], which the int8 dot-product kernel takes. */
const uint7s = (len: number): Int8Array => Int8Array.from({ length: len }, () => Math.floor(rng() * 128));

function intGemms(n: number): string[] {
  const range = Math.min(2047, Math.floor(Math.sqrt(2 ** 31 / n)));
  const a = Float32Array.from({ length: n * n }, () => rng() * 2 - 1), b = Float32Array.from({ length: n * n }, () => rng() * 2 - 1);
  const c = new Float32Array(n * n);
  const qa: Dfp16 = { shape: [n, n], values: int16s(n * n, range), exponent: -11 };
  const qb: Dfp16 = { shape: [n, n], values: int16s(n * n, range), exponent: -11 };
  // Every row writes into a buffer it was given, as sgemm does into c: a fresh m·n result would
  // time its page faults (docs/benchmarks.md).
  const c16 = new Int32Array(n * n);
  // int8 as a dense layer multiplies: B is the [out, in] weights, transposed.
  const a8 = int8s(n * n), b8 = int8s(n * n), c8 = new Int32Array(n * n), a8u = uint7s(n * n);
  // A dense layer's weights do not change between batches at inference: the lowered layers pack
  // them once (packI16B, Int8Weights), which the "B pre-packed" rows time; the others pack B on
  // every call. A signed A takes the int16 kernel (after a scan finds a negative value), an A in
  // [0, 127] the int8 dot product where relaxed SIMD runs.
  const pb = packI16B(n, n, qb.values, true), pb8 = new Int8Weights(n, n, b8, true);
  // B and C resident in the kernels' memory: only A is copied in; C is read in place. Every row
  // passes the int32 bound here, so this does what the pre-packed row does less the copy of C out.
  const cRes = residentC(n, n);
  // A too, as a caller that quantizes straight into the kernels' memory would hand it: nothing is
  // copied, and what is left around the kernel is packing A with the bound's row sums.
  const aRes = new Resident(2 * n * n);
  aRes.i16().set(qa.values);
  const withJs = n <= 256;
  const fns = [
    onBackend('wasm', () => sgemm({ m: n, n, k: n, a, b, c })),
    onBackend('wasm', () => gemmDfp16(n, n, n, qa, qb, true, undefined, c16)),
    onBackend('wasm', () => gemmDfp16(n, n, n, qa, qb, true, pb, c16)),
    onBackend('wasm', () => gemmInt8(n, n, n, a8, b8, c8, { transB: true })),
    onBackend('wasm', () => gemmInt8(n, n, n, a8, b8, c8, { transB: true, packedB: pb8 })),
    onBackend('wasm', () => gemmInt8(n, n, n, a8u, b8, c8, { transB: true })),
    onBackend('wasm', () => gemmInt8(n, n, n, a8u, b8, c8, { transB: true, packedB: pb8 })),
    onBackend('wasm', () => { if (!wasmGemmI16Resident(n, qa.values, pb, cRes, 0)?.every((x) => x === 1)) throw new Error('a row failed the int32 bound'); }),
    onBackend('wasm', () => { if (!wasmGemmI16Resident(n, aRes.i16(), pb, cRes, 0)?.every((x) => x === 1)) throw new Error('a row failed the int32 bound'); }),
    ...(withJs ? [onBackend('js', () => gemmDfp16(n, n, n, qa, qb, true, undefined, c16)), onBackend('js', () => gemmInt8(n, n, n, a8, b8, c8, { transB: true }))] : []),
  ];
  // 1024³ runs 8× as long as 512³: fewer repetitions keep the bench near a minute.
  const [f32, i16, i16pre, i8, i8pre, u8, u8pre, i16res, i16all, i16js, i8js] = timeTogether(fns, n >= 1024 ? Math.max(3, REPS - 4) : REPS) as Timing[];
  const macs = n ** 3;
  const row = (name: string, t: Timing) => `| ${name} ${n}³ | ${t.median.toFixed(2)} | ${gmacs(macs, t)} | ${(f32!.median / t.median).toFixed(2)}× |`;
  pb.free(); pb8.free(); cRes.free(); aRes.free();
  const dotKernel = i8DotAvailable() ? 'relaxed-SIMD dot product' : 'no relaxed SIMD here: int16 kernel';
  return [
    row('fp32 GEMM (WebAssembly)', f32!),
    row('int16 GEMM (WebAssembly, bound and B packing included)', i16!),
    row('int16 GEMM (WebAssembly, bound included, B pre-packed)', i16pre!),
    row('int8 GEMM (WebAssembly, B packing included)', i8!),
    row('int8 GEMM (WebAssembly, B pre-packed)', i8pre!),
    row(`int8 GEMM, activations ≥ 0 (${dotKernel}, B packing included)`, u8!),
    row(`int8 GEMM, activations ≥ 0 (${dotKernel}, B pre-packed)`, u8pre!),
    row('int16 GEMM (WebAssembly, bound included, B and C resident)', i16res!),
    row('int16 GEMM (WebAssembly, bound included, A, B and C resident)', i16all!),
    ...(i16js && i8js ? [row('int16 GEMM (JS reference)', i16js), row('int8 GEMM (JS reference)', i8js)] : []),
  ];
}

/** 256 × 256 × 4096 ±1 operands, bit-packed (packing is not timed: a lowered layer packs its weights once). */
function xnor(): string[] {
  const m = 256, n = 256, k = 4096;
  const pa = packSignBits(Float32Array.from({ length: m * k }, () => rng() - 0.5), m, k);
  const pb = packSignBits(Float32Array.from({ length: n * k }, () => rng() - 0.5), n, k);
  const out = new Int32Array(m * n);
  const [wasm, js] = timeTogether([onBackend('wasm', () => xnorGemm(pa, pb, out)), onBackend('js', () => xnorGemm(pa, pb, out))], REPS + 4, 3) as [Timing, Timing];
  const macs = m * n * k;
  return [
    `| XNOR-popcount ${m}×${n}×${k} (WebAssembly) | ${wasm.median.toFixed(2)} | ${gmacs(macs, wasm)} | – |`,
    `| XNOR-popcount ${m}×${n}×${k} (JS reference) | ${js.median.toFixed(2)} | ${gmacs(macs, js)} | – |`,
  ];
}

console.log('| kernel (one thread) | ms (median CPU) | G MAC/s | vs fp32 WebAssembly |');
console.log('|---|---:|---:|---:|');
for (const n of quick ? [256] : [256, 512, 1024]) for (const row of intGemms(n)) console.log(row);
for (const row of xnor()) console.log(row);
