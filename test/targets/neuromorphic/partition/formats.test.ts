import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { formatHmetis, parseHmetis, readHmetisFile, writeHmetisFile } from '../../../../targets/neuromorphic/partition/hmetis-format.ts';
import { findAsymmetry, formatMetisGraph, parseMetisGraph, readMetisGraphFile, writeMetisGraphFile } from '../../../../targets/neuromorphic/partition/metis-format.ts';
import type { Graph, Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fx = (name: string) => path.join(fixtures, name);

/** Catches the KilnError a parse throws and returns its first diagnostic. */
function diag(f: () => unknown) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    return (e as KilnError).diagnostics[0]!;
  }
  throw new Error('expected a KilnError');
}

const arr = (a: ArrayLike<number> | undefined) => (a ? Array.from(a) : undefined);
function graphData(g: Graph) {
  return { nv: g.nv, ncon: g.ncon, xadj: arr(g.xadj), adjncy: arr(g.adjncy), adjwgt: arr(g.adjwgt), vwgt: arr(g.vwgt), vsize: arr(g.vsize) };
}
function hgData(h: Hypergraph) {
  return { nv: h.nv, ne: h.ne, eptr: arr(h.eptr), pins: arr(h.pins), ewgt: arr(h.ewgt), vwgt: arr(h.vwgt) };
}

/** Random symmetric graphs with every combination of weight arrays. */
const arbGraph = fc
  .record({
    n: fc.integer({ min: 1, max: 12 }),
    edges: fc.array(fc.tuple(fc.nat(11), fc.nat(11), fc.integer({ min: 1, max: 50 })), { maxLength: 30 }),
    vw: fc.boolean(),
    ew: fc.boolean(),
    vs: fc.boolean(),
    ncon: fc.integer({ min: 1, max: 3 }),
    seed: fc.nat(1000),
  })
  .map(({ n, edges, vw, ew, vs, ncon, seed }) => {
    const adj: [number, number][][] = Array.from({ length: n }, () => []);
    const seen = new Set<string>();
    for (const [a0, b0, w] of edges) {
      const a = a0 % n;
      const b = b0 % n;
      if (a === b || seen.has(`${Math.min(a, b)},${Math.max(a, b)}`)) continue;
      seen.add(`${Math.min(a, b)},${Math.max(a, b)}`);
      adj[a]!.push([b, w]);
      adj[b]!.push([a, w]);
    }
    const xadj = new Int32Array(n + 1);
    adj.forEach((l, v) => (xadj[v + 1] = xadj[v]! + l.length));
    const flat = adj.flat();
    const g: Graph = {
      nv: n,
      xadj,
      adjncy: Int32Array.from(flat.map((x) => x[0])),
      adjwgt: ew ? Float64Array.from(flat.map((x) => x[1])) : undefined,
      ncon: vw ? ncon : 1,
      vwgt: vw ? Float64Array.from({ length: n * ncon }, (_, i) => (i * 7 + seed) % 9) : undefined,
      vsize: vs ? Float64Array.from({ length: n }, (_, i) => (i + seed) % 5) : undefined,
    };
    return g;
  });

const arbHypergraph = fc
  .record({
    nv: fc.integer({ min: 1, max: 15 }),
    nets: fc.array(fc.uniqueArray(fc.nat(14), { minLength: 1, maxLength: 6 }), { maxLength: 12 }),
    ew: fc.boolean(),
    vw: fc.boolean(),
  })
  .map(({ nv, nets, ew, vw }) => {
    const clean = nets.map((p) => [...new Set(p.map((x) => x % nv))]);
    const eptr = new Int32Array(clean.length + 1);
    clean.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
    const h: Hypergraph = {
      nv,
      ne: clean.length,
      eptr,
      pins: Int32Array.from(clean.flat()),
      ewgt: ew ? Float64Array.from(clean, (_, e) => 1 + ((e * 5) % 11)) : undefined,
      vwgt: vw ? Float64Array.from({ length: nv }, (_, v) => (v * 3) % 7) : undefined,
    };
    return h;
  });

