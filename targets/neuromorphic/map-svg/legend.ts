/** The legend (layer colours and what the other marks mean) and the caption line of totals. */
import type { BoardView } from './geometry.ts';
import type { LinkLayer } from './links.ts';
import { GREY } from './palette.ts';
import type { Summary } from './summary.ts';
import { attrs, clip, count, esc, num } from './xml.ts';

const ROW = 17;
const SWATCH = 12;
const FONT = 11;
/** Rough advance of an 11 px sans-serif character, to size the canvas without measuring text. */
const CHAR_W = 6.3;
const NAME_CHARS = 40;

export interface Legend {
  body: string;
  width: number;
  height: number;
}

export function drawLegend(s: Summary, view: BoardView, links: LinkLayer, x: number, y: number): Legend {
  const rows: { swatch: string; text: string; tip?: string }[] = [];
  const sq = (a: Record<string, string | number>) => `<rect${attrs({ class: 'legend-swatch', width: SWATCH, height: SWATCH, ...a })}/>`;
  for (const l of s.layers) {
    const note = l.declared ? '' : ' (not in the layer list)';
    rows.push({
      swatch: sq({ fill: l.colour }),
      text: `${clip(l.name, NAME_CHARS)}: ${count(l.neurons)} neurons, ${count(l.cores)} core${l.cores === 1 ? '' : 's'}${note}`,
      tip: l.name,
    });
  }
  const keys: { swatch: string; text: string }[] = [];
  if (view.kind === 'cores') {
    keys.push({ swatch: sq({ fill: GREY.freeCore, stroke: GREY.freeCoreStroke }), text: 'free core' });
    keys.push({ swatch: sq({ fill: GREY.freeCore, stroke: '#000000', 'stroke-width': 1.2 }), text: 'core over a limit' });
  } else {
    keys.push({ swatch: '', text: 'chip colour: its layer with most neurons' });
  }
  keys.push({ swatch: sq({ fill: GREY.unusedChip, stroke: GREY.unusedChipStroke }), text: 'unused chip' });
  if (links.drawn > 0) {
    const line = `<line${attrs({ x1: 0, y1: SWATCH / 2, x2: SWATCH, y2: SWATCH / 2, stroke: GREY.link, 'stroke-width': 2 })}/>`;
    keys.push({ swatch: line, text: 'chip-to-chip spikes (width ∝ √messages/time step)' });
  }

  let body = `<g${attrs({ class: 'legend', transform: `translate(${num(x)},${num(y)})`, 'font-size': FONT })}>`;
  body += `<text${attrs({ x: 0, y: 10, 'font-weight': 'bold', 'font-size': 12 })}>Layers</text>`;
  let yy = 18;
  let chars = 10;
  for (const r of rows) {
    body += `<g${attrs({ class: 'legend-layer', transform: `translate(0,${num(yy)})` })}>${r.tip === undefined ? '' : `<title>${esc(r.tip)}</title>`}${r.swatch}`;
    body += `<text${attrs({ x: SWATCH + 6, y: SWATCH - 2 })}>${esc(r.text)}</text></g>`;
    chars = Math.max(chars, Array.from(r.text).length);
    yy += ROW;
  }
  yy += 8;
  for (const k of keys) {
    body += `<g${attrs({ transform: `translate(0,${num(yy)})` })}>${k.swatch}<text${attrs({ x: SWATCH + 6, y: SWATCH - 2, fill: GREY.subtle })}>${esc(k.text)}</text></g>`;
    chars = Math.max(chars, Array.from(k.text).length);
    yy += ROW;
  }
  body += '</g>';
  return { body, width: Math.ceil(SWATCH + 6 + chars * CHAR_W), height: yy };
}

/** One line of totals, plus notes on anything the picture left out. */
export function captionLines(s: Summary, view: BoardView, links: LinkLayer, linkCount: number): string[] {
  const chips = s.cols * s.rows;
  const main = [
    `${count(s.chipsUsed)}/${count(chips)} chips used`,
    `${count(s.coresUsed)}/${count(chips * s.coresPerChip)} cores used`,
    `${count(s.totalMessages)} inter-chip messages/time step on ${count(linkCount)} link${linkCount === 1 ? '' : 's'}`,
  ].join(' · ');
  const notes: string[] = [];
  if (view.kind === 'chips') notes.push(`compact view: ${count(chips)} chips are too many to draw core by core; one square per chip`);
  if (links.omitted > 0) notes.push(`${count(links.drawn)} of ${count(linkCount)} links drawn (heaviest first; self-links and chips off the mesh left out)`);
  if (s.coresOutside > 0) notes.push(`${count(s.coresOutside)} cores lie outside the ${s.cols}×${s.rows} chip mesh or its tiles and are not drawn`);
  return [main, ...notes];
}
