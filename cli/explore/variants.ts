/**
 * What `kiln explore` compares: a variant is one precision assignment (the same precision on every
 * layer with weights, or a per-layer mix from `--precision auto`) at one dropout rate. A variant
 * becomes a network by rewriting the layers' `weights` / `activations` attributes and the dropout
 * layers' `p`, exactly as if the source had declared them.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { declaredPrecision } from '../../compiler/ir/node-precision.ts';
import { type LayerPrecision, type PrecisionMap, withPrecisions } from '../../runtime/quantize/layer-precision.ts';
import { moduleWork } from '../../targets/workload.ts';
import { UsageError } from '../args.ts';

export const PRECISION_CHOICES = ['f32', 'i16', 'i8', 'ternary', 'binary'] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];

export interface Variant {
  /** As tables name it: `i8`, `binary d=0.25`, `binary (i8 ends)`. */
  label: string;
  /** One precision per layer with weights, in the network's order. */
  layers: PrecisionChoice[];
  /** Drop probability of every dropout layer; absent keeps the source's. */
  dropout?: number;
}

/** `--precision f32,i8,binary` (or `auto`): the choices, checked; a usage error lists them. */
export function parsePrecisions(text: string | undefined): { choices: PrecisionChoice[]; auto: boolean } {
  const items = (text ?? 'f32,i16,i8,ternary,binary').split(',').map((s) => s.trim());
  const bad = items.filter((s) => s !== 'auto' && !(PRECISION_CHOICES as readonly string[]).includes(s));
  if (bad.length || items.some((s) => s === '')) {
    throw new UsageError(`kiln explore: --precision takes a comma-separated list of ${PRECISION_CHOICES.join(', ')} or auto, not '${bad[0] ?? text}'`);
  }
  const auto = items.includes('auto');
  const choices = [...new Set(items.filter((s): s is PrecisionChoice => s !== 'auto'))];
  // auto mixes the other choices; alone it mixes all of them.
  return { choices: auto && choices.length === 0 ? [...PRECISION_CHOICES] : choices, auto };
}

/** `--dropout 0,0.25,0.5`: drop probabilities in [0, 1). */
export function parseDropouts(text: string | undefined): (number | undefined)[] {
  if (text === undefined) return [undefined];
  return text.split(',').map((s) => {
    const p = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(p) || p < 0 || p >= 1) throw new UsageError(`kiln explore: --dropout takes drop probabilities 0 ≤ p < 1, comma-separated (e.g. 0,0.25,0.5), not '${s}'`);
    return p;
  });
}

/** The layers whose weights a precision applies to, in the network's order. */
export function weightLayers(m: Module): string[] {
  return Object.values(m.nodes).filter((n) => typeof declaredPrecision(n, 'weights')?.dtype === 'string').map((n) => n.id);
}

export function dropoutLayers(m: Module): string[] {
  return Object.values(m.nodes).filter((n) => n.op === 'dropout').map((n) => n.id);
}

/**
 * A precision as layer attributes: integer weights per output channel (i8) or with one shared
 * exponent (i16), their activations at the same width, as `kiln quantize` does. Binary and ternary
 * layers also binarize (ternarize) what they output, so the next layer multiplies two narrow
 * operands (a MAC costs as its wider operand); the last layer's output stays f32, since it holds
 * the class scores (Courbariaux, Hubara et al. 2016 keep it real, as they keep the first layer's
 * real-valued input).
 */
export function layerPrecision(p: PrecisionChoice, last = false): LayerPrecision {
  const f32: Precision = { dtype: 'f32', granularity: 'per_tensor' };
  switch (p) {
    case 'f32': return { weights: f32, activations: f32 };
    case 'i8': return { weights: { dtype: 'i8', granularity: 'per_channel' }, activations: { dtype: 'i8', granularity: 'per_tensor' } };
    case 'i16': return { weights: { dtype: 'i16', granularity: 'per_tensor' }, activations: { dtype: 'i16', granularity: 'per_tensor' } };
    default: return { weights: { dtype: p, granularity: 'per_tensor' }, activations: last ? f32 : { dtype: p, granularity: 'per_tensor' } };
  }
}

/**
 * The layers with weights that multiply (conv, dense, recurrent). The others with weights are batch
 * norms: a precision never applies to their parameters, as binarized and ternary networks keep
 * batch norm real (Courbariaux, Hubara et al. 2016; Li et al. 2016), and they do no
 * multiply-accumulates a narrower width would save.
 */
