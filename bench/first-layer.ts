/**
 * The exact paths for a binary layer on grid inputs, on binary_mlp's first layer (a batch of 100
 * MNIST test digits, 784 → 1024): the fp32 GEMM on the integers q (exact while k·(2^bits − 1) <
 * 2^24, kernels/grid-gemm.ts), the bit-planes at the data's own 10 bits (the `mnist` package's
 * pixels are q/1000) and at fewer bits (the same digits requantized to 2^b levels, same zeros),
 * against the plain fp32 product the interpreter computes. Each row includes turning the batch
 * into its operand (conversion or packing), as the lowered layer pays it per batch. CPU time,
 * round-robin (bench/timing.ts). Run with `npx tsx bench/first-layer.ts [--quick]`; the table and
 * the crossover that lowerBinary's choice uses go into docs/kernels.md.
 */
import { loadData } from '../runtime/data/index.ts';
import { dense } from '../runtime/kernels/dense.ts';
import { packSignBits } from '../runtime/kernels/binary.ts';
import { bitPlaneGemm, inputLevels, packBitPlanes } from '../runtime/kernels/bitplane.ts';
import { gridGemm, gridIntegers } from '../runtime/kernels/grid-gemm.ts';
import { mulberry32 } from '../runtime/tensor.ts';
import { timeTogether } from './timing.ts';

const quick = process.argv.includes('--quick');
const M = 100, K = 784, N = 1024;
const x = loadData('mnist', { train: 1, test: M }).test.x.subarray(0, M * K);
const lv = inputLevels(x)!;
const rng = mulberry32(1);
const signs = { shape: [N, K], data: Float32Array.from({ length: N * K }, () => (rng() < 0.5 ? -1 : 1)) };
const packed = packSignBits(signs.data, N, K);
const rows: [string, () => void][] = [
  ['fp32 GEMM on the real pixels (not exact)', () => dense({ shape: [M, K], data: x }, signs)],
  [`fp32 GEMM on the integers q (q/${lv.denominator}, exact)`, () => gridGemm(gridIntegers(x, M * K, lv)!, M, K, signs, lv)],
];
for (const bits of [lv.bits, 8, 6, 5, 4, 2, 1]) {
  const levels = { denominator: 2 ** bits, bits };
  // The same digits on a 2^bits grid (zeros stay zero), so only the plane count changes.
  const xb = bits === lv.bits ? x : Float32Array.from(x, (v) => Math.min(2 ** bits - 1, Math.floor(v * 2 ** bits)) / 2 ** bits);
  const l = bits === lv.bits ? lv : levels;
  rows.push([`bit-planes, ${bits} plane${bits > 1 ? 's' : ''} (pack + AND-popcounts)`, () => bitPlaneGemm(packBitPlanes(xb, M, K, l)!, packed)]);
}
const times = timeTogether(rows.map(([, f]) => f), quick ? 5 : 15);
const f32 = times[0]!.median;
console.log(`| ${M} digits · ${K}→${N}, one thread | ms (median CPU) | vs fp32 |`);
console.log('|---|---:|---:|');
rows.forEach(([name], i) => console.log(`| ${name} | ${times[i]!.median.toFixed(2)} | ${(f32 / times[i]!.median).toFixed(2)}× |`));
