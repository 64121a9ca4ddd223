/**
 * hMETIS hypergraph files (Karypis & Kumar, "hMETIS 1.5.3 manual", §3.1): a header
 * `nhedges nvtxs [fmt]`, one line per hyperedge listing its 1-based pins (preceded by the
 * hyperedge weight when fmt is 1 or 11), then with fmt 10 or 11 one weight line per vertex.
 * Lines starting with `%` are comments.
 */
import type { Hypergraph } from './types.ts';
import { LineScanner, readBytes } from './text-scan.ts';
import { ByteWriter, requireIntegerWeight } from './text-write.ts';

const CODE = 'hmetis-format';

/**
 * The current line's pins read in one pass (`peekInts`), checked and made 0-based: returns where
 * they end in `pins`, or −1, with no vertex marked as seen in this hyperedge, when the line needs
 * the reading token by token, which names the fault (or grows `pins`).
 */
function fastPins(sc: LineScanner, pins: Int32Array, np: number, nv: number, seen: Int32Array, e: number): number {
  const end = sc.peekInts(pins, np);
  if (end <= np) return -1;
  for (let j = np; j < end; j++) {
    const v = pins[j]! - 1;
    if (v < 0 || v >= nv || seen[v] === e) {
      for (let i = np; i < j; i++) seen[pins[i]!] = -1;
      return -1;
    }
    seen[v] = e;
    pins[j] = v;
  }
  sc.skipLine();
  return end;
}

/** Parses hMETIS text (or bytes); `file` names the input in diagnostics. */
export function parseHmetis(input: string | Uint8Array, file = '<hypergraph>'): Hypergraph {
  const sc = LineScanner.fromInput(input, file, CODE);
  if (!sc.nextLine(true)) sc.failAt(1, 1, 'the hypergraph file is empty', 'an hMETIS file starts with a header line `nhedges nvtxs [fmt]`');
  const ne = sc.readInt('the number of hyperedges');
  const nv = sc.readInt('the number of vertices');
  let fmt = 0;
  if (sc.hasToken()) {
    fmt = sc.readInt('fmt');
    if (fmt !== 0 && fmt !== 1 && fmt !== 10 && fmt !== 11) sc.failToken(`unknown fmt ${fmt}`, 'fmt is 1 (hyperedge weights), 10 (vertex weights) or 11 (both)');
  }
  if (sc.hasToken()) {
    sc.readWord();
    sc.failToken('unexpected extra value in the header', 'the header is `nhedges nvtxs [fmt]`');
  }
  const hasEw = fmt === 1 || fmt === 11;
  const hasVw = fmt === 10 || fmt === 11;
  const eptr = new Int32Array(ne + 1);
  const ewgt = hasEw ? new Float64Array(ne) : undefined;
  let pins = new Int32Array(Math.max(16, ne * 4));
  let np = 0;
  const seen = new Int32Array(nv).fill(-1);
  for (let e = 0; e < ne; e++) {
    if (!sc.nextLine(true)) sc.failAt(sc.line, 1, `the header promises ${ne} hyperedges but the file ends after ${e}`, 'add the missing hyperedge lines or fix nhedges in the header');
    if (ewgt) {
      const w = sc.readInt(`the weight of hyperedge ${e + 1}`);
      if (w <= 0) sc.failToken('hyperedge weights must be positive', 'hMETIS requires weights > 0');
      ewgt[e] = w;
    }
    const end = fastPins(sc, pins, np, nv, seen, e);
    if (end >= 0) {
      eptr[e + 1] = np = end;
      continue;
    }
    if (!sc.hasToken()) sc.fail(`hyperedge ${e + 1} has no pins`, 1, 'list at least one vertex per hyperedge', true);
    while (sc.hasToken()) {
      const v = sc.readInt('a pin');
      if (v < 1 || v > nv) sc.failToken(`pin ${v} is outside 1..${nv}`, 'vertex ids in hMETIS files are 1-based');
      if (seen[v - 1] === e) sc.failToken(`vertex ${v} appears twice in hyperedge ${e + 1}`, 'list each pin of a hyperedge once');
      seen[v - 1] = e;
      if (np === pins.length) {
        const grown = new Int32Array(pins.length * 2);
        grown.set(pins);
        pins = grown;
      }
      pins[np++] = v - 1;
    }
    eptr[e + 1] = np;
  }
  let vwgt: Float64Array | undefined;
  if (hasVw) {
    vwgt = new Float64Array(nv);
    for (let v = 0; v < nv; v++) {
      if (!sc.nextLine(true)) sc.failAt(sc.line, 1, `fmt ${fmt} needs ${nv} vertex-weight lines but the file ends after ${v}`, 'add one weight line per vertex after the hyperedges');
      vwgt[v] = sc.readInt(`the weight of vertex ${v + 1}`);
      if (sc.hasToken()) {
        sc.readWord();
        sc.failToken(`more than one weight for vertex ${v + 1}`, 'each vertex-weight line holds one integer');
      }
    }
  }
  sc.expectEnd(hasVw ? 'vertex weights' : `${ne} hyperedges`, 'the header says how many lines follow; fix it or remove the extra lines');
  return { nv, ne, eptr, pins: pins.slice(0, np), ewgt, vwgt };
}

export function readHmetisFile(path: string): Hypergraph {
  return parseHmetis(readBytes(path, CODE), path);
}

function writeHypergraph(w: ByteWriter, h: Hypergraph, comment?: string): void {
  const { nv, ne, eptr, pins, ewgt, vwgt } = h;
  if (comment) for (const line of comment.split('\n')) w.text(`% ${line}\n`);
  const fmt = (ewgt ? 1 : 0) + (vwgt ? 10 : 0);
  w.int(ne).space().int(nv);
  if (fmt) w.space().int(fmt);
  w.newline();
  for (let e = 0; e < ne; e++) {
    if (ewgt) {
      requireIntegerWeight(ewgt[e]!, 'the weight of hyperedge', e, false);
      w.int(ewgt[e]!).space();
    }
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
      if (i > eptr[e]!) w.space();
      w.int(pins[i]! + 1);
    }
    w.newline();
  }
  if (vwgt) {
    for (let v = 0; v < nv; v++) {
      requireIntegerWeight(vwgt[v]!, 'the weight of vertex', v, true);
      w.int(vwgt[v]!).newline();
    }
  }
}

/** hMETIS text of a hypergraph; fmt follows which weight arrays are present. */
export function formatHmetis(h: Hypergraph, comment?: string): string {
  const w = ByteWriter.toMemory();
  writeHypergraph(w, h, comment);
  return w.finish();
}

export function writeHmetisFile(path: string, h: Hypergraph, comment?: string): void {
  const w = ByteWriter.toFile(path);
  try {
    writeHypergraph(w, h, comment);
  } finally {
    w.finish();
  }
}
