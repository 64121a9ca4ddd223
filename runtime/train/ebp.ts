/**
 * Expectation backpropagation (Soudry, Hubara & Meir 2014, "Expectation Backpropagation:
 * parameter-free training of multilayer neural networks with continuous or discrete weights",
 * NIPS; on MNIST by Cheng, Soudry, Mao & Lan 2015) for MLPs with binary weights and sign units.
 *
 * Each weight W ∈ {−1, +1} has a mean-field posterior ∝ exp(h·W), so its mean is W̄ = tanh(h) and
 * its variance 1 − W̄². A unit's pre-activation u = Σ W·v / √V (V its fan-in) is taken as Gaussian
 * (central limit): with the incoming means v̄ and second moments s (x² for the real input layer,
 * 1 for ±1 units)
 *   μ = Σ W̄·v̄ / √V        σ² = Σ (s − W̄²·v̄²) / V        v̄_next = 2Φ(μ/σ) − 1.
 * The moment-matching update of h for a labelled sample (targets y = ±1 per output) is
 *   output   δ_k = y_k N(0 | μ_k, σ_k²) / Φ(y_k μ_k / σ_k)
 *   hidden   δ_j = (2/√V') N(0 | μ_j, σ_j²) Σ_k δ_k W̄_kj      (V' the fan-in of the layer above)
 *   every    h_kj ← h_kj + η δ_k v̄_j / √V
 * with W̄ taken before the update; no gradient of a loss is involved. The deterministic network
 * reads out W = sign(h): h is stored as the dense layer's latent weight, which `weights = binary`
 * binarizes, so evaluation, checkpoints and `kiln run` need nothing special.
 *
 * What Kiln adds, as the authors' code does (github.com/ExpectationBackpropagation): a layer's bias
 * is a real value added to Σ W̄·v̄ and counted as one more input of variance 1 (V + 1 in both
 * sums), updated like h with input 1; η (`lr`, 1 in the paper) scales the updates. A minibatch's
 * samples are taken one after another, as in the paper: summing their updates from one prior
 * overshoots (a bias would move by about batch × its own error).
 */
import { type Module, type Node, readersOf } from '../../compiler/ir/module.ts';
import { precisionOf, weightDType } from '../../compiler/ir/node-precision.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Weights } from '../interpreter/types.ts';
import { logPhi, millsRatio } from './gaussian.ts';

export interface EbpLayer {
  node: Node;
  /** Latent weights h, [units × fanIn]. */
  h: Float32Array;
  /** W̄ = tanh(h), kept beside h and refreshed wherever an update changes h. */
  wbar: Float32Array;
  bias?: Float32Array;
  units: number;
  fanIn: number;
}

function refuse(n: Node, message: string, hint: string): never {
  throw new KilnError(error('train', `optimizer ebp: ${message}`, n.loc, hint));
}

const HINT = 'ebp trains binary-weight MLPs: input → dense(…, weights = binary) → sign → … → dense(…, weights = binary) [→ softmax]; train other networks with adam or sgd';

/** The network's dense layers in order, after checking it is a chain EBP can train. */
export function ebpLayers(m: Module, weights: Weights): EbpLayer[] {
  const consumers = readersOf(m);
  const input = m.nodes[m.inputs[0]!]!;
  if (m.timesteps > 1) refuse(input, `network \`${m.name}\` runs ${m.timesteps} time steps`, HINT);
  if (input.type!.shape.length !== 2) refuse(input, `the input must be [batch, features], not [${input.type!.shape.join(', ')}]`, 'flatten the samples, or train with adam or sgd');
  const layers: EbpLayer[] = [];
  let at = input;
  for (;;) {
    const next = consumers.get(at.id) ?? [];
    if (next.length === 0) break;
    if (next.length > 1) refuse(next[1]!, `\`${at.id}\` feeds ${next.length} layers; EBP needs a chain`, HINT);
    const n = next[0]!;
    const wantDense = at === input || at.op === 'sign';
    if (wantDense) {
      if (n.op !== 'dense') refuse(n, `\`${n.id}\` is a ${n.op}; after ${at === input ? 'the input' : 'a sign'} EBP needs a dense layer`, HINT);
      if (weightDType(n) !== 'binary') refuse(n, `dense layer \`${n.id}\` has ${weightDType(n)} weights`, 'write `weights = binary`: EBP learns ±1 weights');
      if (precisionOf(n, 'activations')) refuse(n, `dense layer \`${n.id}\` quantizes its activations`, 'remove `activations =`: EBP models the pre-activation as a Gaussian');
      const w = weights[n.id]!;
      const [units, fanIn] = w.weight!.shape as [number, number];
      layers.push({ node: n, h: w.weight!.data, wbar: w.weight!.data.map(Math.tanh), bias: w.bias?.data, units, fanIn });
    } else if (at.op === 'dense' && n.op !== 'sign' && !(n.op === 'softmax' && (consumers.get(n.id) ?? []).length === 0)) {
      refuse(n, `\`${n.id}\` is a ${n.op}; EBP's hidden units are sign units and the last dense layer may only be followed by softmax`, HINT);
    }
    at = n;
  }
  if (layers.length === 0) refuse(input, 'the network has no dense layer', HINT);
  if (!m.outputs.includes(at.id)) refuse(at, `\`${at.id}\` ends the chain but is not the network's output`, HINT);
  return layers;
}

