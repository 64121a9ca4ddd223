// Runs gemm-i8.wat's shipped module, and the one-instruction form it replaced
// (i32x4.relaxed_dot_i8x16_i7x16_add_s), against exact JS sums under whatever compiler tier the
// node flags pick, bypassing runtime/kernels/wasm/instance.ts so nothing changes the tier:
//   node --experimental-wasm-relaxed-simd --liftoff --no-wasm-tier-up scripts/i8-dot-tiers.mjs   (Liftoff only)
//   node --experimental-wasm-relaxed-simd --no-liftoff scripts/i8-dot-tiers.mjs                  (TurboFan only)
// (Node 22 and later run relaxed SIMD without the first flag.) Prints the wrong sums of each form.
import { readFileSync } from 'node:fs';

const src = readFileSync(new URL('../runtime/kernels/wasm/gemm-i8.wasm.ts', import.meta.url), 'utf8');
const shipped = Buffer.from([...src.matchAll(/'([A-Za-z0-9+/=]+)'/g)].map((m) => m[1]).join(''), 'base64');
const memory = new WebAssembly.Memory({ initial: 256 });
/** @typedef {(...args: number[]) => void} Fn */
const ex = /** @type {Record<'pack' | 'gemm', Fn>} */ (new WebAssembly.Instance(new WebAssembly.Module(shipped), { env: { memory } }).exports);

// acc + dot(a, b) for one 16-byte a and b, as four i32 lanes, in the one-instruction form.
const wabt = await (await import('wabt')).default();
const addS = wabt.parseWat('add_s.wat', `(module (import "env" "memory" (memory 0))
  (func (export "dot") (param $a i32) (param $b i32) (param $c i32)
    (v128.store (local.get $c) (i32x4.relaxed_dot_i8x16_i7x16_add_s
      (v128.load (local.get $b)) (v128.load (local.get $a)) (v128.load (local.get $c))))))`, { simd: true, relaxed_simd: true });
const one = /** @type {Record<'dot', Fn>} */ (new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(addS.toBinary({}).buffer)), { env: { memory } }).exports);

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const int8 = (/** @type {number} */ len, /** @type {number} */ lo, /** @type {number} */ hi) => Int8Array.from({ length: len }, () => lo + Math.floor(rand() * (hi - lo + 1)));

/** Wrong sums of the shipped gemm at m × n × k (A in [0, 127], B any int8, B as n × k). */
function shippedWrong(/** @type {number} */ m, /** @type {number} */ n, /** @type {number} */ k) {
  const a = int8(m * k, 0, 127), b = int8(n * k, -128, 127);
  const kq = (k + 3) >> 2, mp = (m + 3) & ~3, np = (n + 7) & ~7;
  const aAt = 1024, bAt = aAt + m * k + 64, apAt = (bAt + n * k + 64 + 15) & ~15, bpAt = apAt + mp * kq * 4, cAt = bpAt + np * kq * 4;
  new Int8Array(memory.buffer, aAt, m * k).set(a);
  new Int8Array(memory.buffer, bAt, n * k).set(b);
  ex.pack(m, k, aAt, k, 1, 4, apAt);
  ex.pack(n, k, bAt, k, 1, 8, bpAt);
  ex.gemm(mp, np, kq, apAt, bpAt, cAt);
  const c = new Int32Array(memory.buffer, cAt, mp * np);
  let wrong = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += /** @type {number} */ (a[i * k + p]) * /** @type {number} */ (b[j * k + p]);
    if (c[i * np + j] !== s) wrong++;
  }
  return wrong;
}

/** Wrong lanes of the one-instruction form over `reps` random a, b, accumulator. */
function addSWrong(/** @type {number} */ reps) {
  let wrong = 0;
  for (let r = 0; r < reps; r++) {
    const a = int8(16, 0, 127), b = int8(16, -128, 127), acc = Int32Array.from({ length: 4 }, () => Math.floor(rand() * 2000) - 1000);
    new Int8Array(memory.buffer, 0, 16).set(a);
    new Int8Array(memory.buffer, 16, 16).set(b);
    new Int32Array(memory.buffer, 32, 4).set(acc);
    one.dot(0, 16, 32);
    const out = new Int32Array(memory.buffer, 32, 4);
    for (let l = 0; l < 4; l++) {
      let s = /** @type {number} */ (acc[l]);
      for (let t = 0; t < 4; t++) s += /** @type {number} */ (a[4 * l + t]) * /** @type {number} */ (b[4 * l + t]);
      if (out[l] !== s) wrong++;
    }
  }
  return wrong;
}

/** @type {[number, number, number][]} */
const shapes = [[4, 8, 8], [8, 16, 2101], [5, 9, 7], [129, 16, 2049], [68, 17, 4097]];
const report = shapes.map(([m, n, k]) => `${m}×${n}×${k}: ${shippedWrong(m, n, k)} of ${m * n} wrong`);
console.log(`node ${process.version}, flags ${process.execArgv.join(' ') || '(none)'}`);
console.log(`shipped (i16x8.relaxed_dot_i8x16_i7x16_s + i32x4.dot_i16x8_s): ${report.join('; ')}`);
console.log(`one instruction (i32x4.relaxed_dot_i8x16_i7x16_add_s): ${addSWrong(1000) } of 4000 lanes wrong`);
