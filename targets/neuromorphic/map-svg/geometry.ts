/** Shapes shared by the two board views and the link layer. */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A drawn board: its SVG (in its own coordinates, origin top-left), size, and where each chip sits. */
export interface BoardView {
  kind: 'cores' | 'chips';
  width: number;
  height: number;
  body: string;
  chipBox: (chip: number) => Box | undefined;
  /** Stroke widths for the lightest and heaviest link: what fits between chips in this view. */
  linkWidth: { min: number; max: number };
}

export const centre = (b: Box) => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });

/** An axis-aligned rectangle as a path fragment, for folding many plain shapes into one element. */
export const rectPath = (b: Box, f: (n: number) => string) => `M${f(b.x)} ${f(b.y)}h${f(b.w)}v${f(b.h)}h${f(-b.w)}z`;

/**
 * Where the ray from p (inside box) towards q leaves the box, as a fraction of p→q (may exceed 1
 * when q is inside too). Lets a link start and end at chip borders instead of burying its arrow
 * under the cores at a chip's centre.
 */
export function exitFraction(b: Box, p: { x: number; y: number }, q: { x: number; y: number }): number {
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  let t = Infinity;
  if (dx > 0) t = Math.min(t, (b.x + b.w - p.x) / dx);
  if (dx < 0) t = Math.min(t, (b.x - p.x) / dx);
  if (dy > 0) t = Math.min(t, (b.y + b.h - p.y) / dy);
  if (dy < 0) t = Math.min(t, (b.y - p.y) / dy);
  return Number.isFinite(t) ? Math.max(0, t) : 0;
}
