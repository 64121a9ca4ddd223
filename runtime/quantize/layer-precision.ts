/**
 * A checkpoint's precision assignment: which layers run quantized, at which precision, whatever
 * the source file declares. `kiln quantize` writes one (the file declares f32; the checkpoint's
 * layers are i8), and every reader of a checkpoint applies it to the compiled network before
 * running it, so the same FILE runs as declared with a training checkpoint and quantized with a
 * quantized one. Static scales travel beside it as parameters `<layer>/weight_scale` (one per
 * tensor or per output channel; for i16 a power of two, 2^exponent), `<layer>/act_scale` (one: the
 * scale of what the layer reads) and `<layer>/out_scale` (one: the scale of its output), which
 * fake quantization and the integer kernels use instead of deriving scales from each batch.
 */
import { GRANULARITIES, isPrecisionName, type Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { inferShapes } from '../../compiler/passes/infer-shapes.ts';
import { runPipeline } from '../../compiler/passes/pass.ts';

export interface LayerPrecision {
  weights?: Precision;
  activations?: Precision;
}

/** Layer id → its precisions. */
export type PrecisionMap = Record<string, LayerPrecision>;

export const WEIGHT_SCALE = 'weight_scale';
export const OUT_SCALE = 'out_scale';
/** The scale of what a quantized layer reads: the integer executor's input quantization. */
export const INPUT_SCALE = 'act_scale';

/**
 * The static scale of a quantized parameter: `weight_scale` for a layer's `weight` (the agreed
 * name, and the only quantized parameter of dense and conv layers), `<param>_scale` for the others
 * (an LSTM's w_ih, w_hh), so every quantized tensor of a layer has its own.
 */
export const scaleParamFor = (param: string): string => (param === 'weight' ? WEIGHT_SCALE : `${param}_scale`);

/** Static scales are side data of a quantized layer, not parameters an op reads or training updates. */
export const isScaleParam = (name: string): boolean => name.endsWith('_scale');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readOne(v: unknown): Precision | undefined {
  if (!isObject(v) || typeof v.dtype !== 'string' || !isPrecisionName(v.dtype)) return undefined;
  if (typeof v.granularity !== 'string' || !(GRANULARITIES as readonly string[]).includes(v.granularity)) return undefined;
  return { dtype: v.dtype, granularity: v.granularity as Precision['granularity'] };
}

/**
 * Check a stored precision map; `fail(at, why)` builds the reader's error for the field `at`.
 * Absent is undefined (a checkpoint that keeps the file's declared precisions).
 */
export function readPrecisionMap(v: unknown, fail: (at: string, why: string) => Error): PrecisionMap | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw fail('`precision`', 'must be an object {"LAYER": {"weights": {...}, "activations": {...}}}');
  // No prototype: a layer called `__proto__` is an ordinary key, refused below as no layer of the network.
  const out: PrecisionMap = Object.create(null) as PrecisionMap;
  for (const [layer, entry] of Object.entries(v)) {
    const at = `precision[${JSON.stringify(layer)}]`;
    if (!isObject(entry)) throw fail(at, 'must be an object with "weights" and/or "activations"');
    const lp: LayerPrecision = {};
    for (const role of ['weights', 'activations'] as const) {
      if (entry[role] === undefined) continue;
      const p = readOne(entry[role]);
      if (!p) throw fail(`${at}.${role}`, `must be {"dtype": "i8", "granularity": "per_tensor"} with a dtype among f32, bf16, f16, i16, i8, ternary, binary, not ${JSON.stringify(entry[role]).slice(0, 60)}`);
      lp[role] = p;
    }
    out[layer] = lp;
  }
  return out;
}

/**
 * The network with a precision map applied to its layers' `weights` / `activations` attributes,
 * and its types inferred again (parameter dtypes follow `weights`, outputs `activations`), so the
 * interpreter and the cost models both see the quantized network.
 */
export function withPrecisions(m: Module, map: PrecisionMap | undefined): Module {
  if (!map || Object.keys(map).length === 0) return m;
  const nodes = { ...m.nodes };
  for (const [id, lp] of Object.entries(map)) {
    const node = nodes[id];
    if (!node) continue;
    nodes[id] = { ...node, attrs: { ...node.attrs, ...(lp.weights ? { weights: lp.weights } : {}), ...(lp.activations ? { activations: lp.activations } : {}) } };
  }
  const r = runPipeline({ ...m, nodes }, [inferShapes]);
  if (!r.ok) throw new Error(`re-typing ${m.name} at its checkpoint's precisions failed: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.module;
}

/** The layers a precision map names that `m` lacks, for a clear error instead of a silent skip. */
export function unknownLayers(m: Module, map: PrecisionMap | undefined): string[] {
  return Object.keys(map ?? {}).filter((id) => !Object.hasOwn(m.nodes, id));
}
