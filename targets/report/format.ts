/** Numbers as reports show them: text, HTML and the browser playground share these (no node: import here). */

export function fmtN(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1e12) return (n / 1e12).toPrecision(4) + 'T';
  if (abs >= 1e9) return (n / 1e9).toPrecision(4) + 'G';
  if (abs >= 1e6) return (n / 1e6).toPrecision(4) + 'M';
  if (abs >= 1e4) return (n / 1e3).toPrecision(4) + 'k';
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

export function fmtS(s: number): string {
  if (s >= 1) return `${s.toPrecision(4)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(4)} ms`;
  if (s >= 1e-6) return `${(s * 1e6).toPrecision(4)} µs`;
  return `${(s * 1e9).toPrecision(4)} ns`;
}

/** Parameter bytes, exactly below 10 kB and in kB / MB (10³, 10⁶) above. */
export function fmtBytes(b: number | undefined): string {
  if (b === undefined) return '—';
  if (b < 1e4) return `${b} B`;
  return b < 1e7 ? `${+(b / 1e3).toPrecision(4)} kB` : `${+(b / 1e6).toPrecision(4)} MB`;
}

export const pct = (f: number | undefined) => (f === undefined ? '—' : `${(f * 100).toFixed(1)}%`);
