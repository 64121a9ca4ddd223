/**
 * conv2d forward and backward on the WebAssembly path, the same products as conv2d.ts and
 * conv2d-backward.ts (one GEMM per group over a chunk of images) with every operand in the
 * kernels' memory: a chunk of images is padded in once, the columns are gathered, multiplied and
 * put back into NCHW order (with the bias) by conv-gather.wat, and only the chunk's input and
 * output cross between JavaScript and WebAssembly, each as one copy of contiguous images.
 */
import type { Tensor } from '../tensor.ts';
import { type ConvGeometry, imagesPerChunk } from './conv-common.ts';
import { cropImages, padImages, pixelOffsets, tapOffsets } from './conv-gather.ts';
import { sgemm } from './gemm.ts';
import { dxTilesFit, dxTilesScratch, wasmDxTiles } from './wasm/conv-dx.ts';
import { type GatherTables, wasmGatherPanels, wasmMatrixToPlanes, wasmPlanesToMatrix, wasmScatterAdd } from './wasm/conv-gather.ts';
import { wasmGemmPackedBAt } from './wasm/gemm-f32.ts';
import { copyIn, f32At, i32At, scratchAlloc, withScratch } from './wasm/instance.ts';

interface Layout {
  hp: number; wp: number;
  /** Floats of one padded image. */
  image: number;
  chunk: number;
  /** Per group: the tap table, and the pixel-row table shared by all (filled for a chunk of images). */
  tables: GatherTables[];
  rows: number;
}

/** Scratch tables for `g` and the images per chunk; call inside a scratch mark. */
function layout(g: ConvGeometry): Layout {
  // Per output pixel: the columns, the product or dy's group matrix, the output or dy chunk, and
  // (about) the padded input and input gradient.
  const chunk = imagesPerChunk(g, g.kdim + g.coutG + g.cout + 2 * g.cin + 1);
  const hp = g.h + g.pt + g.pb, wp = g.w + g.pl + g.pr;
  const rows = scratchAlloc(4 * chunk * g.oh);
  const tables = Array.from({ length: g.groups }, (_, gi) => {
    const t = tapOffsets(g, { data: new Float32Array(0), hp, wp }, gi * g.cinG);
    const taps = scratchAlloc(4 * t.length);
    i32At(taps, t.length).set(t);
    return { taps, ntaps: t.length, rows, nrows: 0, ow: g.ow, sw: g.sw };
  });
  return { hp, wp, image: g.cin * hp * wp, chunk, tables, rows };
}

/** Pixel rows of `count` images padded side by side from the buffer's start. */
function fillRows(g: ConvGeometry, l: Layout, count: number): void {
  const r = i32At(l.rows, count * g.oh);
  for (let b = 0, q = 0; b < count; b++) for (let y = 0; y < g.oh; y++) r[q++] = b * l.image + y * g.sh * l.wp;
  for (const t of l.tables) t.nrows = count * g.oh;
}

/** Pixel tables by geometry and image count: training asks for the same few every minibatch. */
const pixelTables = new Map<string, Int32Array>();

/** The pixel offset of every output column of `count` images padded side by side, at `at`. */
function fillPixels(g: ConvGeometry, l: Layout, count: number, at: number): void {
  const key = `${count} ${l.image} ${l.wp} ${g.oh} ${g.ow} ${g.sh} ${g.sw}`;
  let t = pixelTables.get(key);
  if (!t) {
    if (pixelTables.size >= 32) pixelTables.clear();
    t = pixelOffsets(g, { data: new Float32Array(0), hp: l.hp, wp: l.wp }, 0, count);
    pixelTables.set(key, t);
  }
  i32At(at, t.length).set(t);
}

/** Images [n0, n0 + count) of x, padded, into zeroed scratch at `at`. */
function stageInput(g: ConvGeometry, l: Layout, x: Float32Array, n0: number, count: number, at: number): void {
  const out = f32At(at, count * l.image);
  if (l.image === g.cin * g.h * g.w) out.set(x.subarray(n0 * l.image, (n0 + count) * l.image));
  else { out.fill(0); padImages(g, x, n0, count, out); }
}

/** C[m×n at c] = Aᵀ·B (A stored k×m, B k×n with row stride ldb), all at byte addresses in the kernels' memory. */
function gemmAt(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number): void {
  sgemm({ m, n, k, a: f32At(a, m * k), lda, transA: true, b: f32At(b, (k - 1) * ldb + n), ldb, c: f32At(c, m * n) });
}

