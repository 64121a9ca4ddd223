/**
 * Spiking convolutional networks for partitioning benchmarks: a layer stack (input → 3×3 convs
 * with stride or pooling → dense classifier) unrolled to neurons and synapses, with firing rates
 * that vary by layer and smoothly in space (activity concentrated where the "objects" are, as in
 * event-camera inputs), 0.01–0.3 spikes per step. Emitted both as a METIS graph (vertex weight 1,
 * edge weight = the presynaptic rate × rateScale, rounded) and as an hMETIS hypergraph (one net
 * per presynaptic neuron: itself first, then its targets; weight = the same integer rate).
 * Neuron ids run layer by layer, channel-major (c, y, x) like an NCHW tensor.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { Rng } from './rng.ts';
import type { Graph, Hypergraph } from './types.ts';

export type LayerSpec =
  | { readonly kind: 'input'; readonly channels: number; readonly height: number; readonly width: number }
  | { readonly kind: 'conv'; readonly channels: number; readonly kernel?: number; readonly stride?: number }
  | { readonly kind: 'pool'; readonly size?: number }
  | { readonly kind: 'dense'; readonly units: number };

export interface SnnSpec {
  readonly name: string;
  readonly layers: readonly LayerSpec[];
  readonly seed?: number;
  /** Integer weight = round(rate × rateScale); default 1000 (weights are milli-spikes per step). */
  readonly rateScale?: number;
}

export interface LayerInfo {
  readonly kind: LayerSpec['kind'];
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly offset: number;
  readonly count: number;
  /** Synapses arriving at this layer. */
  readonly synapses: number;
}

export interface SnnNetwork {
  readonly name: string;
  readonly neurons: number;
  readonly synapses: number;
  readonly layers: readonly LayerInfo[];
  /** Spikes per time step of every neuron. */
  readonly rates: Float64Array;
  readonly rateScale: number;
  readonly graph: Graph;
  readonly hypergraph: Hypergraph;
}

interface Shape { kind: LayerSpec['kind']; c: number; h: number; w: number; k: number; s: number; p: number }

function shapes(spec: SnnSpec): Shape[] {
  const out: Shape[] = [];
  const bad = (i: number, why: string): never => {
    throw new KilnError(error('snn-generator', `layer ${i} of ${spec.name}: ${why}`, undefined, 'the stack starts with one input layer and every layer must keep a positive size'));
  };
  spec.layers.forEach((l, i) => {
    const prev = out[i - 1];
    if (l.kind === 'input') {
      if (i !== 0) bad(i, 'an input layer may only come first');
      out.push({ kind: 'input', c: l.channels, h: l.height, w: l.width, k: 0, s: 0, p: 0 });
    } else if (!prev) bad(i, 'the first layer must be an input');
    else if (l.kind === 'conv') {
      const k = l.kernel ?? 3;
      const s = l.stride ?? 1;
      const p = Math.floor(k / 2);
      out.push({ kind: 'conv', c: l.channels, h: Math.floor((prev.h + 2 * p - k) / s) + 1, w: Math.floor((prev.w + 2 * p - k) / s) + 1, k, s, p });
    } else if (l.kind === 'pool') {
      const q = l.size ?? 2;
      out.push({ kind: 'pool', c: prev.c, h: Math.floor(prev.h / q), w: Math.floor(prev.w / q), k: q, s: q, p: 0 });
    } else out.push({ kind: 'dense', c: l.units, h: 1, w: 1, k: 0, s: 0, p: 0 });
    const last = out[out.length - 1]!;
    if (!(last.c >= 1 && last.h >= 1 && last.w >= 1)) bad(i, `its output ${last.c}×${last.h}×${last.w} is empty`);
  });
  return out;
}

/** Output rows (or columns) that input row y of a k/s/p convolution feeds: [lo, hi]. */
function span(y: number, k: number, s: number, p: number, outSize: number): [number, number] {
  const lo = Math.max(0, Math.ceil((y + p - k + 1) / s));
  const hi = Math.min(outSize - 1, Math.floor((y + p) / s));
  return [lo, hi];
}

