/** The detailed board: every chip with its tile mesh, every core slot a small square, used cores coloured by layer. */
import type { CoreMapping, Mapping } from '../mapping.ts';
import { type BoardView, type Box, rectPath } from './geometry.ts';
import { GREY } from './palette.ts';
import type { ChipInfo, Summary } from './summary.ts';
import { chipTooltip, coreTooltip, overLimits } from './tooltips.ts';
import { attrs, esc, num } from './xml.ts';

interface Geom {
  core: number;
  gap: number;
  cCols: number;
  tileW: number;
  tileH: number;
  tileGap: number;
  chipW: number;
  chipH: number;
  width: number;
  height: number;
}

const CHIP_PAD = 4;
const HEADER = 14;
/** Room between chips for link arrows. */
const CHIP_GAP = 30;
/** The board is sized to fit this on a screen, down to the smallest readable core. */
const FIT = 1800;
const CORE_SIZES = [16, 14, 12, 10, 8, 7, 6, 5, 4];

function geometry(s: Summary, core: number): Geom {
  const gap = core >= 8 ? 2 : 1;
  const cCols = Math.ceil(Math.sqrt(s.coresPerTile));
  const cRows = Math.ceil(s.coresPerTile / cCols);
  const tileW = cCols * core + (cCols + 1) * gap;
  const tileH = cRows * core + (cRows + 1) * gap;
  const tileGap = core >= 8 ? 3 : 2;
  const chipW = s.tileCols * tileW + (s.tileCols - 1) * tileGap + 2 * CHIP_PAD;
  const chipH = HEADER + s.tileRows * tileH + (s.tileRows - 1) * tileGap + CHIP_PAD;
  const width = s.cols * chipW + (s.cols - 1) * CHIP_GAP;
  const height = s.rows * chipH + (s.rows - 1) * CHIP_GAP;
  return { core, gap, cCols, tileW, tileH, tileGap, chipW, chipH, width, height };
}

/** Largest core square for which the board still fits; the smallest one otherwise (SVG scales). */
function chooseGeometry(s: Summary): Geom {
  for (const size of CORE_SIZES) {
    const g = geometry(s, size);
    if (g.width <= FIT && g.height <= FIT) return g;
  }
  return geometry(s, CORE_SIZES[CORE_SIZES.length - 1]!);
}

export function drawCoresView(mapping: Mapping, s: Summary): BoardView {
  const g = chooseGeometry(s);
  const chipBox = (chip: number): Box | undefined => {
    const info = s.chips[chip];
    return info && { x: info.x * (g.chipW + CHIP_GAP), y: info.y * (g.chipH + CHIP_GAP), w: g.chipW, h: g.chipH };
  };
  const ids = new Set<string>();
  const body = s.chips.map((chip) => drawChip(mapping, s, g, chip, chipBox(chip.chip)!, ids)).join('');
  return { kind: 'cores', width: g.width, height: g.height, body, chipBox, linkWidth: { min: 1, max: Math.min(10, CHIP_GAP / 3) } };
}

function drawChip(mapping: Mapping, s: Summary, g: Geom, chip: ChipInfo, box: Box, ids: Set<string>): string {
  const used = chip.cores.length > 0;
  const tileBox = (t: number): Box => ({
    x: box.x + CHIP_PAD + (t % s.tileCols) * (g.tileW + g.tileGap),
    y: box.y + HEADER + Math.floor(t / s.tileCols) * (g.tileH + g.tileGap),
    w: g.tileW,
    h: g.tileH,
  });
  const slotBox = (t: number, k: number): Box => {
    const tb = tileBox(t);
    return { x: tb.x + g.gap + (k % g.cCols) * (g.core + g.gap), y: tb.y + g.gap + Math.floor(k / g.cCols) * (g.core + g.gap), w: g.core, h: g.core };
  };

  let out = `<g${attrs({ id: `chip-${chip.chip}`, class: used ? 'chip used' : 'chip unused' })}>`;
  out += `<rect${attrs({ class: 'chip-frame', x: box.x, y: box.y, width: box.w, height: box.h, rx: 3, fill: used ? GREY.usedChip : GREY.unusedChip, stroke: used ? GREY.usedChipStroke : GREY.unusedChipStroke })}>`;
  out += `<title>${esc(chipTooltip(chip, s))}</title></rect>`;
  out += `<text${attrs({ x: box.x + CHIP_PAD, y: box.y + HEADER - 4, 'font-size': 10, fill: used ? GREY.text : GREY.subtle })}>chip ${chip.chip}</text>`;

  // Tiles and free slots are plain shapes with nothing to say, so each kind is one path per chip:
  // a 128-core chip costs two elements instead of 160.
  const tiles = s.tileCols * s.tileRows;
  let tilePath = '';
  for (let t = 0; t < tiles; t++) tilePath += rectPath(tileBox(t), num);
  out += `<path${attrs({ class: 'tiles', d: tilePath, fill: used ? GREY.tile : GREY.unusedChip, stroke: GREY.tileStroke, 'stroke-width': 0.5 })}/>`;
  const taken = new Set(chip.cores.map((c) => c.tile * s.coresPerTile + c.core));
  let freePath = '';
  for (let t = 0; t < tiles; t++) {
    for (let k = 0; k < s.coresPerTile; k++) if (!taken.has(t * s.coresPerTile + k)) freePath += rectPath(slotBox(t, k), num);
  }
  if (freePath) out += `<path${attrs({ class: 'free-cores', d: freePath, fill: used ? GREY.freeCore : GREY.unusedChip, stroke: GREY.freeCoreStroke, 'stroke-width': 0.5 })}/>`;

  for (const core of chip.cores) out += drawCore(mapping, s, core, slotBox(core.tile, core.core), ids);
  return out + '</g>';
}

/** Addresses become element ids when they are valid, unique XML names; a malformed mapping just loses the id. */
function coreId(core: CoreMapping, ids: Set<string>): string | undefined {
  const id = `core-${core.address}`;
  if (!/^core-[0-9.]+$/.test(id) || ids.has(id)) return undefined;
  ids.add(id);
  return id;
}

function drawCore(mapping: Mapping, s: Summary, core: CoreMapping, b: Box, ids: Set<string>): string {
  const shares = s.shares(core);
  const tip = `<title>${esc(coreTooltip(core, shares, s, mapping.limits))}</title>`;
  const over = overLimits(core.use, mapping.limits).length > 0;
  const edge = over ? { stroke: '#000000', 'stroke-width': 1.2 } : {};
  const id = coreId(core, ids);
  if (shares.length <= 1) {
    const fill = shares[0]?.layer.colour ?? GREY.noLayer;
    return `<rect${attrs({ id, class: 'core', x: b.x, y: b.y, width: b.w, height: b.h, fill, ...edge })}>${tip}</rect>`;
  }
  // Side-by-side stripes, each as wide as its layer's share of the core's neurons.
  const total = shares.reduce((n, sh) => n + sh.neurons, 0);
  let out = `<g${attrs({ id, class: 'core' })}>${tip}`;
  let x = b.x;
  shares.forEach((sh, i) => {
    const w = i === shares.length - 1 ? b.x + b.w - x : b.w * (total > 0 ? sh.neurons / total : 1 / shares.length);
    out += `<rect${attrs({ class: 'stripe', x, y: b.y, width: w, height: b.h, fill: sh.layer.colour })}/>`;
    x += w;
  });
  if (over) out += `<rect${attrs({ x: b.x, y: b.y, width: b.w, height: b.h, fill: 'none', ...edge })}/>`;
  return out + '</g>';
}
