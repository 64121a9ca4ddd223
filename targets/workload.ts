/**
 * What each layer of a typed Module asks of hardware, independent of any target: GEMM shapes for
 * the layers that multiply (conv2d, dense, recurrent cells), element counts for the rest, and the
 * bytes of weights, inputs and outputs in their stored precisions.
 */
import { DTYPE_BITS, numElements, type TensorType } from '../compiler/ir/dtype.ts';
import { macClass, type MacClass, weightDType } from './precision.ts';
import { type Module, type Node, readersOf } from '../compiler/ir/module.ts';
import type { ActivityUsed } from './activity.ts';
import { lmuGemm } from './lmu-work.ts';
import { compareOnOutputs, foldDecisions, type FoldOptions, foldedOf, type CompareOnOutput } from './threshold-fold.ts';

export interface ConvGeometry {
  /** Padded input height and width, channels per group, kernel, stride, output size. */
  h: number; w: number; c: number; kh: number; kw: number; sh: number; sw: number; oh: number; ow: number;
}

export interface GemmWork {
  kind: 'gemm';
  /** C[M×N] = A[M×K] · B[K×N], repeated `repeat` times (conv groups, time steps × layers). */
  m: number; n: number; k: number; repeat: number;
  conv?: ConvGeometry;
  macClass: MacClass;
  /** Fraction of the m·n·k·repeat MACs the hardware does (zero-skipping, targets/activity-pricing.ts); 1 when absent. */
  performed?: number;
  /** Whether the MACs not done also take no time (`zero_skipping skip`), or only no energy (`gate`). */
  skipsTime?: boolean;
}

export interface VectorWork {
  kind: 'vector';
  /** Elementary operations (compares, adds, exps …), one per output element per window tap. */
  ops: number;
}

export interface LayerWork {
  node: Node;
  name: string;
  op: string;
  work: GemmWork | VectorWork | { kind: 'free'; why: string };
  macs: number;
  weightBytes: number;
  inputBytes: number;
  outputBytes: number;
  /** Element bits of the operands, for word-based memories. */
  inputBits: number;
  weightBits: number;
  outputBits: number;
  /** How the work was priced where a reader should know (a delta layer's columns, zero-skipping). */
  notes?: string[];
  /** The activity the layer was priced with, and its source. */
  activity?: ActivityUsed;
  /**
   * Its sums reach the network only through one compare an element (a folded batch norm + sign,
   * or a sign): hardware that can compare them on their way out stores the compare's result.
   */
  compareOnOutput?: CompareOnOutput;
  /** This node is that compare, on the outputs of the layer named. */
  comparesFor?: string;
}

const bytesOf = (t: TensorType) => (numElements(t.shape) * DTYPE_BITS[t.dtype]) / 8;

function gemmOf(node: Node, inputs: TensorType[], module: Module, notes: string[]): GemmWork | undefined {
  const x = inputs[0]!;
  const out = node.type!;
  const cls = macClass(x.dtype, weightDType(node));
  switch (node.op) {
    case 'dense': {
      const k = x.shape[x.shape.length - 1]!;
      return { kind: 'gemm', m: numElements(x.shape.slice(0, -1)), n: node.attrs.units as number, k, repeat: 1, macClass: cls };
    }
    case 'lmu': {
      const { note, ...g } = lmuGemm(node, x.shape);
      notes.push(note);
      return { kind: 'gemm', ...g, macClass: cls };
    }
    case 'conv2d': {
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const [, f, oh, ow] = out.shape as [number, number, number, number];
      const g = node.attrs.groups as number;
      const [kh, kw] = node.attrs.kernel as [number, number];
      const [sh, sw] = node.attrs.stride as [number, number];
      const [pt, pl, pb, pr] = node.attrs.pad as [number, number, number, number];
      return {
        kind: 'gemm', m: n * oh * ow, n: f / g, k: kh * kw * (c / g), repeat: g, macClass: cls,
        conv: { h: h + pt + pb, w: w + pl + pr, c: c / g, kh, kw, sh, sw, oh, ow },
      };
    }
    case 'matmul': {
      // NumPy matmul: the output's leading axes are the batch of independent products.
      const a = inputs[0]!, b = inputs[1]!;
      const k = a.shape[a.shape.length - 1]!;
      const n = b.shape.length === 1 ? 1 : b.shape[b.shape.length - 1]!;
      const m = a.shape.length === 1 ? 1 : a.shape[a.shape.length - 2]!;
      const macs = numElements(out.shape) * k;
      return { kind: 'gemm', m, n, k, repeat: Math.max(1, Math.round(macs / (m * n * k))), macClass: macClass(a.dtype, b.dtype) };
    }
    case 'rnn': case 'lstm': case 'gru': {
      const gates = node.op === 'rnn' ? 1 : node.op === 'lstm' ? 4 : 3;
      const [b, t, f] = x.shape as [number, number, number];
      const hdim = node.attrs.hidden as number;
      // Input and recurrent products of one step fused as one GEMM over [x_t, h_{t-1}]; layers
      // after the first see hidden-sized inputs, approximated here as the same K.
      return { kind: 'gemm', m: b, n: gates * hdim, k: f + hdim, repeat: t * (node.attrs.layers as number), macClass: cls };
    }
    default:
      void module;
      return undefined;
  }
}

