/**
 * The deployable model `kiln export` writes: only what inference needs, each weight tensor packed
 * at its layer's precision (pack.ts) with its scales beside it, no optimizer state and no latent
 * weights. Sealed like a checkpoint (a header line `{"kiln": "export", "version", "sha256"}` and a
 * JSON body, runtime/checkpoint.ts) and checked field by field on load, so `kiln run` reads it
 * wherever it reads a checkpoint: unpacked, it is a checkpoint of the quantized weights whose
 * static scales make the run use exactly those values.
 *
 * Body: {"network", "preprocess"?, "precision": {LAYER: {"weights"?, "activations"?}},
 *        "tensors": {"LAYER/PARAM": {"dtype": "f32"|"i16"|"i8"|"ternary"|"binary", "shape": [...],
 *        "data": base64, "scale"?: base64 f32}}}
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { precisionOf } from '../../compiler/ir/node-precision.ts';
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import { isQuantizedParam } from '../autodiff/precision.ts';
import { type Checkpoint, sealCheckpointBody } from '../checkpoint.ts';
import { type BodyReader, openSealed, type SealedKind } from '../sealed.ts';
import type { Preprocess } from '../data/preprocess.ts';
import { readPreprocess } from '../data/preprocess.ts';
import type { Weights } from '../interpreter/types.ts';
import { OUT_SCALE, type PrecisionMap, readPrecisionMap, scaleParamFor } from '../quantize/layer-precision.ts';
import { isPacked, type Packed, packedBytes, packWeight, unpackWeight } from './pack.ts';

export const EXPORT_VERSION = 1;

const EXPORT_KIND: SealedKind = {
  kind: 'export', version: EXPORT_VERSION, what: 'Kiln export',
  rewrite: 'the file is damaged or was not written by `kiln export`; write a fresh one with `kiln export SOURCE --checkpoint CKPT --out FILE`',
  versionHint: 'export again with this version of Kiln',
};

const b64 = (a: Uint8Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

const weightPrecision = (m: Module, id: string): Precision | undefined => {
  const node = m.nodes[id];
  return node && precisionOf(node, 'weights');
};

/** Every layer of `m` whose weights or activations are not f32: what the export's reader applies. */
function precisionMap(m: Module): PrecisionMap {
  const out: PrecisionMap = {};
  for (const node of Object.values(m.nodes)) {
    const w = precisionOf(node, 'weights');
    const a = precisionOf(node, 'activations');
    if (w || a) out[node.id] = { ...(w ? { weights: w } : {}), ...(a ? { activations: a } : {}) };
  }
  return out;
}

/**
 * The export of `m` (at its effective precisions) with `weights` (a checkpoint's, static scales
 * included) as the sealed file text. f16/bf16 weights stay f32 here (no packing of their own yet).
 */
export function serializeExport(m: Module, weights: Weights, preprocess?: Preprocess): string {
  const tensors: Record<string, unknown> = {};
  for (const node of Object.values(m.nodes)) {
    const own = weights[node.id];
    if (!own) continue;
    const p = weightPrecision(m, node.id);
    const packedHere = new Set<string>();
    for (const [name, t] of Object.entries(own)) {
      if (!p || !isPacked(p.dtype) || !isQuantizedParam(node.op, name)) continue;
      const pk = packWeight(t, p, own[scaleParamFor(name)]?.data);
      tensors[`${node.id}/${name}`] = { dtype: pk.dtype, shape: t.shape, data: b64(pk.bytes), ...(pk.scale ? { scale: b64(pk.scale) } : {}) };
      packedHere.add(scaleParamFor(name));
    }
    for (const [name, t] of Object.entries(own)) {
      if (tensors[`${node.id}/${name}`] || packedHere.has(name)) continue;
      tensors[`${node.id}/${name}`] = { dtype: 'f32', shape: t.shape, data: b64(t.data) };
    }
  }
  return sealCheckpointBody(JSON.stringify({ network: m.name, ...(preprocess ? { preprocess } : {}), precision: precisionMap(m), tensors }), { kiln: 'export', version: EXPORT_VERSION });
}