/**
 * Floats of packed panels or columns a product takes at a time, so that the gather's or GEMM's
 * output is still in L2 when the next step reads it (a 256 KiB share of a 512 KiB L2).
 */
const CACHE_FLOATS = 1 << 16;
/** The GEMM's k block (gemm-f32.wat's KC). */
const KC = 256;

/** Columns (a multiple of 8) of a k-step-deep panel set that fit CACHE_FLOATS. */
const panelColumns = (k: number): number => Math.max(8, Math.floor(CACHE_FLOATS / k / 8) * 8);

/**
 * The order in which conv-dx.wat takes a group's taps: kernel column by column, so that the four
 * taps of a tile lie a padded row apart in the image rather than a pixel apart, and a tile's four
 * adds into it mostly do not overlap (a load that partly overlaps the store just before it waits
 * for it). Where kh is not a multiple of 4 (3×3, 5×5) some groups of four cross into the next
 * kernel column, whose taps are only a dilation apart: those stores overlap and cost a stall,
 * never a wrong sum (each add reads what the previous one stored).
 */
function dxTapOrder(g: ConvGeometry): Int32Array {
  const order = new Int32Array(g.kdim);
  let i = 0;
  for (let c = 0; c < g.cinG; c++) for (let kj = 0; kj < g.kw; kj++) for (let ki = 0; ki < g.kh; ki++) order[i++] = (c * g.kh + ki) * g.kw + kj;
  return order;
}

/** How gemm-f32.wat splits k: into equal blocks of at most KC. */
function kBlock(k: number): number {
  const blocks = Math.ceil(k / KC);
  return Math.ceil(k / blocks);
}

export function conv2dForwardWasm(g: ConvGeometry, x: Tensor, w: Tensor, bias: Tensor | undefined, y: Tensor, relu = false): void {
  const { n, cout, coutG, kdim, groups, oh, ow } = g;
  const hw = oh * ow;
  withScratch(() => {
    const l = layout(g), chunk = l.chunk;
    const wAt = copyIn(w.data), bAt = bias ? copyIn(bias.data) : 0;
    const xAt = scratchAlloc(4 * chunk * l.image), yAt = scratchAlloc(4 * chunk * cout * hw);
    const pix = scratchAlloc(4 * hw * chunk), prod = scratchAlloc(4 * coutG * hw * chunk);
    const span = Math.min(Math.ceil(hw * chunk / 8) * 8, panelColumns(kdim));
    const panels = scratchAlloc(4 * kdim * span);
    for (let n0 = 0; n0 < n; n0 += chunk) {
      const nc = Math.min(chunk, n - n0), ld = nc * hw;
      stageInput(g, l, x.data, n0, nc, xAt);
      fillPixels(g, l, nc, pix);
      for (let gi = 0; gi < groups; gi++) {
        const t = l.tables[gi]!;
        for (let j0 = 0; j0 < ld; j0 += span) {
          const cnt = Math.min(span, ld - j0);
          wasmGatherPanels(xAt, t.taps, t.ntaps, pix + 4 * j0, cnt, panels);
          wasmGemmPackedBAt(coutG, cnt, kdim, wAt + 4 * gi * coutG * kdim, kdim, panels, prod + 4 * j0, ld, true);
        }
        wasmMatrixToPlanes(prod, yAt, nc, cout, gi * coutG, coutG, hw, bAt, relu);
      }
      y.data.set(f32At(yAt, nc * cout * hw), n0 * cout * hw);
    }
  });
}

/**
 * dW (accumulated into dw) and dx (written) on the WebAssembly path; conv2d-backward.ts has the
 * formulas. With `db` (zeroed) and dW wanted, the bias gradient comes out of dW's GEMM as one
 * more column of B, all ones, when dW's column count leaves room for it in the last 8-column
 * panel (kdim not a multiple of 8); returns whether it did.
 */