function vectorOps(node: Node, inputs: TensorType[]): number {
  const outElems = numElements(node.type!.shape);
  switch (node.op) {
    case 'maxpool2d': case 'avgpool2d': {
      const [kh, kw] = node.attrs.kernel as [number, number];
      return outElems * kh * kw;
    }
    case 'global_avgpool':
      return numElements(inputs[0]!.shape);
    case 'softmax': return outElems * 3; // exp, sum, divide
    case 'batchnorm': return outElems * 2; // scale and shift (folded statistics)
    case 'lstm': case 'gru': case 'rnn': return outElems * 4;
    case 'sigma_delta': return outElems * 3; // add the carried error, round, subtract
    default: return outElems;
  }
}

/**
 * How many times a node runs per inference: a spiking network's layers downstream of a `lif` run
 * every time step; the ones before it see the same input every step and run once (the
 * interpreter's direct encoding).
 */
function runsPerInference(m: Module): Map<string, number> {
  const runs = new Map<string, number>();
  for (const n of Object.values(m.nodes)) {
    const varies = n.op === 'lif' || n.inputs.some((i) => runs.get(i)! > 1);
    runs.set(n.id, varies ? m.timesteps : 1);
  }
  return runs;
}

/**
 * Work of every compute node of a typed module, in order. Inputs and pure reshapes are free.
 * `training`: a training step keeps batch norm and sign apart (its backward pass reads both), so
 * nothing folds into a threshold. `inputOnGrid`: the network's input is known to be whole numbers
 * over a denominator, so a binary layer reading it makes whole sums its batch norm can compare
 * (targets/threshold-fold.ts); without data the estimate does not assume it.
 */
export function moduleWork(m: Module, opts: { training?: boolean } & FoldOptions = {}): LayerWork[] {
  const out: LayerWork[] = [];
  const runs = runsPerInference(m);
  const readers = opts.training ? undefined : readersOf(m);
  const decisions = readers ? foldDecisions(m, readers, opts) : undefined;
  const thresholded = decisions ? foldedOf(decisions) : new Map<string, string>();
  const compares = readers ? compareOnOutputs(m, thresholded, (n) => n.op === 'dense' || n.op === 'conv2d', readers) : new Map<string, CompareOnOutput>();
  const comparesFor = new Map([...compares].map(([layer, c]) => [c.by, layer]));
  // The sign or relu whose work a folded batch norm's compare does, by node.
  const foldedInto = new Map([...thresholded].filter(([bn, end]) => end !== bn).map(([bn, end]) => [end, bn]));
  for (const node of Object.values(m.nodes)) {
    if (node.op === 'input') continue;
    const times = runs.get(node.id)!;
    const inputs = node.inputs.map((i) => m.nodes[i]!.type!);
    // A batch norm's statistics fold into its scale and shift; a per-step one (BNTT) has a scale
    // and shift for every time step, so it stores T of them and does the same work per element.
    const folds = node.op === 'batchnorm' && node.attrs.per_step ? m.timesteps : 1;
    const weightBytes = folds * Object.entries(node.params ?? {}).filter(([k]) => !k.startsWith('running_')).reduce((s, [, t]) => s + bytesOf(t), 0);
    const fold = { ...(compares.has(node.id) ? { compareOnOutput: compares.get(node.id)! } : {}), ...(comparesFor.has(node.id) ? { comparesFor: comparesFor.get(node.id)! } : {}) };
    const base = {
      node, name: node.id, op: node.op, weightBytes, ...fold,
      inputBytes: inputs.reduce((s, t) => s + bytesOf(t), 0),
      outputBytes: bytesOf(node.type!),
      inputBits: DTYPE_BITS[inputs[0]!.dtype], weightBits: DTYPE_BITS[weightDType(node)], outputBits: DTYPE_BITS[node.type!.dtype],
    };
    if (node.op === 'param') {
      out.push({ ...base, work: { kind: 'free', why: 'a learned tensor: its bytes are counted as weights where it is used' }, macs: 0 });
      continue;
    }
    if (node.op === 'flatten' || node.op === 'reshape') {
      out.push({ ...base, work: { kind: 'free', why: 'a reshape moves no data' }, macs: 0 });
      continue;
    }
    if (node.op === 'dropout') {
      out.push({ ...base, work: { kind: 'free', why: 'dropout is the identity at inference' }, macs: 0 });
      continue;
    }
    if (foldedInto.has(node.id)) {
      const why = node.op === 'sign' ? 'its threshold compare is the sign' : 'its threshold compare writes the 0 or 1 the relu of its ±1 is';
      out.push({ ...base, work: { kind: 'free', why: `folded into the batch norm before it: ${why}` }, macs: 0 });
      continue;
    }
    const notes: string[] = [];
    if (node.op === 'batchnorm') {
      const folded = thresholded.has(node.id);
      const end = m.nodes[thresholded.get(node.id) ?? '']?.op;
      notes.push(folded
        ? `batch norm folded ${end === 'sign' ? 'with the sign after it' : `with the binarizing of its output${end === 'relu' ? ' and the relu after it' : ''}`} into one per-channel threshold compare an element (the binary layer's output is compared, not scaled)`
        : 'batch norm at inference: a per-channel scale and shift (statistics folded into them), 2 operations an element');
      const refused = decisions?.get(node.id)?.refusal;
      if (refused) notes.push(`not folded into a threshold compare: ${refused}`);
      out.push({ ...base, work: { kind: 'vector', ops: (folded ? numElements(node.type!.shape) : vectorOps(node, inputs)) * times }, macs: 0, notes });
      continue;
    }
    const g = gemmOf(node, inputs, m, notes);
    if (g) {
      g.repeat *= times;
      out.push({ ...base, work: g, macs: g.m * g.n * g.k * g.repeat, ...(notes.length ? { notes } : {}) });
    } else out.push({ ...base, work: { kind: 'vector', ops: vectorOps(node, inputs) * times }, macs: 0 });
  }
  return out;
}