export function multiplyingLayers(m: Module): Set<string> {
  // precisionMap asks for every cache key and variant; the answer depends on the network's
  // structure only, and moduleWork runs the whole workload model.
  let out = multiplying.get(m);
  if (!out) multiplying.set(m, (out = new Set(moduleWork(m).filter((l) => l.macs > 0).map((l) => l.node.id))));
  return out;
}
const multiplying = new WeakMap<Module, Set<string>>();

/**
 * Each multiplying layer's weights at its own choice; its output at the width of the multiplying
 * layer that reads it next, so a narrow layer after a wider first layer still multiplies narrow
 * operands; the last layer's output as its own choice says. A batch norm keeps f32 parameters and
 * outputs at the width of the multiplying layer after it (a binary one: sign, as the paper's
 * network binarizes after batch norm). The layer a batch norm reads outputs its real sum when its
 * choice is binary or ternary (binarizing before normalizing would throw away what batch norm
 * shifts), its own integer width otherwise, as `kiln quantize` does.
 */
export function precisionMap(m: Module, v: Variant): PrecisionMap {
  const ids = weightLayers(m);
  const mult = multiplyingLayers(m);
  const f32: Precision = { dtype: 'f32', granularity: 'per_tensor' };
  return Object.fromEntries(ids.map((id, i) => {
    const own = v.layers[i]!;
    const reader = ids.findIndex((x, j) => j > i && mult.has(x));
    const next = ids[i + 1];
    let activations: Precision | undefined;
    if (mult.has(id) && next !== undefined && !mult.has(next)) activations = own === 'binary' || own === 'ternary' ? f32 : layerPrecision(own).activations;
    else activations = reader < 0 ? layerPrecision(own, true).activations : layerPrecision(v.layers[reader]!).activations;
    return [id, { weights: mult.has(id) ? layerPrecision(own).weights : f32, activations }];
  }));
}

/** The variant with every layer at f32 and its dropout: what --ptq trains and quantizes from, and converts from. */
export const f32Variant = (v: Variant): Variant => ({ label: 'f32', layers: v.layers.map(() => 'f32'), dropout: v.dropout });

/** The network as the variant declares it. */
export function variantModule(m: Module, v: Variant): Module {
  let out = m;
  if (v.dropout !== undefined) {
    const nodes = { ...m.nodes };
    for (const id of dropoutLayers(m)) nodes[id] = { ...nodes[id]!, attrs: { ...nodes[id]!.attrs, p: v.dropout } };
    out = { ...m, nodes };
  }
  return withPrecisions(out, precisionMap(m, v));
}

/**
 * `i8`, `binary d=0.25`; a per-layer mix lists its layers in order, `i8/binary/binary/binary/i8`.
 * `shown` picks the layers a label names: a batch norm's slot sets only its output width, which
 * follows the layers around it, so a mix is named by the layers that multiply (the row's
 * `layers` has what every layer is given).
 */
export function label(layers: readonly PrecisionChoice[], dropout: number | undefined, shown: (i: number) => boolean = () => true): string {
  const named = layers.filter((_, i) => shown(i));
  const p = named.every((x) => x === named[0]) ? named[0]! : named.join('/');
  return dropout === undefined ? p : `${p} d=${dropout}`;
}

/**
 * What the variant applies to every layer with weights, by name: the weight and output types
 * precisionMap sets, which a label that names only the multiplying layers does not say. A batch
 * norm's slot in `Variant.layers` is no precision of its own (its weights stay f32, its output
 * follows the layer after it), so the row reports what is applied, not the slot.
 */
export function assignment(m: Module, v: Variant): Record<string, { weights: string; activations: string }> {
  return Object.fromEntries(Object.entries(precisionMap(m, v)).map(([id, p]) => [id, { weights: p.weights!.dtype, activations: p.activations!.dtype }]));
}

/** The uniform variants: every precision at every dropout rate. */
export function uniformVariants(m: Module, choices: readonly PrecisionChoice[], dropouts: readonly (number | undefined)[]): Variant[] {
  const n = weightLayers(m).length;
  return dropouts.flatMap((d) => choices.map((p) => ({ label: label(Array(n).fill(p), d), layers: Array<PrecisionChoice>(n).fill(p), dropout: d })));
}

/** Narrowness of a choice: f32 0 … binary 4. */
export const narrowness = (p: PrecisionChoice): number => PRECISION_CHOICES.indexOf(p);
