/**
 * METIS graph files (Karypis, "METIS 5.1 manual", §4.1.1): a header `n m [fmt [ncon]]`, then one
 * line per vertex with `[size] [w1 … wncon] v1 [e1] v2 [e2] …`, 1-based neighbours, `%` comments.
 * fmt is three flag digits: vertex sizes, vertex weights, edge weights (so 1, 10, 11, 100, 111 …).
 * As in METIS an empty line is a vertex without neighbours, not a separator.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import type { Graph } from './types.ts';
import { LineScanner, readBytes } from './text-scan.ts';
import { ByteWriter, requireIntegerWeight } from './text-write.ts';

const CODE = 'metis-format';

interface Header {
  n: number;
  m: number;
  hasVsize: boolean;
  hasVwgt: boolean;
  hasEwgt: boolean;
  ncon: number;
  line: number;
}

function readHeader(sc: LineScanner): Header {
  if (!sc.nextLine(true)) sc.failAt(1, 1, 'the graph file is empty', 'a METIS graph starts with a header line `n m [fmt [ncon]]`');
  const line = sc.line;
  const n = sc.readInt('the number of vertices');
  const m = sc.readInt('the number of edges');
  let hasVsize = false;
  let hasVwgt = false;
  let hasEwgt = false;
  let ncon = 1;
  if (sc.hasToken()) {
    const fmt = sc.readWord();
    if (!/^[01]{1,3}$/.test(fmt)) sc.failToken(`unknown fmt \`${fmt}\``, 'fmt is up to three 0/1 digits: vertex sizes, vertex weights, edge weights (e.g. 1, 10, 11, 100)');
    const f = fmt.padStart(3, '0');
    hasVsize = f[0] === '1';
    hasVwgt = f[1] === '1';
    hasEwgt = f[2] === '1';
    if (sc.hasToken()) {
      ncon = sc.readInt('ncon');
      if (!hasVwgt) sc.failToken(`ncon is ${ncon} but fmt \`${fmt}\` declares no vertex weights`, 'set the middle fmt digit (e.g. 10 or 11) or drop ncon');
      if (ncon < 1) sc.failToken('ncon must be at least 1', 'ncon is the number of weights per vertex');
    }
  }
  if (sc.hasToken()) {
    sc.readWord();
    sc.failToken('unexpected extra value in the header', 'the header is `n m [fmt [ncon]]`');
  }
  return { n, m, hasVsize, hasVwgt, hasEwgt, ncon, line };
}

export interface ReadGraphOptions {
  /** Check that every edge appears in both adjacency lists with the same weight (default true). */
  readonly checkSymmetry?: boolean;
}

/**
 * Vertex i's neighbours read in one pass (`peekInts`, as the hMETIS reader's pins), checked and
 * made 0-based: returns where they end in `adjncy`, or −1 when the line needs the reading token by
 * token: a fault, which that reading names (a bad id, a self-loop, more entries than the header
 * allows), or a token `peekInts` leaves to it (ten digits or more). That reading rewrites every
 * entry of the line, so what this one wrote before giving up does not stay.
 */
function fastNeighbours(sc: LineScanner, adjncy: Int32Array, k: number, n: number, i: number): number {
  const end = sc.peekInts(adjncy, k);
  if (end < 0) return -1;
  for (let j = k; j < end; j++) {
    const v = adjncy[j]!;
    if (v < 1 || v > n || v === i + 1) return -1;
    adjncy[j] = v - 1;
  }
  sc.skipLine();
  return end;
}

/** Parses METIS graph text (or bytes); `file` names the input in diagnostics. */
export function parseMetisGraph(input: string | Uint8Array, file = '<graph>', opts: ReadGraphOptions = {}): Graph {
  const sc = LineScanner.fromInput(input, file, CODE);
  const h = readHeader(sc);
  const { n, m, ncon } = h;
  const cap = 2 * m;
  const xadj = new Int32Array(n + 1);
  const adjncy = new Int32Array(cap);
  const adjwgt = h.hasEwgt ? new Float64Array(cap) : undefined;
  const vwgt = h.hasVwgt ? new Float64Array(n * ncon) : undefined;
  const vsize = h.hasVsize ? new Float64Array(n) : undefined;
  const lineOf = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!sc.nextLine(false)) sc.failAt(sc.line, 1, `the header promises ${n} vertices but the file ends after ${i}`, 'add the missing vertex lines (an isolated vertex is an empty line) or fix n in the header');
    lineOf[i] = sc.line;
    if (vsize) vsize[i] = sc.readInt(`the size of vertex ${i + 1}`);
    if (vwgt) for (let c = 0; c < ncon; c++) vwgt[i * ncon + c] = sc.readInt(`weight ${c + 1} of vertex ${i + 1}`);
    // Edge weights sit between the ids, one per neighbour: those lines go token by token.
    const end = adjwgt ? -1 : fastNeighbours(sc, adjncy, k, n, i);
    if (end >= 0) {
      xadj[i + 1] = k = end;
      continue;
    }
    while (sc.hasToken()) {
      const v = sc.readInt('a neighbour id');
      if (v < 1 || v > n) sc.failToken(`neighbour ${v} is outside 1..${n}`, 'vertex ids in METIS files are 1-based');
      if (v === i + 1) sc.failToken(`vertex ${i + 1} lists itself as a neighbour`, 'METIS graphs have no self-loops; remove it');
      if (k >= cap) sc.failToken(`more adjacency entries than the ${m} edges of the header allow`, `each edge is listed twice (once per endpoint), so the header needs m = (adjacency entries)/2`);
      adjncy[k] = v - 1;
      if (adjwgt) {
        const w = sc.readInt(`the weight of edge ${i + 1}–${v}`);
        if (w <= 0) sc.failToken('edge weights must be positive', 'METIS requires edge weights > 0');
        adjwgt[k] = w;
      }
      k++;
    }
    xadj[i + 1] = k;
  }
  sc.expectEnd(`${n} vertex lines`, 'the header says how many vertices follow; fix n or remove the extra lines');
  if (k !== cap) sc.failAt(h.line, 1, `the header declares ${m} edges but the adjacency lists hold ${k} entries (${k / 2} edges)`, 'each edge appears in the lists of both endpoints; set m to half the number of entries');
  const g: Graph = { nv: n, xadj, adjncy, adjwgt, ncon: h.hasVwgt ? ncon : 1, vwgt, vsize };
  if (opts.checkSymmetry ?? true) {
    const bad = findAsymmetry(g);
    if (bad) sc.failAt(lineOf[bad[0]]!, 1, `edge ${bad[0] + 1}–${bad[1] + 1} does not appear with the same weight in the lists of both endpoints (lines ${lineOf[bad[0]]} and ${lineOf[bad[1]]})`, 'METIS graphs are undirected: list every edge under both of its vertices with equal weights');
  }
  return g;
}