/** One sample's moments at one layer: its input means v̄, pre-activation μ and σ. */
interface Moments { v: Float32Array; nz: Int32Array; mu: Float64Array; sigma: Float64Array }

function nonzeros(v: Float32Array): Int32Array {
  const out: number[] = [];
  for (let j = 0; j < v.length; j++) if (v[j] !== 0) out.push(j);
  return Int32Array.from(out);
}

/**
 * EBP on the rows of x [batch × features], one sample after another (the paper's online update:
 * each sample sees the posterior the previous one left), η = `eta`. Returns the negative
 * log-likelihood the updates ascend, −Σ_k log Φ(y_k μ_k/σ_k) per sample on average, and how many
 * samples the probabilistic output (argmax μ) classifies right.
 */
export function ebpStep(layers: EbpLayer[], x: Float32Array, batch: number, labels: ArrayLike<number>, eta: number): { loss: number; correct: number; rows: number } {
  let loss = 0, correct = 0;
  const f = x.length / batch;
  for (let b = 0; b < batch; b++) {
    const r = ebpSample(layers, x.subarray(b * f, (b + 1) * f), labels[b]!, eta);
    loss += r.loss;
    if (r.correct) correct++;
  }
  return { loss: loss / batch, correct, rows: batch };
}

function ebpSample(layers: EbpLayer[], x: Float32Array, label: number, eta: number): { loss: number; correct: boolean } {
  const moments: Moments[] = [];
  let v = x;
  for (const [li, L] of layers.entries()) {
    const wbar = L.wbar;
    const V = L.fanIn + (L.bias ? 1 : 0);
    const nz = nonzeros(v);
    // Σ_j s_j: x² on the real input, 1 per ±1 unit.
    let s = 0;
    if (li === 0) for (const j of nz) s += v[j]! * v[j]!;
    else s = L.fanIn;
    const mu = new Float64Array(L.units), sigma = new Float64Array(L.units);
    for (let k = 0; k < L.units; k++) {
      const row = k * L.fanIn;
      let m = 0, q = 0;
      for (const j of nz) { const w = wbar[row + j]!, vj = v[j]!; m += w * vj; q += w * w * vj * vj; }
      mu[k] = (m + (L.bias ? L.bias[k]! : 0)) / Math.sqrt(V);
      // Rounding may leave s − q a hair below 0 when every W̄ is ±1 and no bias adds variance.
      sigma[k] = Math.sqrt(Math.max((s - q + (L.bias ? 1 : 0)) / V, 1e-12));
    }
    moments.push({ v, nz, mu, sigma });
    v = Float32Array.from(mu, (m, k) => 2 * Math.exp(logPhi(m / sigma[k]!)) - 1);
  }
  const top = moments[moments.length - 1]!;
  let delta: Float64Array = new Float64Array(top.mu.length);
  let loss = 0, best = 0;
  for (let k = 0; k < delta.length; k++) {
    const y = k === label ? 1 : -1;
    const z = (y * top.mu[k]!) / top.sigma[k]!;
    loss -= logPhi(z);
    delta[k] = (y * millsRatio(z)) / top.sigma[k]!;
    if (top.mu[k]! > top.mu[best]!) best = k;
  }
  for (let li = layers.length - 1; li >= 0; li--) {
    const L = layers[li]!, M = moments[li]!;
    const wbar = L.wbar;
    const V = L.fanIn + (L.bias ? 1 : 0);
    let down: Float64Array | undefined;
    if (li > 0) {
      // δ_j below = (2/√V) N(0 | μ_j, σ_j²) Σ_k δ_k W̄_kj, with W̄ before this update.
      down = new Float64Array(L.fanIn);
      for (let k = 0; k < L.units; k++) { const d = delta[k]!, row = k * L.fanIn; for (let j = 0; j < L.fanIn; j++) down[j] = down[j]! + d * wbar[row + j]!; }
      const below = moments[li - 1]!;
      for (let j = 0; j < L.fanIn; j++) {
        const sg = below.sigma[j]!, t = below.mu[j]! / sg;
        down[j] = down[j]! * (2 / Math.sqrt(V)) * Math.exp(-0.5 * t * t) / (Math.sqrt(2 * Math.PI) * sg);
      }
    }
    const c = eta / Math.sqrt(V);
    for (let k = 0; k < L.units; k++) {
      const d = c * delta[k]!, row = k * L.fanIn;
      if (d === 0) continue;
      // tanh of the stored float32 h, so a run resumed from h alone computes the same means.
      for (const j of M.nz) { L.h[row + j] = L.h[row + j]! + d * M.v[j]!; wbar[row + j] = Math.tanh(L.h[row + j]!); }
      if (L.bias) L.bias[k] = L.bias[k]! + d;
    }
    if (down) delta = down;
  }
  return { loss, correct: best === label };
}