export function writeExportAtomic(file: string, m: Module, weights: Weights, preprocess?: Preprocess): number {
  const text = serializeExport(m, weights, preprocess);
  writeFileAtomic(file, text, 'export');
  return Buffer.byteLength(text);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bytes(r: BodyReader, v: unknown, at: string): Uint8Array {
  return new Uint8Array(r.base64(v, at));
}

function shapeOf(r: BodyReader, v: unknown, at: string): number[] {
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) throw r.fail(at, `must be a list of whole dimensions, not ${JSON.stringify(v)?.slice(0, 60)}`);
  return v as number[];
}

/** One packed tensor: its bytes fill its shape exactly and its scales are usable. */
function packedTensor(r: BodyReader, e: Record<string, unknown>, dtype: Packed['dtype'], shape: number[], at: string): { values: Float32Array; scale?: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = bytes(r, e.data, `${at}.data`);
  if (data.byteLength !== packedBytes(dtype, n)) throw r.fail(`${at}.data`, `holds ${data.byteLength} bytes; ${n} ${dtype} values take ${packedBytes(dtype, n)}`);
  let scale: Float32Array | undefined;
  if (dtype === 'binary') {
    if (e.scale !== undefined) throw r.fail(`${at}.scale`, 'must be absent: binary weights are ±1');
  } else {
    scale = r.tensor(e.scale, `${at}.scale`);
    const bad = scale.findIndex((s) => (dtype === 'ternary' ? s < 0 : s <= 0));
    if (bad >= 0) throw r.fail(`${at}.scale`, `holds ${scale[bad]} at index ${bad}; scales must be ${dtype === 'ternary' ? '≥ 0' : 'positive'}`);
  }
  const values = unpackWeight({ dtype, bytes: data, scale }, shape, (why) => r.fail(at, why));
  return { values, scale };
}

/** Read an export as the checkpoint it stands for: unpacked weights, their static scales, its precisions. */
export function readExport(file: string): Checkpoint {
  const { r, body: d } = openSealed(file, EXPORT_KIND);
  if (typeof d.network !== 'string' || d.network === '') throw r.fail('`network`', 'must be the network\'s name');
  const precision = readPrecisionMap(d.precision ?? {}, (at, why) => r.fail(at, why)) ?? {};
  let preprocess: Preprocess | undefined;
  if (d.preprocess !== undefined && !(preprocess = readPreprocess(d.preprocess))) throw r.fail('`preprocess`', 'must be {"kind": "none"} or {"kind": "standardize", "mean": [...], "std": [...]}');
  const params = new Map<string, Float32Array>();
  const shapes: Record<string, number[]> = {};
  for (const [key, e] of Object.entries(r.object(d.tensors, '`tensors`'))) {
    const at = `tensors[${JSON.stringify(key)}]`;
    r.key(key, 'tensors');
    if (!isObject(e)) throw r.fail(at, 'must be an object {"dtype", "shape", "data"}');
    const shape = shapeOf(r, e.shape, `${at}.shape`);
    const layer = key.slice(0, key.lastIndexOf('/'));
    const name = key.slice(key.lastIndexOf('/') + 1);
    if (e.dtype === 'f32') {
      params.set(key, r.tensor(e.data, `${at}.data`, shape.reduce((a, b) => a * b, 1)));
    } else if (typeof e.dtype === 'string' && isPacked(e.dtype)) {
      const declared = precision[layer]?.weights?.dtype;
      if (declared !== e.dtype) throw r.fail(`${at}.dtype`, `is ${e.dtype}, but \`precision\` gives layer \`${layer}\` ${declared ? `${declared} weights` : 'no quantized weights'}`);
      const t = packedTensor(r, e, e.dtype, shape, at);
      params.set(key, t.values);
      if (t.scale) params.set(`${layer}/${scaleParamFor(name)}`, t.scale);
    } else {
      throw r.fail(`${at}.dtype`, `must be one of f32, i16, i8, ternary, binary, not ${JSON.stringify(e.dtype)?.slice(0, 40)}`);
    }
    shapes[key] = shape;
    if (name === OUT_SCALE && params.get(key)!.some((s) => !(s > 0))) throw r.fail(`${at}.data`, 'must hold a positive scale');
  }
  return { network: d.network, epoch: 0, seed: 0, params, optimizer: { step: 0, slots: new Map() }, extra: { shapes }, preprocess, precision };
}