/** Calls visit(target) for every neuron of `next` fed by neuron (c, y, x) of `cur`, in increasing id order. */
function forTargets(cur: Shape, next: Shape, nextOff: number, c: number, y: number, x: number, visit: (t: number) => void): void {
  if (next.kind === 'conv') {
    const [y0, y1] = span(y, next.k, next.s, next.p, next.h);
    const [x0, x1] = span(x, next.k, next.s, next.p, next.w);
    for (let co = 0; co < next.c; co++) for (let oy = y0; oy <= y1; oy++) for (let ox = x0; ox <= x1; ox++) visit(nextOff + (co * next.h + oy) * next.w + ox);
  } else if (next.kind === 'pool') {
    const oy = Math.floor(y / next.s);
    const ox = Math.floor(x / next.s);
    if (oy < next.h && ox < next.w) visit(nextOff + (c * next.h + oy) * next.w + ox);
  } else {
    for (let u = 0; u < next.c; u++) visit(nextOff + u);
  }
  void cur;
}

/** Smooth activity map in [0, 1]: a few Gaussian blobs in relative coordinates. */
function activityField(rng: Rng): (fy: number, fx: number) => number {
  const blobs = Array.from({ length: 3 }, () => ({ y: 0.2 + 0.6 * rng.float(), x: 0.2 + 0.6 * rng.float(), r: 0.12 + 0.18 * rng.float() }));
  return (fy, fx) => {
    let f = 0;
    for (const b of blobs) f = Math.max(f, Math.exp(-((fy - b.y) ** 2 + (fx - b.x) ** 2) / (2 * b.r * b.r)));
    return f;
  };
}

export function generateSnn(spec: SnnSpec): SnnNetwork {
  const sh = shapes(spec);
  const rng = new Rng(spec.seed ?? 7);
  const scale = spec.rateScale ?? 1000;
  const offsets: number[] = [];
  let n = 0;
  for (const s of sh) {
    offsets.push(n);
    n += s.c * s.h * s.w;
  }
  // Rates: a per-layer base that decays with depth, a per-channel factor, and the spatial field.
  const rates = new Float64Array(n);
  const field = activityField(rng);
  sh.forEach((s, li) => {
    const base = li === 0 ? 0.12 : 0.04 + 0.12 * rng.float() * Math.pow(0.85, li);
    for (let c = 0; c < s.c; c++) {
      const cf = 0.5 + rng.float();
      for (let y = 0; y < s.h; y++) {
        for (let x = 0; x < s.w; x++) {
          const f = s.h * s.w > 1 ? field((y + 0.5) / s.h, (x + 0.5) / s.w) : rng.float();
          const r = base * cf * (0.2 + 2 * f);
          rates[offsets[li]! + (c * s.h + y) * s.w + x] = Math.min(0.3, Math.max(0.01, r));
        }
      }
    }
  });
  const wOf = new Float64Array(n);
  for (let v = 0; v < n; v++) wOf[v] = Math.max(1, Math.round(rates[v]! * scale));
  // Out-edges (targets) per neuron, CSR.
  const outPtr = new Int32Array(n + 1);
  const forEachNeuron = (f: (li: number, v: number, c: number, y: number, x: number) => void) => {
    for (let li = 0; li + 1 < sh.length; li++) {
      const s = sh[li]!;
      for (let c = 0; c < s.c; c++) for (let y = 0; y < s.h; y++) for (let x = 0; x < s.w; x++) f(li, offsets[li]! + (c * s.h + y) * s.w + x, c, y, x);
    }
  };
  forEachNeuron((li, v, c, y, x) => {
    let cnt = 0;
    forTargets(sh[li]!, sh[li + 1]!, offsets[li + 1]!, c, y, x, () => cnt++);
    outPtr[v + 1] = cnt;
  });
  for (let v = 0; v < n; v++) outPtr[v + 1]! += outPtr[v]!;
  const m = outPtr[n]!;
  const outAdj = new Int32Array(m);
  forEachNeuron((li, v, c, y, x) => {
    let k = outPtr[v]!;
    forTargets(sh[li]!, sh[li + 1]!, offsets[li + 1]!, c, y, x, (t) => (outAdj[k++] = t));
  });
  return assemble(spec.name, sh, offsets, rates, scale, wOf, outPtr, outAdj);
}

