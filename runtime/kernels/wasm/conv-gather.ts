/**
 * conv-gather.wat on operands in the kernels' memory (byte addresses): im2col into packed GEMM panels, col2im and the
 * copies between NCHW planes and a group's [channels, images·pixels] matrix. conv-wasm.ts places
 * the operands; conv-gather.ts holds the JS reference and builds the tables.
 */
import { wasmExports } from './instance.ts';
import { wasmBase64 } from './conv-gather.wasm.ts';

/** A tap table and a pixel-row table (i32 float offsets) at byte addresses in the kernels' memory. */
export interface GatherTables { taps: number; ntaps: number; rows: number; nrows: number; ow: number; sw: number }

interface ConvGatherExports {
  scatter_add(img: number, taps: number, ntaps: number, rows: number, nrows: number, ow: number, sw: number, mat: number, ld: number): void;
  gather_panels(img: number, taps: number, ntaps: number, pix: number, npix: number, dst: number, ones: number): void;
  planes(nchw: number, mat: number, nimg: number, cout: number, ch0: number, chans: number, hw: number, bias: number, toMat: number): void;
}

const ex = (): ConvGatherExports => wasmExports<ConvGatherExports>('conv-gather', wasmBase64);

/**
 * im2col in the fp32 GEMM's packed B layout, for wasmGemmPackedBAt: panel P of 8 columns holds,
 * step by step, the values img[steps[q] + cols[8P + s]] (both tables i32 float offsets), zero past
 * ncols, or 1.0 in column ncols when `ones` (ncols must not be a multiple of 8). Forward: steps =
 * taps, cols = output pixels; weight gradient: the other way round.
 */
export function wasmGatherPanels(img: number, steps: number, nsteps: number, cols: number, ncols: number, dst: number, ones = false): void {
  ex().gather_panels(img, steps, nsteps, cols, ncols, dst, ones ? 1 : 0);
}

/** img[taps[q] + pixel j] += mat[q·ld + j]. */
export function wasmScatterAdd(img: number, t: GatherTables, mat: number, ld: number): void {
  ex().scatter_add(img, t.taps, t.ntaps, t.rows, t.nrows, t.ow, t.sw, mat, ld);
}

/** Channels [ch0, ch0 + chans) of nimg NCHW images → mat[o·nimg·hw + i·hw + t]. */
export function wasmPlanesToMatrix(nchw: number, mat: number, nimg: number, cout: number, ch0: number, chans: number, hw: number): void {
  ex().planes(nchw, mat, nimg, cout, ch0, chans, hw, 0, 1);
}

/**
 * The reverse, plus bias[ch0 + o] on every pixel when `bias` (a byte address) is not 0, then
 * `x > 0 ? x : 0` when `relu`.
 */
export function wasmMatrixToPlanes(mat: number, nchw: number, nimg: number, cout: number, ch0: number, chans: number, hw: number, bias: number,
  relu = false): void {
  ex().planes(nchw, mat, nimg, cout, ch0, chans, hw, bias, relu ? 2 : 0);
}
