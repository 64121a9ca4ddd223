/**
 * The ifmap address of each cell (m, k) of SCALE-Sim's ifmap operand matrix
 * (compute/operand_matrix.calc_ifmap_elem_addr), without building the matrix: m is an ofmap
 * pixel in raster order, k = (fy, fx, ch) a tap of its window, and the address is the ifmap
 * pixel (y, x, ch) in HWC order. Taps that fall outside the ifmap (only possible because of the
 * ceil output size) have address -1: they cost cycles and SRAM reads but never reach DRAM.
 *
 * The configured IfmapOffset is left out: it shifts every address by the same amount, so it
 * cannot change which accesses hit or miss.
 */

import { convOutputDims, type ConvShape } from './gemm-model.ts';
import type { EpochBitset } from './scalesim-bitset.ts';

export class ConvIfmap {
  static rowBlocks = true;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly fh: number;
  readonly fw: number;
  readonly sh: number;
  readonly sw: number;
  readonly eh: number;
  readonly ew: number;
  /** Taps in one window row (fx, ch): they are contiguous in the ifmap. */
  readonly rowTaps: number;
  readonly K: number;
  readonly M: number;
  /** Number of distinct addresses that can occur (the ifmap size in words). */
  readonly addressSpace: number;
  /** Address step between neighbouring output pixels of a row, and between output rows. */
  private readonly pixelStride: number;
  private readonly rowStride: number;
  /** Output columns whose whole window row lies inside the ifmap (0 .. fullCols - 1). */
  private readonly fullCols: number;

  constructor(c: ConvShape) {
    this.H = c.ifmapH;
    this.W = c.ifmapW;
    this.C = c.channels;
    this.fh = c.filterH;
    this.fw = c.filterW;
    this.sh = c.strideH;
    this.sw = c.strideW;
    const { eh, ew } = convOutputDims(c);
    this.eh = eh;
    this.ew = ew;
    this.rowTaps = this.fw * this.C;
    this.K = this.fh * this.rowTaps;
    this.M = eh * ew;
    this.addressSpace = this.H * this.W * this.C;
    this.pixelStride = this.sw * this.C;
    this.rowStride = this.sh * this.W * this.C;
    this.fullCols = Math.min(ew, Math.floor((this.W - this.fw) / this.sw) + 1);
  }

  /**
   * True when no two cells share an address, i.e. windows of different output pixels never
   * overlap. Then every fold reads distinct addresses and the cheap block model applies.
   */
  isInjective(): boolean {
    return (this.fh <= this.sh || this.eh === 1) && (this.fw <= this.sw || this.ew === 1);
  }

  /** True when no tap of any window falls outside the ifmap. */
  allValid(): boolean {
    return (this.eh - 1) * this.sh + this.fh <= this.H && (this.ew - 1) * this.sw + this.fw <= this.W;
  }

  private tapOffset?: Int32Array;
  private tapRow?: Int32Array;
  private tapCol?: Int32Array;

  /** Per tap: offset from the window's top-left address, filter row and filter column. */
  private buildTapTables(): void {
    const off = new Int32Array(this.K);
    const row = new Int32Array(this.K);
    const col = new Int32Array(this.K);
    for (let k = 0; k < this.K; k++) {
      const fy = Math.floor(k / this.rowTaps);
      const u = k - fy * this.rowTaps;
      off[k] = fy * this.W * this.C + u;
      row[k] = fy;
      col[k] = Math.floor(u / this.C);
    }
    this.tapOffset = off;
    this.tapRow = row;
    this.tapCol = col;
  }

  addr(m: number, k: number): number {
    if (!this.tapOffset) this.buildTapTables();
    const oy = Math.floor(m / this.ew);
    const ox = m - oy * this.ew;
    const y0 = oy * this.sh;
    const x0 = ox * this.sw;
    if (y0 + this.tapRow![k]! >= this.H || x0 + this.tapCol![k]! >= this.W) return -1;
    return (y0 * this.W + x0) * this.C + this.tapOffset![k]!;
  }

