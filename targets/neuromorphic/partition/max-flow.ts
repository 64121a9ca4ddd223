/**
 * Maximum flow by Dinic's algorithm (BFS levels, blocking flow by DFS with per-node edge
 * pointers) on a network built edge by edge, and the two extreme minimum cuts it leaves: the
 * nodes the source still reaches in the residual network, and the complement of those that
 * still reach the sink. Flow refinement picks whichever of the two balances its parts better.
 */

export class FlowNetwork {
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly to: Int32Array;
  private readonly cap: Float64Array;
  private m = 0;

  /** Room for `maxEdges` edges (each stored with its residual twin). */
  constructor(
    readonly n: number,
    maxEdges: number,
  ) {
    this.head = new Int32Array(n).fill(-1);
    this.next = new Int32Array(2 * maxEdges);
    this.to = new Int32Array(2 * maxEdges);
    this.cap = new Float64Array(2 * maxEdges);
  }

  /** Adds u → v with capacity c (and its residual twin v → u with 0); edge ids pair as 2i, 2i + 1. */
  addEdge(u: number, v: number, c: number): void {
    for (const [a, b, w] of [[u, v, c], [v, u, 0]] as const) {
      this.to[this.m] = b;
      this.cap[this.m] = w;
      this.next[this.m] = this.head[a]!;
      this.head[a] = this.m++;
    }
  }

  /** Pushes the maximum flow from s to t; returns its value (Infinity when an uncuttable path joins them). */
  maxFlow(s: number, t: number): number {
    const { n, head, next, to, cap } = this;
    const level = new Int32Array(n);
    const it = new Int32Array(n);
    let total = 0;
    const bfs = (): boolean => {
      this.distances(s, true, level);
      return level[t]! >= 0;
    };
    // Iterative DFS: the corridors of large parts give paths longer than the JS stack allows.
    const stack = new Int32Array(n);
    const via = new Int32Array(n);
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
      it.set(head);
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
    const { head, next, to, cap } = this;
    const queue = new Int32Array(this.n);
    dist.fill(-1);
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
    const dist = new Int32Array(this.n);
    this.distances(nearSource ? s : t, nearSource, dist);
    const side = new Uint8Array(this.n);
    for (let i = 0; i < this.n; i++) side[i] = (dist[i]! >= 0) === nearSource ? 1 : 0;
    return side;
  }
}
