/**
 * grid.wat: a batch's grid integers made in the kernels' memory, where the integer fp32 GEMM
 * reads them in place (grid-gemm.ts, gridGemmOf).
 */
import { countCall } from './calls.ts';
import { wasmExports } from './instance.ts';
import { wasmBase64 } from './grid.wasm.ts';

interface GridExports {
  grid_integers(n: number, x: number, d: number, limit: number, q: number): number;
}

const kernel = (): GridExports => wasmExports<GridExports>('grid', wasmBase64);

/** q = v·d for the n floats at byte address xAt into the n floats at qAt; false when a value is not q/d with whole 0 ≤ q < limit. */
export function wasmGridIntegersAt(n: number, xAt: number, d: number, limit: number, qAt: number): boolean {
  countCall('grid');
  return kernel().grid_integers(n, xAt, d, limit, qAt) === 1;
}
