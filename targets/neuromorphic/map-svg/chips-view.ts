/**
 * The compact board for meshes too large to draw core by core: one square per chip, coloured by the
 * layer with most neurons on it. Per-core detail stays in the mapping file; the tooltips keep the
 * per-chip story (cores used, neurons per layer, traffic).
 */
import type { BoardView, Box } from './geometry.ts';
import { GREY } from './palette.ts';
import type { ChipInfo, Summary } from './summary.ts';
import { chipTooltip } from './tooltips.ts';
import { attrs, esc } from './xml.ts';

const FIT = 1400;
const MAX_SIDE = 48;
const MIN_SIDE = 4;

export function drawChipsView(s: Summary): BoardView {
  const across = Math.max(s.cols, s.rows);
  // Square side plus a gap of a quarter side, fitted to the screen; past that the SVG just scales.
  const side = Math.max(MIN_SIDE, Math.min(MAX_SIDE, Math.floor(FIT / (across * 1.25))));
  const gap = Math.max(2, Math.round(side / 4));
  const chipBox = (chip: number): Box | undefined => {
    const info = s.chips[chip];
    return info && { x: info.x * (side + gap), y: info.y * (side + gap), w: side, h: side };
  };
  const body = s.chips.map((chip) => drawChip(s, chip, chipBox(chip.chip)!, side)).join('');
  return {
    kind: 'chips',
    width: s.cols * side + (s.cols - 1) * gap,
    height: s.rows * side + (s.rows - 1) * gap,
    body,
    chipBox,
    linkWidth: { min: 0.5, max: Math.max(1, side / 10) },
  };
}

function drawChip(s: Summary, chip: ChipInfo, b: Box, side: number): string {
  const used = chip.cores.length > 0;
  const fill = used ? (chip.dominant?.colour ?? GREY.noLayer) : GREY.unusedChip;
  let out = `<rect${attrs({ id: `chip-${chip.chip}`, class: used ? 'chip used' : 'chip unused', x: b.x, y: b.y, width: b.w, height: b.h, fill, stroke: used ? GREY.usedChipStroke : GREY.unusedChipStroke, 'stroke-width': used ? 0.8 : 0.5 })}>`;
  out += `<title>${esc(chipTooltip(chip, s))}</title></rect>`;
  if (used && side >= 28) {
    const fontSize = Math.min(12, Math.floor(side / 3));
    out += `<text${attrs({ x: b.x + b.w / 2, y: b.y + b.h / 2 + fontSize / 3, 'font-size': fontSize, 'text-anchor': 'middle', fill: inkOn(fill), 'pointer-events': 'none' })}>${chip.chip}</text>`;
  }
  return out;
}

/** Black or white text, whichever reads better on the fill (WCAG relative luminance). */
function inkOn(hex: string): string {
  const ch = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = ch.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const lum = 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
  return lum > 0.179 ? '#000000' : '#ffffff';
}
