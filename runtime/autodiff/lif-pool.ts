/**
 * A lif whose spikes only feed a 2×2 max pool at stride 2 (both of spiking_cnn's hidden layers),
 * run as one kernel in training with time folded into the batch (wasm/lif.ts): the pool of 0/1
 * spikes is whether any of a window's four neurons fired, so the layer's full spike tensor (four
 * times the pool's size) is never written, pooled, scattered back or read again. The backward pass
 * runs the steps again from the lif's input (nothing but the pooled output is kept), routes each
 * window's gradient to the neuron the pool took and runs BPTT in the same sweep. The results are
 * those of the two ops run one after the other, bit for bit.
 *
 * On the tape the pair keeps its two entries, so the backward walk is unchanged: the pool's entry
 * holds what the fused backward needs and its rule returns dL/d(the lif's input) in place of
 * dL/d(its spikes); the lif's entry (marked `pooledBy`) passes that on to the lif's input. That
 * is sound because the pool is the lif's only reader.
 */
import { type Module, type Node, type NodeId, readersOf } from '../../compiler/ir/module.ts';
import type { Tensor } from '../tensor.ts';
import { outputTensor } from '../kernels/step-buffers.ts';
import type { TapeEntry } from '../interpreter/types.ts';
import { lifOptions } from '../interpreter/ops-layers.ts';
import { useWasmKernels } from '../kernels/wasm/instance.ts';
import { type PooledPlanes, wasmLifPoolBackward, wasmLifPoolForward } from '../kernels/wasm/lif.ts';
import type { RuleArgs, RuleResult } from './types.ts';

interface SavedLifPool { lif: Node; steps: number; planes: PooledPlanes; x: Tensor }

const same = (v: unknown, want: number[]) => Array.isArray(v) && v.length === want.length && v.every((x, i) => x === want[i]);

/**
 * Each module's readers, built once: every training batch asks of every lif. Distinct, so a node
 * that reads the lif twice counts as one reader (it is then refused as not a one-input pool).
 */
const readerCache = new WeakMap<Module, Map<NodeId, Node[]>>();

function readersIn(m: Module): Map<NodeId, Node[]> {
  let r = readerCache.get(m);
  if (!r) readerCache.set(m, (r = readersOf(m, { distinct: true })));
  return r;
}

/**
 * The max pool a lif node can be fused with: the lif fires, resets by subtraction, has the
 * fast-sigmoid surrogate and one reader, a 2×2 stride-2 unpadded max pool over even planes.
 */
export function fusablePool(m: Module, lif: Node, shape: readonly number[]): Node | undefined {
  const a = lif.attrs;
  if (!useWasmKernels() || a.readout === 'membrane' || a.reset !== 'subtract' || a.surrogate !== 'fast_sigmoid') return undefined;
  if (m.outputs.includes(lif.id) || shape.length !== 4 || shape[2]! % 2 !== 0 || shape[3]! % 2 !== 0) return undefined;
  const readers = readersIn(m).get(lif.id) ?? [];
  const pool = readers.length === 1 ? readers[0]! : undefined;
  if (!pool || pool.op !== 'maxpool2d' || pool.inputs.length !== 1) return undefined;
  const p = pool.attrs;
  return same(p.kernel, [2, 2]) && same(p.stride, [2, 2]) && same(p.dilation, [1, 1]) && same(p.pad, [0, 0, 0, 0]) ? pool : undefined;
}

/** Both nodes' forward over all steps; x is [T·B, …] or [B, …] when constant. Returns the pool's output. */
export function lifPoolForward(lif: Node, pool: Node, x: Tensor, constant: boolean, steps: number, tape: TapeEntry[] | undefined): Tensor {
  const shape = constant ? [x.shape[0]! * steps, ...x.shape.slice(1)] : [...x.shape];
  const [tb, c, h, w] = shape as [number, number, number, number];
  const planes: PooledPlanes = { planes: (tb / steps) * c, h, w };
  const out = outputTensor([tb, c, h / 2, w / 2]);
  wasmLifPoolForward(lifOptions(lif), x.data, steps, planes, out.data);
  // The lif's spikes are not kept: its entry and the pool's input carry only their shape.
  const spikes: Tensor = { shape, data: new Float32Array(0) };
  tape?.push({ node: lif.id, op: 'lif', step: 0, inputs: [x], output: spikes, saved: { pooledBy: pool.id }, params: {} });
  const saved: SavedLifPool = { lif, steps, planes, x };
  tape?.push({ node: pool.id, op: 'maxpool2d', step: 0, inputs: [spikes], output: out, saved: { lifPool: saved }, params: {} });
  return out;
}

/** The pool entry's rule after lifPoolForward: dL/d(the lif's input), handed through the lif's entry. */
export function lifPoolBackward(a: RuleArgs): RuleResult | undefined {
  const s = a.entry.saved.lifPool as SavedLifPool | undefined;
  if (!s) return undefined;
  const dx = outputTensor(s.x.shape);
  wasmLifPoolBackward(lifOptions(s.lif), s.x.data, a.dy!.data, s.steps, s.planes, dx.data);
  return { inputs: [dx] };
}

/** The lif entry's rule after lifPoolForward: its pool's rule already ran BPTT. */
export const pooledLifBackward = (a: RuleArgs): RuleResult | undefined =>
  a.entry.saved.pooledBy === undefined ? undefined : { inputs: [a.dy] };