export function conv2dBackwardWasm(g: ConvGeometry, x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | undefined, dw: Tensor | undefined,
  db?: Tensor): boolean {
  const { n, cout, coutG, kdim, groups, oh, ow } = g;
  const hw = oh * ow;
  const withBias = dw !== undefined && db !== undefined && kdim % 8 !== 0;
  const dwCols = withBias ? kdim + 1 : kdim;
  withScratch(() => {
    const l = layout(g), chunk = l.chunk;
    const wAt = dx ? copyIn(w.data) : 0;
    const xAt = dw ? scratchAlloc(4 * chunk * l.image) : 0, dxAt = dx ? scratchAlloc(4 * chunk * l.image) : 0;
    const dyAt = scratchAlloc(4 * chunk * cout * hw), dyg = scratchAlloc(4 * coutG * hw * chunk);
    // Output rows of whole 8-pixel panels: dx's product goes straight into the image.
    const fused = dx !== undefined && dxTilesFit(g.ow, g.sw);
    const dxImages = Math.max(1, Math.min(chunk, Math.floor(CACHE_FLOATS / (kdim * hw))));
    const cols = dx ? scratchAlloc(fused ? dxTilesScratch(coutG, kdim) : 4 * kdim * hw * dxImages) : 0;
    let dxTaps = 0, dxCols = 0;
    if (fused) {
      const order = dxTapOrder(g);
      dxCols = scratchAlloc(4 * kdim);
      i32At(dxCols, kdim).set(order);
      dxTaps = scratchAlloc(4 * kdim * groups);
      const all = i32At(dxTaps, kdim * groups);
      for (let gi = 0; gi < groups; gi++) {
        const taps = i32At(l.tables[gi]!.taps, kdim);
        for (let q = 0; q < kdim; q++) all[gi * kdim + q] = taps[order[q]!]!;
      }
    }
    // dW's B in packed panels (columns = taps, k steps = pixels) and its product, summed over the
    // chunks in the kernels' memory and copied out once.
    const pix = dw ? scratchAlloc(4 * hw * chunk) : 0;
    const panels = dw ? scratchAlloc(4 * Math.ceil(dwCols / 8) * 8 * Math.min(hw * chunk, KC)) : 0;
    const dwAt = dw ? scratchAlloc(4 * groups * coutG * dwCols) : 0;
    for (let n0 = 0; n0 < n; n0 += chunk) {
      const nc = Math.min(chunk, n - n0), ld = nc * hw;
      f32At(dyAt, nc * cout * hw).set(dy.data.subarray(n0 * cout * hw, (n0 + nc) * cout * hw));
      if (dw) { stageInput(g, l, x.data, n0, nc, xAt); fillPixels(g, l, nc, pix); }
      if (dx) { f32At(dxAt, nc * l.image).fill(0); fillRows(g, l, nc); }
      for (let gi = 0; gi < groups; gi++) {
        const wOff = gi * coutG * kdim, t = l.tables[gi]!;
        wasmPlanesToMatrix(dyAt, dyg, nc, cout, gi * coutG, coutG, hw);
        if (dw) {
          // One GEMM k block at a time, split where the GEMM would split it (so the sums are the
          // same), with its panels still in cache from the gather.
          const kb = kBlock(ld);
          for (let p0 = 0; p0 < ld; p0 += kb) {
            const cnt = Math.min(kb, ld - p0);
            wasmGatherPanels(xAt, pix + 4 * p0, cnt, t.taps, t.ntaps, panels, withBias);
            wasmGemmPackedBAt(coutG, dwCols, cnt, dyg + 4 * p0, ld, panels, dwAt + 4 * gi * coutG * dwCols, dwCols, n0 === 0 && p0 === 0);
          }
        }
        if (dx && fused) wasmDxTiles(dxAt, { ...t, taps: dxTaps + 4 * gi * kdim }, dxCols, dyg, ld, coutG, wAt + 4 * wOff, cols);
        else if (dx) {
          // A few images' columns at a time, scattered while they are still in cache.
          for (let b0 = 0; b0 < nc; b0 += dxImages) {
            const cnt = Math.min(dxImages, nc - b0) * hw;
            gemmAt(kdim, cnt, coutG, wAt + 4 * wOff, kdim, dyg + 4 * b0 * hw, ld, cols);
            wasmScatterAdd(dxAt, { ...t, rows: t.rows + 4 * b0 * g.oh, nrows: cnt / g.ow }, cols, cnt);
          }
        }
      }
      if (dx) {
        const padded = f32At(dxAt, nc * l.image);
        if (l.image === g.cin * g.h * g.w) dx.data.set(padded, n0 * l.image);
        else cropImages(g, padded, n0, nc, dx.data);
      }
    }
    if (dw) {
      const sums = f32At(dwAt, groups * coutG * dwCols);
      for (let r = 0; r < groups * coutG; r++) {
        for (let q = 0; q < kdim; q++) dw.data[r * kdim + q]! += sums[r * dwCols + q]!;
        if (withBias) db!.data[r] = sums[r * dwCols + kdim]!;
      }
    }
  });
  return withBias;
}
