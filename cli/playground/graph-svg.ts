/**
 * The network as a picture: one box per IR node (name, op, output type), an arrow per input,
 * laid out top to bottom by dagre (layered layout, few crossings) and drawn as SVG text, so the
 * same function serves the browser and a test in Node.
 */
import { Graph, layout, type Edge, type EdgeLabel, type GraphLabel, type NodeLabel, type Point } from '@dagrejs/dagre';
import { formatType } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { esc, num } from '../../targets/neuromorphic/map-svg/xml.ts';

const CHAR_W = 7;
const LINE_H = 16;
const PAD = 8;

/** An SVG of `m`'s dataflow graph; each box carries data-node="ID" for readers and tests. */
export function graphSvg(m: Module): string {
  const g = new Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 28, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const lines = new Map<string, [string, string]>();
  for (const n of Object.values(m.nodes)) {
    const l: [string, string] = [n.id, n.type ? `${n.op} ${formatType(n.type)}` : n.op];
    lines.set(n.id, l);
    g.setNode(n.id, { width: Math.max(...l.map((s) => s.length)) * CHAR_W + 2 * PAD, height: 2 * LINE_H + PAD });
  }
  for (const n of Object.values(m.nodes)) for (const i of n.inputs) if (lines.has(i)) g.setEdge(i, n.id);
  layout(g);
  const { width = 0, height = 0 } = g.graph();
  const edges = g.edges().map((e: Edge) => {
    const pts = g.edge(e).points ?? [];
    return `<polyline points="${pts.map((p: Point) => `${num(p.x)},${num(p.y)}`).join(' ')}" fill="none" stroke="#888" marker-end="url(#kiln-arrow)"/>`;
  });
  const boxes = [...lines].map(([id, [name, what]]) => {
    const { x = 0, y = 0, width: w, height: h } = g.node(id);
    const left = x - w / 2, top = y - h / 2;
    return `<g data-node="${esc(id)}"><rect x="${num(left)}" y="${num(top)}" width="${num(w)}" height="${num(h)}" rx="4" fill="${m.inputs.includes(id) ? '#e8f0fe' : m.outputs.includes(id) ? '#e6f4ea' : '#fff'}" stroke="#666"/>` +
      `<text x="${num(left + PAD)}" y="${num(top + LINE_H)}" font-weight="bold">${esc(name)}</text><text x="${num(left + PAD)}" y="${num(top + 2 * LINE_H)}" fill="#555">${esc(what)}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="kiln-graph" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="monospace" font-size="12">
<defs><marker id="kiln-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>
${edges.join('\n')}
${boxes.join('\n')}
</svg>`;
}
