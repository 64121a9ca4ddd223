/**
 * What the int16 (gemm-i16.ts) and int8 (gemm-i8.ts) GEMMs do alike around their kernels: find
 * whether the output already lies in the kernels' memory, leave the padded product in the output,
 * and answer a product with no multiply-add (operands are copied in by instance.ts's copyInInts).
 */
import { copyRows, i32At, inWasmMemory, scratchAlloc } from './instance.ts';
import { Resident } from './resident.ts';

export type IntOperand = Int16Array | Int8Array;

/**
 * The byte address of `out` when it is a view of the kernels' memory (so a kernel may write it in
 * place), else undefined. Taken before anything is allocated: growing the memory detaches `out`.
 */
export const outAddress = (out: Int32Array): number | undefined => (inWasmMemory(out) ? out.byteOffset : undefined);

/**
 * Run `gemm(cAt)`, which writes ⌈m/4⌉·4 rows of ⌈n/8⌉·8 int32 at cAt, and leave the m × n product
 * in `out`: written there in place when `out` lies in the kernels' memory (outAt, outAddress's
 * answer) and the tile padding adds nothing, else into scratch and copied (1 MiB at 512², a few
 * per cent of a 512³ product).
 */
export function productInto(m: number, n: number, out: Int32Array, outAt: number | undefined, gemm: (cAt: number) => void): void {
  const mp = (m + 3) & ~3, np = (n + 7) & ~7;
  if (outAt !== undefined && mp === m && np === n) {
    gemm(outAt);
    return;
  }
  const cAt = scratchAlloc(mp * np * 4);
  gemm(cAt);
  copyRows(m, n, cAt, i32At, outAt === undefined ? out : i32At(outAt, m * n), np);
}

/**
 * A product with no multiply-add (m, n or k zero), which the kernels' loops cannot take (their
 * k blocking divides by k, and every loop runs at least one tile): its sums, all zero, go to
 * `out` (by its address when it lies in the kernels' memory). Returns whether the shape was empty.
 */
export function emptyProduct(m: number, n: number, k: number, out: Int32Array | Resident, outAt: number | undefined): boolean {
  if (m > 0 && n > 0 && k > 0) return false;
  if (out instanceof Resident) out.i32().fill(0);
  else (outAt === undefined ? out : i32At(outAt, m * n)).fill(0);
  return true;
}
