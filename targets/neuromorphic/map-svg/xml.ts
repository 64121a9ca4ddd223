/** Text and number formatting for the mapping SVG: everything that reaches the document goes through here. */

/**
 * Characters XML 1.0 forbids outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF): layer names
 * come from user files, and one such character would make the whole picture unparseable.
 */
const ILLEGAL_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape for both text content and attribute values, so callers need not know which they produce. */
export function esc(text: string): string {
  return text.replace(ILLEGAL_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate: two decimals at most, and never "-0" or "NaN", so output is byte-stable. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return '0';
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Build ` a="v" b="w"` from an object, skipping undefined values; values are escaped. */
export function attrs(a: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : esc(v)}"`;
  }
  return out;
}

/** A count for people: integers with thousands separators (by hand, so the locale cannot change the bytes). */
export function count(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const abs = Math.abs(n);
  const fixed = Number.isInteger(abs) ? String(abs) : abs.toFixed(abs < 10 ? 2 : 1);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (frac === undefined ? '' : '.' + frac);
}

/** A use against a limit, e.g. "768/1,024 (75%)"; a zero or missing limit cannot be a percentage. */
export function usePct(use: number, limit: number): string {
  if (!(limit > 0)) return `${count(use)}/${count(limit)} (no limit)`;
  const p = (use / limit) * 100;
  const shown = p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1);
  return `${count(use)}/${count(limit)} (${shown}%)`;
}

/** Shorten a label for display; the full text still goes in a tooltip. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}
