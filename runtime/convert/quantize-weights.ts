/**
 * 8-bit synaptic weights for a converted spiking network, held as a Loihi core holds them:
 * integers with no scale of their own. Each weighted layer's weights W (already multiplied by the
 * thresholds of the layers they read) get one scale s = max|W| / 127, become the integers
 * q = round(W / s) in [−127, 127], and the scale moves into the neurons they drive: that lif's
 * threshold λ becomes λ / s, rounded to a whole number, and the layer's bias b becomes b / s.
 * A neuron then sums q where it summed W, and compares with λ / s where it compared with λ, so it
 * fires when it fired before, up to the rounding of q and of the threshold.
 *
 * Per layer rather than per channel because a lif layer has one threshold: a per-channel scale
 * would need a threshold per channel. This is what nengo-loihi's discretization does (weights
 * scaled so the largest is the top of the mantissa range, the threshold mantissa scaled by the
 * same factor); on Loihi the weight counts w_mant·2^(6+w_exp) and the threshold vth_mant·2^6, so
 * with weight exponent 0 an integer threshold in weight units is what the chip stores.
 * Biases stay real numbers (Loihi keeps them as a mantissa with its own exponent); Kiln does
 * not round them.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Node, NodeId } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { symmetricScale } from '../kernels/quant-int8.ts';
import type { ConvertedNetwork } from './snn.ts';

export const WEIGHT_PRECISIONS = ['f32', 'i8'] as const;
export type WeightPrecision = (typeof WEIGHT_PRECISIONS)[number];

export const isWeightPrecision = (s: string): s is WeightPrecision => (WEIGHT_PRECISIONS as readonly string[]).includes(s);

const I8_MAX = 127;
/** Ops a current passes through unchanged in kind: a positive scale commutes with each of them. */
const SCALE_FREE = new Set(['maxpool2d', 'avgpool2d', 'upsample2d', 'flatten', 'pad']);

export interface QuantizedLayer {
  /** The weighted layer. */
  layer: string;
  /** The lif layer its scale went into. */
  lif: string;
  /** One integer step of the weights, in the float network's units. */
  scale: number;
  /** The lif's threshold before and after. */
  threshold: { from: number; to: number };
}

/** The lif a weighted layer's current reaches through scale-free single-consumer ops. */
function drivenLif(nodes: Record<NodeId, Node>, from: Node): Node {
  const users = (id: NodeId) => Object.values(nodes).filter((n) => n.inputs.includes(id));
  let at = from;
  for (;;) {
    const next = users(at.id);
    if (next.length === 1 && next[0]!.op === 'lif') return next[0]!;
    if (next.length !== 1 || !SCALE_FREE.has(next[0]!.op)) {
      const what = next.length === 1 ? `\`${next[0]!.id}\` (${next[0]!.op})` : `${next.length} layers`;
      throw new KilnError(error('convert', `--weights i8: \`${from.id}\` feeds ${what}, not a single spiking layer, so its weight scale has no threshold to go into`, from.loc,
        'put relu right after the layer (pooling and flatten in between are fine), or convert with --weights f32'));
    }
    at = next[0]!;
  }
}

/**
 * Quantize every dense and conv2d layer of `snn` in place (weights, biases, lif thresholds, and
 * the layer's `weights = i8` attribute, which tells the cost models the width).
 */
export function quantizeSnnWeights(snn: ConvertedNetwork): QuantizedLayer[] {
  const out: QuantizedLayer[] = [];
  const precision: Precision = { dtype: 'i8', granularity: 'per_tensor' };
  for (const n of Object.values(snn.module.nodes)) {
    if (n.op !== 'dense' && n.op !== 'conv2d') continue;
    const lif = drivenLif(snn.module.nodes, n);
    const p = snn.weights[n.id]!;
    const w = p.weight!.data;
    let maxAbs = 0;
    for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
    const s = symmetricScale(maxAbs, I8_MAX);
    for (let i = 0; i < w.length; i++) w[i] = Math.max(-I8_MAX, Math.min(I8_MAX, Math.round(w[i]! / s)));
    if (p.bias) for (let i = 0; i < p.bias.data.length; i++) p.bias.data[i] = p.bias.data[i]! / s;
    const from = lif.attrs.threshold as number;
    // A threshold below one weight step would fire on any input; one step is the least the chip holds.
    // A sign layer's 0 is no step: its neurons fire on the current's sign, which no scale changes.
    const to = from === 0 ? 0 : Math.max(1, Math.round(from / s));
    lif.attrs.threshold = to;
    const layer = snn.layers.find((l) => l.name === lif.id);
    if (layer) layer.threshold = to;
    n.attrs.weights = precision;
    out.push({ layer: n.id, lif: lif.id, scale: s, threshold: { from, to } });
  }
  return out;
}
