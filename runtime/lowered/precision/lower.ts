/**
 * The precision lowering: every dense or conv2d layer whose `weights =` is i8, i16, binary or
 * ternary becomes an IntegerLayer holding its weights in that form (int8 + scales, int16
 * mantissas + exponents, packed bits, 2-bit codes), and a binary layer with integer sums whose
 * batch norm the estimate folds into a compare (targets/threshold-fold.ts: batch norm → sign, or a
 * batch norm binarizing its own output, with or without a relu after it) has that batch norm and
 * what it ends in folded into integer thresholds, so `kiln run` executes what is priced. A binary
 * layer reading the network's input sums it by bit-planes when the caller shows the input is whole
 * numbers over a denominator (`inputLevels`, e.g. pixels), and one reading a relu's {0, 1} by one
 * bit-plane; the decision is the layer's `why`. The rule (thresholdBatchnorms) decides from the
 * IR and that grid; the data decides too, as a batch off the grid is summed in fp32.
 *
 * It lives in runtime/, not in a compiler pass: its output is packed weight data and kernels
 * (runtime/kernels), which compiler/ may not import, and the IR it reads is unchanged — which
 * layers are integer is already in the IR's `weights =` / `activations =` attributes.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { type Module, type Node, type NodeId, readersOf } from '../../../compiler/ir/module.ts';
import { precisionOf } from '../../../compiler/ir/node-precision.ts';
import { compareOnOutputs, thresholdBatchnorms, wholeInputs } from '../../../targets/threshold-fold.ts';
import type { Weights } from '../../interpreter/types.ts';
import type { InputLevels } from '../../kernels/bitplane.ts';
import { type BinaryLayer, binaryThresholds, lowerBinary, type Thresholds } from './binary-layer.ts';
import { lowerDfp16, type OverflowPolicy } from './dfp16-layer.ts';
import { lowerInt8 } from './int8-layer.ts';
import { lowerTernary } from './ternary-layer.ts';
import type { IntegerLayer, LayerScales, LoweredPrecision } from './types.ts';

/**
 * A batch norm folded into the binary layer whose sums it compares: the layer (its node, and its
 * lowered form), its thresholds, and `low`: what a failed compare writes (−1 for a sign, 0 when a
 * relu after it turns the −1 into 0).
 */
export interface Fold { layer: NodeId; binary: BinaryLayer; thresholds: Thresholds; low: -1 | 0 }

export interface PrecisionProgram {
  module: Module;
  layers: Map<NodeId, IntegerLayer>;
  /** batchnorm node → its fold. */
  folded: Map<NodeId, Fold>;
  /** The sign or relu after a folded batch norm, whose work the thresholds already did. */
  foldedEnds: Set<NodeId>;
  /**
   * The same folds (the same objects) by binary layer, for the kernels that compare the sums:
   * made once here, not on every batch.
   */
  foldedLayers: Map<NodeId, Fold>;
  scales: Map<NodeId, LayerScales>;
  /**
   * Give back the layers' weights packed in the kernels' memory (resident blocks), when the caller
   * is done running the program: the collector would, but late or never. Running it again after
   * packs them again.
   */
  dispose(): void;
}

const ZERO_ONE: InputLevels = { denominator: 1, bits: 1 };

const LOWERED: readonly string[] = ['i8', 'i16', 'binary', 'ternary'];

/** The layers the lowering turns into integers: dense, and ungrouped conv2d. */
export function loweredPrecision(node: Node): LoweredPrecision | undefined {
  const p = precisionOf(node, 'weights');
  if (!p || !LOWERED.includes(p.dtype)) return undefined;
  if (node.op !== 'dense' && !(node.op === 'conv2d' && node.attrs.groups === 1)) return undefined;
  return p.dtype as LoweredPrecision;
}

/** Which static activation scales the lowering needs: a layer's input (act) and declared output (out). */
export function neededScales(m: Module): { node: NodeId; what: 'act' | 'out'; dtype: 'i8' | 'i16' }[] {
  const out: { node: NodeId; what: 'act' | 'out'; dtype: 'i8' | 'i16' }[] = [];
  for (const n of Object.values(m.nodes)) {
    const lp = loweredPrecision(n);
    if (lp === 'i8' || lp === 'i16') out.push({ node: n.id, what: 'act', dtype: lp });
    const a = precisionOf(n, 'activations')?.dtype;
    if (a === 'i8' || a === 'i16') out.push({ node: n.id, what: 'out', dtype: a });
  }
  return out;
}

