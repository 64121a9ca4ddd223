/**
 * conv-dx.wat: conv2d's input gradient as tiles of Wᵀ·dY added straight into the padded image,
 * where relaxed SIMD runs and the layer's output rows are whole 8-pixel panels (conv-wasm.ts
 * decides; elsewhere it multiplies into a column matrix and scatters that).
 */
import { type GatherTables } from './conv-gather.ts';
import { relaxedSimdAvailable, wasmExports } from './instance.ts';
import { wasmBase64 } from './conv-dx.wasm.ts';

interface ConvDxExports {
  dx_tiles(img: number, taps: number, ntaps: number, rows: number, nrows: number, ow: number, mat: number, ld: number, k: number,
    w: number, cols: number, wp: number): void;
}

let tilesOff = false;

/**
 * Tests: true sends every layer through the column matrix and scatter, so that path is checked on
 * shapes the tiles would otherwise take; false goes back to tiles wherever they fit.
 */
export function setDxTilesOff(off: boolean): void {
  tilesOff = off;
}

/** Whether wasmDxTiles can take a layer with this output width and column stride. */
export const dxTilesFit = (ow: number, sw: number): boolean => !tilesOff && ow % 8 === 0 && sw === 1 && relaxedSimdAvailable();

/** Bytes of scratch wasmDxTiles needs: the packed weights and one pixel panel. */
export const dxTilesScratch = (k: number, ntaps: number): number => 16 * k * Math.ceil(ntaps / 4) + 32 * k;

/**
 * img[taps[q] + pixel j] += Σ_o w[o·ntaps + cols[q]]·mat[o·ld + j] over the pixel rows of `t`, k =
 * mat's rows (all byte addresses in the kernels' memory; `cols` an i32 table of ntaps weight
 * columns, the order of t's taps); `scratch` holds dxTilesScratch bytes.
 */
export function wasmDxTiles(img: number, t: GatherTables, cols: number, mat: number, ld: number, k: number, w: number, scratch: number): void {
  wasmExports<ConvDxExports>('conv-dx', wasmBase64).dx_tiles(img, t.taps, t.ntaps, t.rows, t.nrows, t.ow, mat, ld, k, w, cols, scratch);
}
