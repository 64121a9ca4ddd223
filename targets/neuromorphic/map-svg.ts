/**
 * `kiln partition --svg`: a picture of a neuromorphic mapping. Chips at their mesh positions, tiles
 * and cores inside them, used cores coloured by layer with their use of every limit in a tooltip,
 * inter-chip traffic as arrows, a legend and a caption of totals. Self-contained SVG 1.1 (generic
 * font, no scripts, styles or external references) and byte-for-byte deterministic, so it can be
 * diffed and checked in.
 */
import type { Mapping } from './mapping.ts';
import { drawChipsView } from './map-svg/chips-view.ts';
import { drawCoresView } from './map-svg/cores-view.ts';
import { captionLines, drawLegend } from './map-svg/legend.ts';
import { drawLinks } from './map-svg/links.ts';
import { GREY } from './map-svg/palette.ts';
import { summarize } from './map-svg/summary.ts';
import { defaultTitle } from './map-svg/tooltips.ts';
import { attrs, esc, num } from './map-svg/xml.ts';

export interface MappingSvgOptions {
  /** Heading of the picture; defaults to "<network or source> on <target>". */
  title?: string;
  /**
   * 'cores' draws every core, 'chips' one square per chip; 'auto' (the default) draws cores while
   * the mesh has at most DETAILED_CORE_LIMIT core slots.
   */
  view?: 'auto' | 'cores' | 'chips';
}

/**
 * Past this many core slots the per-core view stops being readable and its tooltips push the file
 * towards several megabytes; 64 Loihi chips (8,192 cores) is the largest board drawn core by core.
 */
export const DETAILED_CORE_LIMIT = 8192;

const MARGIN = 16;
const LEGEND_GAP = 28;

export function renderMappingSvg(mapping: Mapping, opts: MappingSvgOptions = {}): string {
  const s = summarize(mapping);
  const slots = s.cols * s.rows * s.tileCols * s.tileRows * s.coresPerTile;
  const detailed = opts.view === 'cores' || (opts.view !== 'chips' && slots <= DETAILED_CORE_LIMIT);
  const view = detailed ? drawCoresView(mapping, s) : drawChipsView(s);
  const links = drawLinks(mapping.chip_links, view);

  const title = opts.title ?? defaultTitle(mapping);
  const caption = captionLines(s, view, links, mapping.chip_links.length);
  const boardTop = MARGIN + 30 + caption.length * 16;
  const legendX = MARGIN + view.width + LEGEND_GAP;
  const legend = drawLegend(s, view, links, legendX, boardTop);
  const width = Math.ceil(legendX + legend.width + MARGIN);
  const height = Math.ceil(boardTop + Math.max(view.height, legend.height) + MARGIN);

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n');
  out.push(`<svg${attrs({ xmlns: 'http://www.w3.org/2000/svg', version: '1.1', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'sans-serif', fill: GREY.text })}>\n`);
  out.push(`<title>${esc(title)}</title>\n<desc>${esc(caption.join('\n'))}</desc>\n`);
  out.push(`<defs>${links.defs}</defs>\n`);
  out.push(`<rect${attrs({ width, height, fill: '#ffffff' })}/>\n`);
  out.push(`<text${attrs({ class: 'title', x: MARGIN, y: MARGIN + 14, 'font-size': 16, 'font-weight': 'bold' })}>${esc(title)}</text>\n`);
  caption.forEach((line, i) => {
    out.push(`<text${attrs({ class: i === 0 ? 'caption' : 'note', x: MARGIN, y: MARGIN + 36 + i * 16, 'font-size': 12, fill: i === 0 ? GREY.text : GREY.subtle })}>${esc(line)}</text>\n`);
  });
  out.push(`<g${attrs({ class: `board ${view.kind}`, transform: `translate(${num(MARGIN)},${num(boardTop)})` })}>\n`);
  out.push(`<g class="chips">${view.body}</g>\n<g class="links">${links.body}</g>\n</g>\n`);
  out.push(legend.body, '\n</svg>\n');
  return out.join('');
}