export function readMetisGraphFile(path: string, opts?: ReadGraphOptions): Graph {
  return parseMetisGraph(readBytes(path, CODE), path, opts);
}

/**
 * The first pair (u, v) whose weight from u to v differs from v to u, or undefined. Weights are
 * summed per pair so parallel entries are allowed, as METIS allows them.
 */
export function findAsymmetry(g: Graph): [number, number] | undefined {
  const { nv, xadj, adjncy, adjwgt } = g;
  const cnt = new Int32Array(nv + 1);
  for (let j = 0; j < adjncy.length; j++) cnt[adjncy[j]! + 1]!++;
  for (let v = 0; v < nv; v++) cnt[v + 1]! += cnt[v]!;
  const tsrc = new Int32Array(adjncy.length);
  const tw = new Float64Array(adjncy.length);
  const fill = cnt.slice(0, nv);
  for (let u = 0; u < nv; u++) {
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) {
      const p = fill[adjncy[j]!]!++;
      tsrc[p] = u;
      tw[p] = adjwgt ? adjwgt[j]! : 1;
    }
  }
  const acc = new Float64Array(nv);
  for (let u = 0; u < nv; u++) {
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) acc[adjncy[j]!]! += adjwgt ? adjwgt[j]! : 1;
    for (let j = cnt[u]!; j < cnt[u + 1]!; j++) acc[tsrc[j]!]! -= tw[j]!;
    let bad = -1;
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) if (acc[adjncy[j]!] !== 0 && bad < 0) bad = adjncy[j]!;
    for (let j = cnt[u]!; j < cnt[u + 1]!; j++) if (acc[tsrc[j]!] !== 0 && bad < 0) bad = -2 - tsrc[j]!;
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) acc[adjncy[j]!] = 0;
    for (let j = cnt[u]!; j < cnt[u + 1]!; j++) acc[tsrc[j]!] = 0;
    if (bad >= 0) return [u, bad];
    if (bad < -1) return [-2 - bad, u];
  }
  return undefined;
}

function writeGraph(w: ByteWriter, g: Graph, comment?: string): void {
  const { nv, xadj, adjncy, adjwgt, vwgt, vsize, ncon } = g;
  if (adjncy.length % 2 !== 0) throw new KilnError(error(CODE, `the adjacency holds ${adjncy.length} entries, an odd number`, undefined, 'every undirected edge must appear in the lists of both endpoints'));
  if (comment) for (const line of comment.split('\n')) w.text(`% ${line}\n`);
  const fmt = `${vsize ? 1 : 0}${vwgt ? 1 : 0}${adjwgt ? 1 : 0}`.replace(/^0+/, '');
  w.int(nv).space().int(adjncy.length / 2);
  if (fmt !== '') {
    w.text(' ' + fmt);
    if (vwgt && ncon !== 1) w.space().int(ncon);
  }
  w.newline();
  for (let v = 0; v < nv; v++) {
    let first = true;
    const sep = () => (first ? (first = false) : w.space());
    if (vsize) {
      requireIntegerWeight(vsize[v]!, 'the size of vertex', v, true);
      sep();
      w.int(vsize[v]!);
    }
    if (vwgt) {
      for (let c = 0; c < ncon; c++) {
        requireIntegerWeight(vwgt[v * ncon + c]!, 'the weight of vertex', v, true);
        sep();
        w.int(vwgt[v * ncon + c]!);
      }
    }
    for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
      sep();
      w.int(adjncy[j]! + 1);
      if (adjwgt) {
        requireIntegerWeight(adjwgt[j]!, 'the weight of adjacency entry', j, false);
        w.space().int(adjwgt[j]!);
      }
    }
    w.newline();
  }
}

/** METIS text of a graph; fmt and ncon follow which weight arrays are present. */
export function formatMetisGraph(g: Graph, comment?: string): string {
  const w = ByteWriter.toMemory();
  writeGraph(w, g, comment);
  return w.finish();
}

/** Streams a graph to a METIS file without building the text in memory. */
export function writeMetisGraphFile(path: string, g: Graph, comment?: string): void {
  const w = ByteWriter.toFile(path);
  try {
    writeGraph(w, g, comment);
  } finally {
    w.finish();
  }
}
