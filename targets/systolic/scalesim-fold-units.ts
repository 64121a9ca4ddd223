/**
 * The cells a fold of a conv ifmap reads, as SCALE-Sim's demand matrices order them
 * (compute/systolic_compute_{os,ws,is}.py): a fold is served line by line (one line per cycle)
 * and, within a line, column by column. In every dataflow a fold is a run of consecutive output
 * pixels ("units"), each sweeping the fold's filter taps on consecutive lines from line start(u),
 * which never decreases with u.
 */

export interface FoldUnits {
  /** Units are output pixels m0 .. m0 + units - 1. */
  units: number;
  m0: number;
  /** Taps swept by each unit: kLo .. kLo + sweep - 1, in reverse order when `reversed`. */
  sweep: number;
  kLo: number;
  reversed: boolean;
  /** start(u) = startBase + startSlope * u. */
  startBase: number;
  startSlope: 0 | 1;
  /** Within a line, is the column the unit index (OS, IS) or the sweep index (WS)? */
  colIsUnit: boolean;
}

/** OS: the fold's R output pixels; pixel u reads tap j on line u + j. */
export function osFold(m0: number, rowsUsed: number, K: number): FoldUnits {
  return { units: rowsUsed, m0, sweep: K, kLo: 0, reversed: false, startBase: 0, startSlope: 1, colIsUnit: true };
}

/** WS: all M output pixels; pixel u reads the fold's tap k0 + j on line R + u + j. */
export function wsFold(arrayRows: number, M: number, k0: number, rowsUsed: number): FoldUnits {
  return { units: M, m0: 0, sweep: rowsUsed, kLo: k0, reversed: false, startBase: arrayRows, startSlope: 1, colIsUnit: false };
}

/** IS: the fold's output pixels all read on lines R - Ru .. R - 1; line R - 1 - i reads tap k0 + i. */
export function isFold(arrayRows: number, m0: number, colsUsed: number, k0: number, rowsUsed: number): FoldUnits {
  return {
    units: colsUsed,
    m0,
    sweep: rowsUsed,
    kLo: k0,
    reversed: true,
    startBase: arrayRows - rowsUsed,
    startSlope: 0,
    colIsUnit: true,
  };
}

/** Units committed together in one attempt, so a rollback can stop at a unit boundary. */
export class Segments {
  u0 = new Int32Array(64);
  u1 = new Int32Array(64);
  mark = new Float64Array(64);
  cum = new Float64Array(64);
  length = 0;
  push(u0: number, u1: number, mark: number, cum: number): void {
    if (this.length === this.u0.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.u0 = grow(this.u0);
      this.u1 = grow(this.u1);
      this.mark = grow(this.mark);
      this.cum = grow(this.cum);
    }
    const i = this.length++;
    this.u0[i] = u0;
    this.u1[i] = u1;
    this.mark[i] = mark;
    this.cum[i] = cum;
  }
}