describe('METIS graph format', () => {
  it('round-trips random graphs with every fmt flag combination (write → read → equal)', () => {
    fc.assert(
      fc.property(arbGraph, (g) => {
        const text = formatMetisGraph(g, 'round trip');
        expect(graphData(parseMetisGraph(text))).toEqual(graphData(g));
      }),
      { numRuns: 200 },
    );
  });

  it('writes the fmt digits gpmetis expects', () => {
    const base = { nv: 2, xadj: Int32Array.of(0, 1, 2), adjncy: Int32Array.of(1, 0), ncon: 1 };
    const header = (g: Graph) => formatMetisGraph(g).split('\n')[0];
    expect(header(base)).toBe('2 1');
    expect(header({ ...base, adjwgt: Float64Array.of(3, 3) })).toBe('2 1 1');
    expect(header({ ...base, vwgt: Float64Array.of(1, 2) })).toBe('2 1 10');
    expect(header({ ...base, vwgt: Float64Array.of(1, 2), adjwgt: Float64Array.of(3, 3) })).toBe('2 1 11');
    expect(header({ ...base, vsize: Float64Array.of(1, 2) })).toBe('2 1 100');
    expect(header({ ...base, ncon: 2, vwgt: Float64Array.of(1, 2, 3, 4) })).toBe('2 1 10 2');
  });

  it('reads the METIS manual example with edge weights', () => {
    const g = readMetisGraphFile(fx('manual-weighted.graph'));
    expect(g.nv).toBe(7);
    expect(g.adjncy.length).toBe(22);
    expect(Array.from(g.adjncy.subarray(g.xadj[3]!, g.xadj[4]!))).toEqual([1, 2, 5, 6]);
    expect(Array.from(g.adjwgt!.subarray(g.xadj[3]!, g.xadj[4]!))).toEqual([1, 2, 2, 5]);
    expect(g.vwgt).toBeUndefined();
  });

  it('reads fmt 111 with ncon = 2 and comment lines between vertices', () => {
    const g = readMetisGraphFile(fx('multi-constraint.graph'));
    expect(g.ncon).toBe(2);
    expect(Array.from(g.vsize!)).toEqual([1, 2, 4, 1]);
    expect(Array.from(g.vwgt!)).toEqual([3, 1, 1, 0, 2, 2, 5, 5]);
    expect(Array.from(g.adjncy.subarray(g.xadj[2]!, g.xadj[3]!))).toEqual([0, 1, 3]);
  });

  it('reads fmt 10 with an isolated vertex', () => {
    const g = readMetisGraphFile(fx('isolated.graph'));
    expect(Array.from(g.xadj)).toEqual([0, 1, 2, 2, 2]);
    expect(Array.from(g.vwgt!)).toEqual([2, 3, 7, 1]);
  });

  it('streams large graphs to a file and back', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-fmt-'));
    try {
      const n = 20000;
      const xadj = new Int32Array(n + 1);
      const adj: number[] = [];
      const w: number[] = [];
      for (let v = 0; v < n; v++) {
        if (v > 0) adj.push(v - 1), w.push(1 + ((v - 1) % 1000));
        if (v < n - 1) adj.push(v + 1), w.push(1 + (v % 1000));
        xadj[v + 1] = adj.length;
      }
      const g: Graph = { nv: n, xadj, adjncy: Int32Array.from(adj), adjwgt: Float64Array.from(w), ncon: 1 };
      const f = path.join(dir, 'path.graph');
      writeMetisGraphFile(f, g);
      expect(graphData(readMetisGraphFile(f))).toEqual(graphData(g));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads any blanks between neighbours, and names a bad one after good ones where it stands', () => {
    // Tabs, CR line ends, leading zeros, an isolated vertex (a blank line) and a comment line.
    const g = parseMetisGraph('3 1\r\n\t02 \r\n% c\n01\r\n\r\n');
    expect(Array.from(g.xadj)).toEqual([0, 1, 2, 2]);
    expect(Array.from(g.adjncy)).toEqual([1, 0]);
    // Ten digits go to the token reader, which reads them.
    expect(Array.from(parseMetisGraph('2 1\n0000000002\n1\n').adjncy)).toEqual([1, 0]);
    let d = diag(() => parseMetisGraph('3 2\n2 3 1\n1\n1\n', 'self.graph'));
    expect(d.message).toMatch(/vertex 1 lists itself/);
    expect(d.pos).toMatchObject({ line: 2, col: 5 });
    d = diag(() => parseMetisGraph('3 2\n2 3\n1 7\n1\n', 'out.graph'));
    expect(d.message).toMatch(/neighbour 7 is outside 1\.\.3/);
    expect(d.pos).toMatchObject({ line: 3, col: 3 });
    d = diag(() => parseMetisGraph('2 1\n2 2\n1\n', 'many.graph'));
    expect(d.message).toMatch(/more adjacency entries than the 1 edges of the header allow/);
    expect(d.pos).toMatchObject({ line: 3, col: 1 });
  });

  it('reports errors at file:line:col with a hint', () => {
    let d = diag(() => parseMetisGraph('3 2\n2\n1 3\n2 9\n', 'bad.graph'));
    expect(d.pos).toMatchObject({ file: 'bad.graph', line: 4, col: 3 });
    expect(d.message).toMatch(/neighbour 9 is outside 1\.\.3/);
    expect(d.hint).toMatch(/1-based/);

    d = diag(() => parseMetisGraph('% c\n3 3\n2\n1 3\n2\n', 'count.graph'));
    expect(d.pos).toMatchObject({ line: 2, col: 1 });
    expect(d.message).toMatch(/declares 3 edges but the adjacency lists hold 4 entries/);

    d = diag(() => parseMetisGraph('2 1 1\n2 5\n1 4\n', 'asym.graph'));
    expect(d.message).toMatch(/edge 1–2 does not appear with the same weight/);

    d = diag(() => parseMetisGraph('2 1 12\n2\n1\n', 'fmt.graph'));
    expect(d.pos).toMatchObject({ line: 1, col: 5, length: 2 });
    expect(d.message).toMatch(/unknown fmt `12`/);

    d = diag(() => parseMetisGraph('2 1 1\n2\n1 3\n', 'w.graph'));
    expect(d.message).toMatch(/expected the weight of edge 1–2/);
    expect(d.pos).toMatchObject({ line: 2 });

    d = diag(() => parseMetisGraph('3 1\n2\n1\n', 'short.graph'));
    expect(d.message).toMatch(/promises 3 vertices but the file ends after 2/);

    d = diag(() => parseMetisGraph('2 1\n2\n1\n1\n', 'long.graph'));
    expect(d.message).toMatch(/unexpected data after the 2 vertex lines/);
    expect(d.pos).toMatchObject({ line: 4, col: 1 });

    d = diag(() => parseMetisGraph('2 1\n1\n1\n', 'self.graph'));
    expect(d.message).toMatch(/lists itself/);

    d = diag(() => parseMetisGraph('2 x\n', 'word.graph'));
    expect(d.message).toMatch(/expected the number of edges \(an integer\), found `x`/);
  });

  it('refuses to write fractional weights', () => {
    const g: Graph = { nv: 2, xadj: Int32Array.of(0, 1, 2), adjncy: Int32Array.of(1, 0), adjwgt: Float64Array.of(0.5, 0.5), ncon: 1 };
    expect(() => formatMetisGraph(g)).toThrow(/positive integer/);
  });
});