function assemble(name: string, sh: Shape[], offsets: number[], rates: Float64Array, scale: number, wOf: Float64Array, outPtr: Int32Array, outAdj: Int32Array): SnnNetwork {
  const n = rates.length;
  const m = outAdj.length;
  // Hypergraph: a net {u} ∪ targets(u) per neuron with targets.
  let ne = 0;
  for (let v = 0; v < n; v++) if (outPtr[v + 1]! > outPtr[v]!) ne++;
  const eptr = new Int32Array(ne + 1);
  const pins = new Int32Array(m + ne);
  const ewgt = new Float64Array(ne);
  let e = 0;
  let np = 0;
  for (let v = 0; v < n; v++) {
    if (outPtr[v + 1] === outPtr[v]) continue;
    pins[np++] = v;
    for (let j = outPtr[v]!; j < outPtr[v + 1]!; j++) pins[np++] = outAdj[j]!;
    ewgt[e] = wOf[v]!;
    eptr[++e] = np;
  }
  // Graph: in-neighbours (all earlier ids, ascending) then targets, weight = presynaptic rate.
  const xadj = new Int32Array(n + 1);
  for (let j = 0; j < m; j++) xadj[outAdj[j]! + 1]!++;
  for (let v = 0; v < n; v++) xadj[v + 1]! += outPtr[v + 1]! - outPtr[v]!;
  for (let v = 0; v < n; v++) xadj[v + 1]! += xadj[v]!;
  const adjncy = new Int32Array(2 * m);
  const adjwgt = new Float64Array(2 * m);
  const fill = xadj.slice(0, n);
  for (let u = 0; u < n; u++) {
    for (let j = outPtr[u]!; j < outPtr[u + 1]!; j++) {
      const t = outAdj[j]!;
      const p = fill[t]!++;
      adjncy[p] = u;
      adjwgt[p] = wOf[u]!;
    }
  }
  for (let u = 0; u < n; u++) {
    let p = fill[u]!;
    for (let j = outPtr[u]!; j < outPtr[u + 1]!; j++) {
      adjncy[p] = outAdj[j]!;
      adjwgt[p++] = wOf[u]!;
    }
  }
  const layers: LayerInfo[] = sh.map((s, li) => {
    const count = s.c * s.h * s.w;
    let syn = 0;
    if (li > 0) for (let v = offsets[li - 1]!; v < offsets[li]!; v++) syn += outPtr[v + 1]! - outPtr[v]!;
    return { kind: s.kind, c: s.c, h: s.h, w: s.w, offset: offsets[li]!, count, synapses: syn };
  });
  return {
    name,
    neurons: n,
    synapses: m,
    layers,
    rates,
    rateScale: scale,
    graph: { nv: n, xadj, adjncy, adjwgt, ncon: 1 },
    hypergraph: { nv: n, ne, eptr, pins, ewgt },
  };
}

/** The benchmark networks, from a few thousand neurons to about a million. */
export const BENCH_SNNS: readonly SnnSpec[] = [
  { name: 'dvs-5k', layers: [{ kind: 'input', channels: 2, height: 32, width: 32 }, { kind: 'conv', channels: 8, stride: 2 }, { kind: 'conv', channels: 16, stride: 2 }, { kind: 'dense', units: 10 }] },
  { name: 'dvs-33k', layers: [{ kind: 'input', channels: 2, height: 32, width: 32 }, { kind: 'conv', channels: 16 }, { kind: 'pool' }, { kind: 'conv', channels: 32 }, { kind: 'pool' }, { kind: 'dense', units: 10 }] },
  { name: 'dvs-150k', layers: [{ kind: 'input', channels: 2, height: 64, width: 64 }, { kind: 'conv', channels: 16 }, { kind: 'pool' }, { kind: 'conv', channels: 32 }, { kind: 'pool' }, { kind: 'conv', channels: 64 }, { kind: 'pool' }, { kind: 'dense', units: 128 }, { kind: 'dense', units: 10 }] },
  {
    name: 'dvs-1m',
    layers: [
      { kind: 'input', channels: 2, height: 256, width: 256 },
      { kind: 'conv', channels: 8 },
      { kind: 'pool' },
      { kind: 'conv', channels: 16, stride: 2 },
      { kind: 'conv', channels: 16 },
      { kind: 'pool' },
      { kind: 'conv', channels: 32 },
      { kind: 'pool' },
      { kind: 'conv', channels: 64, stride: 2 },
      { kind: 'dense', units: 10 },
    ],
  },
];