function missing(node: Node, what: string): KilnError {
  return new KilnError(error('run', `layer \`${node.id}\` has no static ${what} scale`, node.loc,
    `store \`${node.id}/${what === 'input' ? 'act' : 'out'}_scale\` in the checkpoint (kiln quantize does), or let kiln run calibrate it on the train block's data`));
}

export interface LowerOptions {
  overflow?: OverflowPolicy;
  /** What every value of the network's input was shown to be (kiln run checks its data). */
  inputLevels?: InputLevels;
}

export function lowerPrecision(m: Module, params: Weights, scales: Map<NodeId, LayerScales>, o: LowerOptions = {}): PrecisionProgram {
  const layers = new Map<NodeId, IntegerLayer>();
  const folded: PrecisionProgram['folded'] = new Map();
  const foldedEnds = new Set<NodeId>();
  const foldedLayers: PrecisionProgram['foldedLayers'] = new Map();
  // The estimate's rule, told what kiln run found in the data: the input's grid.
  const readers = readersOf(m), thresholded = thresholdBatchnorms(m, readers, { inputOnGrid: o.inputLevels !== undefined });
  // The layers whose sums reach nothing but a compare: the estimate's rule (one reader, not an
  // output), asked once here rather than re-derived per layer.
  const compares = compareOnOutputs(m, thresholded, (n) => loweredPrecision(n) === 'binary', readers);
  for (const node of Object.values(m.nodes)) {
    const lp = loweredPrecision(node);
    if (!lp) continue;
    const weight = params[node.id]!.weight!, bias = params[node.id]!.bias;
    const s = scales.get(node.id) ?? {};
    const perChannel = precisionOf(node, 'weights')!.granularity === 'per_channel';
    const outDtype = precisionOf(node, 'activations')?.dtype;
    if ((lp === 'i8' || lp === 'i16') && s.act === undefined) throw missing(node, 'input');
    if (lp === 'i8') {
      layers.set(node.id, lowerInt8({ weight, bias, perChannel, weightScale: s.weight, actScale: s.act!, outScale: outDtype === 'i8' ? s.out : undefined }));
    } else if (lp === 'i16') {
      layers.set(node.id, lowerDfp16({ weight, bias, perChannel, weightScale: s.weight, actScale: s.act!, outScale: outDtype === 'i16' ? s.out : undefined, overflow: o.overflow }));
    } else if (lp === 'ternary') {
      layers.set(node.id, lowerTernary(weight, bias, perChannel));
    } else {
      // Zero padding is not ±1: a padded conv on sign inputs sums its real input instead. A relu's
      // {0, 1} is one bit-plane over 1.
      const { reads } = wholeInputs(m, node);
      const levels = reads === 'input' ? o.inputLevels : reads === 'zero-one' ? ZERO_ONE : undefined;
      const layer = lowerBinary(weight, bias, reads === 'signs', levels);
      layers.set(node.id, layer);
      // The rule folded the batch norm on the structure (and the input's grid); the data decides
      // too: a grid too fine for the int32 bit-plane sums leaves the layer without levels, and it
      // sums in fp32. Its sums must reach nothing but the batch norm, as the kernel hands on the
      // compare instead of them.
      const c = compares.get(node.id), bn = c?.threshold ? m.nodes[c.by]! : undefined;
      const end = bn && thresholded.get(bn.id);
      if (bn && end && (layer.xnor || layer.levels)) {
        const p = params[bn.id]!;
        const thresholds = binaryThresholds({ gamma: p.gamma!, beta: p.beta!, mean: p.running_mean!, variance: p.running_var!, eps: bn.attrs.eps as number }, bias, layer.levels?.denominator);
        const low = m.nodes[end]!.op === 'relu' ? 0 : -1;
        const fold: Fold = { layer: node.id, binary: layer, thresholds, low };
        folded.set(bn.id, fold);
        foldedLayers.set(node.id, fold);
        if (end !== bn.id) foldedEnds.add(end);
      }
    }
  }
  return { module: m, layers, folded, foldedEnds, foldedLayers, scales, dispose: () => { for (const l of layers.values()) l.dispose?.(); } };
}

/** Whether a binary layer reads the network's input: only such a layer uses `inputLevels`, so only then is the input worth scanning for them. */
export const binaryReadsInput = (m: Module): boolean =>
  Object.values(m.nodes).some((n) => loweredPrecision(n) === 'binary' && wholeInputs(m, n).reads === 'input');

export const hasLoweredLayer = (m: Module): boolean => Object.values(m.nodes).some((n) => loweredPrecision(n) !== undefined);