describe('hMETIS hypergraph format', () => {
  it('round-trips random hypergraphs with fmt 0, 1, 10 and 11', () => {
    fc.assert(
      fc.property(arbHypergraph, (h) => {
        expect(hgData(parseHmetis(formatHmetis(h, 'x')))).toEqual(hgData(h));
      }),
      { numRuns: 200 },
    );
  });

  it('reads the hMETIS manual example (fmt 11)', () => {
    const h = readHmetisFile(fx('manual.hgr'));
    expect(h.ne).toBe(4);
    expect(h.nv).toBe(7);
    expect(Array.from(h.ewgt!)).toEqual([2, 3, 8, 7]);
    expect(Array.from(h.pins.subarray(h.eptr[1]!, h.eptr[2]!))).toEqual([0, 6, 4, 5]);
    expect(Array.from(h.vwgt!)).toEqual([5, 1, 8, 7, 3, 9, 3]);
  });

  it('reads fmt 0, 1 and 10 fixtures', () => {
    const plain = readHmetisFile(fx('plain.hgr'));
    expect(plain.ewgt).toBeUndefined();
    expect(Array.from(plain.eptr)).toEqual([0, 2, 5, 7]);
    const ew = readHmetisFile(fx('edge-weights.hgr'));
    expect(Array.from(ew.ewgt!)).toEqual([4, 1]);
    expect(ew.vwgt).toBeUndefined();
    const vw = readHmetisFile(fx('vertex-weights.hgr'));
    expect(vw.ewgt).toBeUndefined();
    expect(Array.from(vw.vwgt!)).toEqual([4, 0, 6]);
  });

  it('round-trips through files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-hgr-'));
    try {
      const h = readHmetisFile(fx('manual.hgr'));
      writeHmetisFile(path.join(dir, 'm.hgr'), h);
      expect(hgData(readHmetisFile(path.join(dir, 'm.hgr')))).toEqual(hgData(h));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads any blanks between pins, and long lines, as the token reader does', () => {
    // Tabs, CR line ends, leading zeros and runs of blanks; a 40-pin net outgrows the first pin buffer.
    const many = Array.from({ length: 40 }, (_, i) => String(i + 1)).join('\t');
    const h = parseHmetis(`% c\r\n2 40 1\r\n3\t007  2 \t1\r\n\r\n% between\n5 ${many}\r\n`);
    expect(Array.from(h.eptr)).toEqual([0, 3, 43]);
    expect(Array.from(h.pins.subarray(0, 3))).toEqual([6, 1, 0]);
    expect(Array.from(h.pins.subarray(3))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(Array.from(h.ewgt!)).toEqual([3, 5]);
  });

  it('reads a pin line that fills the pin buffer exactly, and one past it', () => {
    // The buffer starts at 16 pins for up to 4 hyperedges.
    for (const n of [16, 17]) {
      const pins = Array.from({ length: n }, (_, i) => i + 1);
      const h = parseHmetis(`1 ${n}\n${pins.join(' ')} \n`);
      expect(Array.from(h.pins)).toEqual(pins.map((p) => p - 1));
    }
  });

  it('names a bad pin where it stands, after good pins on its line', () => {
    // The one-pass reader has marked 1 and 2 as seen when it meets the second 2; the token
    // reader, reading the line again, must not see them twice.
    let d = diag(() => parseHmetis('1 3\n1 2 2\n', 'dup2.hgr'));
    expect(d.message).toMatch(/vertex 2 appears twice in hyperedge 1/);
    expect(d.pos).toMatchObject({ line: 2, col: 5 });
    d = diag(() => parseHmetis('1 3\n1 2 9\n', 'out.hgr'));
    expect(d.message).toMatch(/pin 9 is outside 1\.\.3/);
    expect(d.pos).toMatchObject({ line: 2, col: 5 });
    d = diag(() => parseHmetis('1 3\n1 2x 3\n', 'tok.hgr'));
    expect(d.message).toMatch(/expected a pin \(an integer\), found `2x`/);
    expect(d.pos).toMatchObject({ line: 2, col: 3 });
    // Ten digits exceed the one-pass reader's bound; the token reader reads and refuses them.
    d = diag(() => parseHmetis('1 3\n1 2147483648\n', 'big.hgr'));
    expect(d.message).toMatch(/pin 2147483648 is outside 1\.\.3/);
  });

  it('reports errors at file:line:col with a hint', () => {
    let d = diag(() => parseHmetis('2 3\n1 2\n1 1\n', 'dup.hgr'));
    expect(d.pos).toMatchObject({ file: 'dup.hgr', line: 3, col: 3 });
    expect(d.message).toMatch(/vertex 1 appears twice in hyperedge 2/);
    d = diag(() => parseHmetis('2 3 7\n', 'fmt.hgr'));
    expect(d.message).toMatch(/unknown fmt 7/);
    expect(d.hint).toMatch(/1 \(hyperedge weights\)/);
    d = diag(() => parseHmetis('2 3\n1 2\n', 'short.hgr'));
    expect(d.message).toMatch(/promises 2 hyperedges but the file ends after 1/);
    d = diag(() => parseHmetis('1 3 10\n1 2\n1\n2\n', 'vw.hgr'));
    expect(d.message).toMatch(/needs 3 vertex-weight lines/);
    d = diag(() => parseHmetis('1 3 1\n0 1 2\n', 'w.hgr'));
    expect(d.message).toMatch(/hyperedge weights must be positive/);
    expect(d.pos).toMatchObject({ line: 2, col: 1 });
    d = diag(() => parseHmetis('1 3\n1 4\n', 'pin.hgr'));
    expect(d.message).toMatch(/pin 4 is outside 1\.\.3/);
  });
});

describe('findAsymmetry on generated graphs', () => {
  it('is undefined for every symmetric graph', () => {
    fc.assert(
      fc.property(arbGraph, (g) => {
        expect(findAsymmetry(g)).toBeUndefined();
      }),
    );
  });
});