  /**
   * Adds (or probes, see EpochBitset) the addresses of cells m in [mA, mB), k in [kA, kB) and
   * returns how many were new. Each window row is contiguous in the ifmap, so a rectangle of
   * cells is a few runs per (filter row, output row): one merged run when neighbouring windows
   * overlap, else one run per pixel, `stride` words apart.
   */
  emitRect(mA: number, mB: number, kA: number, kB: number, bits: EpochBitset, probe: boolean): number {
    if (mA >= mB || kA >= kB) return 0;
    if (mB - mA === 1) return this.emitPixel(mA, kA, kB, bits, probe);
    const rowTaps = this.rowTaps;
    const fyA = Math.floor(kA / rowTaps);
    const fyB = Math.floor((kB - 1) / rowTaps);
    let total = 0;
    for (let fy = fyA; fy <= fyB; fy++) {
      const ua = fy === fyA ? kA - fy * rowTaps : 0;
      const ub = fy === fyB ? kB - fy * rowTaps : rowTaps;
      // Output rows with y = oy * sh + fy inside the ifmap.
      const oyEnd = Math.ceil((this.H - fy) / this.sh);
      let m = mA;
      while (m < mB) {
        const oy = Math.floor(m / this.ew);
        const ox = m - oy * this.ew;
        const rows = Math.min(Math.floor((mB - m) / this.ew), oyEnd - oy);
        if (ConvIfmap.rowBlocks && ox === 0 && rows >= 2) {
          total += this.emitRows(oy, rows, fy, ua, ub, bits, probe);
          m += rows * this.ew;
          continue;
        }
        const oxEnd = Math.min(this.ew, ox + (mB - m));
        const y = oy * this.sh + fy;
        if (y < this.H) total += this.emitRow(y * this.W * this.C, ox, oxEnd, ua, ub, bits, probe);
        m += oxEnd - ox;
      }
    }
    return total;
  }

  /** emitRect for one pixel: the common case when an epoch boundary is being located. */
  emitPixel(m: number, kA: number, kB: number, bits: EpochBitset, probe: boolean): number {
    if (kA >= kB) return 0;
    const oy = Math.floor(m / this.ew);
    const y0 = oy * this.sh;
    const x0 = (m - oy * this.ew) * this.sw;
    const validTaps = (this.W - x0 < this.fw ? this.W - x0 : this.fw) * this.C;
    const rowTaps = this.rowTaps;
    const rowStep = this.W * this.C;
    let fy = Math.floor(kA / rowTaps);
    let base = fy * rowTaps;
    let rowStart = ((y0 + fy) * this.W + x0) * this.C;
    let total = 0;
    for (; base < kB && y0 + fy < this.H; fy++, base += rowTaps, rowStart += rowStep) {
      const ua = kA > base ? kA - base : 0;
      let ub = kB - base < rowTaps ? kB - base : rowTaps;
      if (ub > validTaps) ub = validTaps;
      if (ua < ub) total += probe ? bits.probeRun(rowStart + ua, ub - ua) : bits.commitRun(rowStart + ua, ub - ua);
    }
    return total;
  }

