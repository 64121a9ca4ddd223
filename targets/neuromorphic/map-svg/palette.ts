/** Layer colours and the fixed greys of the mapping SVG. */

/**
 * d3's category10 without its grey (grey means "unused" here), then the light half of category20:
 * well tested for telling categories apart, and in layer order so a network's first layers always
 * look the same from one mapping to the next.
 */
const BASE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5',
];

export const GREY = {
  /** Chip with no core in use. */
  unusedChip: '#e6e6e6',
  unusedChipStroke: '#c4c4c4',
  usedChip: '#ffffff',
  usedChipStroke: '#4d4d4d',
  tile: '#f2f2f2',
  tileStroke: '#cfcfcf',
  /** Core slot nobody was mapped to. */
  freeCore: '#ffffff',
  freeCoreStroke: '#c8c8c8',
  /** A used core whose ranges name no layer (a malformed mapping, drawn rather than dropped). */
  noLayer: '#7f7f7f',
  link: '#26324a',
  text: '#222222',
  subtle: '#666666',
} as const;

/** Colour of the i-th layer: the fixed palette first, then golden-angle hues so any count stays distinct-ish. */
export function layerColour(i: number): string {
  const fixed = BASE[i];
  if (fixed !== undefined) return fixed;
  const k = i - BASE.length;
  const hue = (k * 137.508) % 360;
  const sat = k % 2 === 0 ? 0.62 : 0.48;
  const light = k % 3 === 0 ? 0.45 : k % 3 === 1 ? 0.6 : 0.72;
  return hslHex(hue, sat, light);
}

function hslHex(h: number, s: number, l: number): string {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = h / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  const hex = (v: number) => Math.round((v + m) * 255).toString(16).padStart(2, '0');
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}
