/**
 * Maximum flow by Dinic's algorithm (BFS levels, blocking flow by DFS with per-node edge
 * pointers) on a network built edge by edge, and the two extreme minimum cuts it leaves: the
 * nodes the source still reaches in the residual network, and the complement of those that
 * still reach the sink. Flow refinement picks whichever of the two balances its parts better.
 */

export class FlowNetwork {
  // Flat arrays kept across reset(): flow refinement builds one network per pair of parts, and
  // allocating them (and the scratch below) per network, edge and BFS phase cost more than the
  // flows on small corridors.
  private head = new Int32Array(0);
  private next = new Int32Array(0);
  private to = new Int32Array(0);
  private cap = new Float64Array(0);
  private level = new Int32Array(0);
  private it = new Int32Array(0);
  private stack = new Int32Array(0);
  private via = new Int32Array(0);
  private queue = new Int32Array(0);
  private m = 0;
  n = 0;

  /** Room for `maxEdges` edges (each stored with its residual twin). */
  constructor(n = 0, maxEdges = 0) {
    this.reset(n, maxEdges);
  }

  /** Empties the network for `n` nodes and up to `maxEdges` edges, growing the arrays if needed. */
  reset(n: number, maxEdges: number): this {
    if (this.head.length < n) {
      const size = Math.max(n, 2 * this.head.length);
      this.head = new Int32Array(size);
      this.level = new Int32Array(size);
      this.it = new Int32Array(size);
      this.stack = new Int32Array(size);
      this.via = new Int32Array(size);
      this.queue = new Int32Array(size);
    }
    if (this.to.length < 2 * maxEdges) {
      const size = Math.max(2 * maxEdges, 2 * this.to.length);
      this.next = new Int32Array(size);
      this.to = new Int32Array(size);
      this.cap = new Float64Array(size);
    }
    this.head.fill(-1, 0, n);
    this.n = n;
    this.m = 0;
    return this;
  }

  /** Adds u → v with capacity c (and its residual twin v → u with 0); edge ids pair as 2i, 2i + 1. */
  addEdge(u: number, v: number, c: number): void {
    const { head, next, to, cap } = this;
    let m = this.m;
    to[m] = v;
    cap[m] = c;
    next[m] = head[u]!;
    head[u] = m++;
    to[m] = u;
    cap[m] = 0;
    next[m] = head[v]!;
    head[v] = m++;
    this.m = m;
  }

  /** Pushes the maximum flow from s to t; returns its value (Infinity when an uncuttable path joins them). */
  maxFlow(s: number, t: number): number {
    const { n, head, next, to, cap, level, it, stack, via } = this;
    let total = 0;
    const bfs = (): boolean => {
      this.distances(s, true, level);
      return level[t]! >= 0;
    };
    // Iterative DFS: the corridors of large parts give paths longer than the JS stack allows.
    const blocking = (): number => {
      let pushed = 0;
      for (;;) {
        let depth = 0;
        stack[0] = s;
        while (depth >= 0) {
          const u = stack[depth]!;
          if (u === t) break;
          let e = it[u]!;
          while (e >= 0 && !(cap[e]! > 0 && level[to[e]!] === level[u]! + 1)) e = next[e]!;
          it[u] = e;
          if (e < 0) {
            level[u] = -1;
            depth--;
            if (depth >= 0) it[stack[depth]!] = next[it[stack[depth]!]!]!;
            continue;
          }
          via[depth] = e;
          stack[++depth] = to[e]!;
        }
        if (depth < 0) return pushed;
        let f = Infinity;
        for (let i = 0; i < depth; i++) f = Math.min(f, cap[via[i]!]!);
        if (f === Infinity) return Infinity;
        for (let i = 0; i < depth; i++) {
          cap[via[i]!]! -= f;
          cap[via[i]! ^ 1]! += f;
        }
        pushed += f;
      }
    };
    while (bfs()) {
      it.set(head.subarray(0, n));
      const f = blocking();
      if (f === Infinity) return Infinity;
      total += f;
    }
    return total;
  }

  /**
   * Residual BFS distances from `from` (−1: not reached) into `dist`: along edges with room when
   * `forward`, otherwise against them (the nodes that reach `from`).
   */
  private distances(from: number, forward: boolean, dist: Int32Array): void {
    const { head, next, to, cap, queue } = this;
    dist.fill(-1, 0, this.n);
    dist[from] = 0;
    let qh = 0;
    let qt = 0;
    queue[qt++] = from;
    while (qh < qt) {
      const u = queue[qh++]!;
      for (let e = head[u]!; e >= 0; e = next[e]!) {
        // Towards `from`, v reaches u when the residual v → u (the twin of e) has room.
        const v = to[e]!;
        if ((forward ? cap[e]! : cap[e ^ 1]!) > 0 && dist[v]! < 0) {
          dist[v] = dist[u]! + 1;
          queue[qt++] = v;
        }
      }
    }
  }

  /** After maxFlow: 1 for the nodes on the source's side of the cut; `nearSource` picks the smallest such side, otherwise the largest. */
  sourceSide(s: number, t: number, nearSource: boolean): Uint8Array {
    const dist = this.level;
    this.distances(nearSource ? s : t, nearSource, dist);
    const side = new Uint8Array(this.n);
    for (let i = 0; i < this.n; i++) side[i] = (dist[i]! >= 0) === nearSource ? 1 : 0;
    return side;
  }
}