  /**
   * Pixels mA .. mA + n - 1, pixel mA + i reading taps [kAs[i], kBs[i]): a staircase, as cut out
   * of a fold by a range of lines. Runs of neighbouring pixels in the same filter row are merged
   * where they overlap, so each word is counted once.
   */
  emitStair(mA: number, n: number, kAs: Int32Array, kBs: Int32Array, bits: EpochBitset, probe: boolean): number {
    let kMin = Infinity;
    let kMax = -Infinity;
    for (let i = 0; i < n; i++) {
      if (kAs[i]! >= kBs[i]!) continue;
      if (kAs[i]! < kMin) kMin = kAs[i]!;
      if (kBs[i]! > kMax) kMax = kBs[i]!;
    }
    if (kMin >= kMax) return 0;
    const rowTaps = this.rowTaps;
    const oy0 = Math.floor(mA / this.ew);
    const ox0 = mA - oy0 * this.ew;
    let total = 0;
    for (let fy = Math.floor(kMin / rowTaps), base = fy * rowTaps; base < kMax; fy++, base += rowTaps) {
      let runStart = -1;
      let runEnd = -1;
      let oy = oy0;
      let ox = ox0;
      for (let i = 0; i < n; i++, ox++) {
        if (ox === this.ew) {
          ox = 0;
          oy++;
        }
        const y = oy * this.sh + fy;
        if (y >= this.H) break;
        const ua = kAs[i]! > base ? kAs[i]! - base : 0;
        let ub = kBs[i]! - base < rowTaps ? kBs[i]! - base : rowTaps;
        const x0 = ox * this.sw;
        const valid = (this.W - x0 < this.fw ? this.W - x0 : this.fw) * this.C;
        if (ub > valid) ub = valid;
        if (ua >= ub) continue;
        const start = (y * this.W + x0) * this.C + ua;
        const end = start + ub - ua;
        if (start >= runStart && start <= runEnd) {
          if (end > runEnd) runEnd = end;
          continue;
        }
        if (runStart >= 0) total += bits.run(runStart, runEnd - runStart, probe);
        runStart = start;
        runEnd = end;
      }
      if (runStart >= 0) total += bits.run(runStart, runEnd - runStart, probe);
    }
    return total;
  }

  /** Whole output rows oy .. oy + rows - 1 (all inside the ifmap for filter row fy). */
  private emitRows(oy: number, rows: number, fy: number, ua: number, ub: number, bits: EpochBitset, probe: boolean): number {
    const stride = this.pixelStride;
    const rowStride = this.rowStride;
    const len = ub - ua;
    const start = (oy * this.sh + fy) * this.W * this.C + ua;
    const nFull = this.fullCols;
    let total = 0;
    if (stride <= len) total += bits.strided(start, (nFull - 1) * stride + len, rowStride, rows, probe);
    else for (let r = 0; r < rows; r++) total += bits.strided(start + r * rowStride, len, stride, nFull, probe);
    for (let ox = nFull; ox < this.ew; ox++) {
      const end = Math.min(ub, (this.W - ox * this.sw) * this.C);
      if (end > ua) total += bits.strided(start + ox * stride, end - ua, rowStride, rows, probe);
    }
    return total;
  }

  private emitRow(rowStart: number, oxA: number, oxB: number, ua: number, ub: number, bits: EpochBitset, probe: boolean): number {
    const stride = this.pixelStride;
    const len = ub - ua;
    const fullEnd = oxB < this.fullCols ? oxB : this.fullCols;
    let total = 0;
    if (fullEnd > oxA) {
      const start = rowStart + oxA * stride + ua;
      if (stride <= len) total += bits.run(start, (fullEnd - oxA - 1) * stride + len, probe);
      else total += bits.strided(start, len, stride, fullEnd - oxA, probe);
    }
    for (let ox = fullEnd > oxA ? fullEnd : oxA; ox < oxB; ox++) {
      const end = Math.min(ub, (this.W - ox * this.sw) * this.C);
      if (end > ua) total += bits.run(rowStart + ox * stride + ua, end - ua, probe);
    }
    return total;
  }

  /** Valid taps of output pixel m (its window clipped to the ifmap). */
  validWindow(m: number): number {
    const oy = Math.floor(m / this.ew);
    const ox = m - oy * this.ew;
    const rows = Math.min(this.fh, this.H - oy * this.sh);
    const cols = Math.min(this.fw, this.W - ox * this.sw);
    return rows > 0 && cols > 0 ? rows * cols * this.C : 0;
  }

  /** Output pixels for which tap k is inside the ifmap. */
  validPixels(k: number): number {
    const fy = Math.floor(k / this.rowTaps);
    const fx = Math.floor((k - fy * this.rowTaps) / this.C);
    const rows = Math.min(this.eh, Math.ceil((this.H - fy) / this.sh));
    const cols = Math.min(this.ew, Math.ceil((this.W - fx) / this.sw));
    return Math.max(0, rows) * Math.max(0, cols);
  }
}
