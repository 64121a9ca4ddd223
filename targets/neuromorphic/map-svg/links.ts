/**
 * Inter-chip traffic as arrows between chips. Width grows with the square root of messages per time
 * step, so a link ten times busier reads as about three times thicker rather than swamping the rest.
 */
import type { ChipLink } from '../mapping.ts';
import { type BoardView, centre, exitFraction } from './geometry.ts';
import { GREY } from './palette.ts';
import { attrs, count, esc } from './xml.ts';

export const ARROW_ID = 'kiln-link-arrow';
/** Past this many links the picture is a hairball anyway; the heaviest are the ones worth seeing. */
export const MAX_LINKS = 2000;

export interface LinkLayer {
  defs: string;
  body: string;
  drawn: number;
  /** Links left out: beyond MAX_LINKS, or naming a chip off the mesh, or a chip to itself. */
  omitted: number;
}

export function linkWidth(messages: number, maxMessages: number, w: { min: number; max: number }): number {
  if (!(maxMessages > 0) || !(messages > 0)) return w.min;
  return w.min + (w.max - w.min) * Math.sqrt(Math.min(1, messages / maxMessages));
}

const msgs = (l: ChipLink) => (Number.isFinite(l.messages_per_timestep) ? Math.max(0, l.messages_per_timestep) : 0);

export function drawLinks(links: ChipLink[], view: BoardView): LinkLayer {
  const valid = links.filter((l) => l.from !== l.to && view.chipBox(l.from) && view.chipBox(l.to));
  // Heaviest first to pick which survive the cap, then lightest first to draw, so heavy links sit on top.
  const kept = [...valid].sort((a, b) => msgs(b) - msgs(a) || a.from - b.from || a.to - b.to).slice(0, MAX_LINKS);
  const maxM = kept.length > 0 ? msgs(kept[0]!) : 0;
  const heaviest = kept[0];
  kept.reverse();

  // Many links pile up into one dark mass; fainter strokes keep the chips under them visible.
  const opacity = kept.length <= 100 ? 0.7 : kept.length <= 500 ? 0.5 : 0.35;
  let body = '';
  let label = '';
  for (const link of kept) {
    const from = view.chipBox(link.from)!;
    const to = view.chipBox(link.to)!;
    const w = linkWidth(msgs(link), maxM, view.linkWidth);
    const a = centre(from);
    const b = centre(to);
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const ux = (b.x - a.x) / len;
    const uy = (b.y - a.y) / len;
    // Shift each arrow to its right (y grows downward), so a→b and b→a run side by side.
    const off = view.linkWidth.max / 2 + 1;
    const p = { x: a.x - uy * off, y: a.y + ux * off };
    const q = { x: b.x - uy * off, y: b.y + ux * off };
    let t0 = exitFraction(from, p, q);
    let t1 = 1 - exitFraction(to, q, p);
    if (t1 <= t0) (t0 = 0), (t1 = 1);
    // The marker's middle sits on the line's end, so the arrow tip lands on the border and the
    // butt end of a thick stroke stays hidden under the arrowhead.
    const back = Math.min((t1 - t0) * len * 0.4, arrowLength(w) / 2);
    const x1 = p.x + (q.x - p.x) * t0;
    const y1 = p.y + (q.y - p.y) * t0;
    const x2 = p.x + (q.x - p.x) * t1 - ux * back;
    const y2 = p.y + (q.y - p.y) * t1 - uy * back;
    const tip = `chip ${link.from} → chip ${link.to}: ${count(msgs(link))} messages/time step`;
    body += `<g${attrs({ class: 'link', opacity })}><title>${esc(tip)}</title>`;
    body += `<line${attrs({ x1, y1, x2, y2, stroke: GREY.link, 'stroke-width': w, 'marker-end': `url(#${ARROW_ID})` })}/></g>`;
    if (link === heaviest) label = drawLabel(`${count(msgs(link))} msg/step`, (x1 + x2) / 2 - uy * (w / 2 + 6), (y1 + y2) / 2 + ux * (w / 2 + 6));
  }
  const defs =
    `<marker${attrs({ id: ARROW_ID, viewBox: '0 0 10 10', refX: 5, refY: 5, markerWidth: 2.5, markerHeight: 2.5, markerUnits: 'strokeWidth', orient: 'auto' })}>` +
    `<path d="M0 0L10 5L0 10z"${attrs({ fill: GREY.link })}/></marker>`;
  return { defs, body: body + label, drawn: kept.length, omitted: links.length - kept.length };
}

/** markerWidth 2.5 in strokeWidth units. */
const arrowLength = (w: number) => 2.5 * w;

/** The busiest link's rate, with a white halo so it reads over cores and other links. */
function drawLabel(text: string, x: number, y: number): string {
  const base = { x, y, 'font-size': 11, 'text-anchor': 'middle', 'font-weight': 'bold' };
  return (
    `<g class="link-label" pointer-events="none">` +
    `<text${attrs({ ...base, fill: 'none', stroke: '#ffffff', 'stroke-width': 3, 'stroke-linejoin': 'round' })}>${esc(text)}</text>` +
    `<text${attrs({ ...base, fill: GREY.link })}>${esc(text)}</text></g>`
  );
}
