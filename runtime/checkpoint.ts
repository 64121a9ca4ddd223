/**
 * Checkpoints: the weights, the optimizer state and where training stood, in one JSON file with
 * base64 typed arrays and a SHA-256 of its body. Written atomically (temporary file, fsync,
 * rename), so a kill mid-write leaves the previous checkpoint intact, never a torn file.
 *
 * A valid checksum only says the file is what some writer wrote, so the body is then checked
 * field by field (types, tensor lengths, finite values, optimizer slots matching their
 * parameters), and a bad field is reported by its path, e.g. `params["fc/w"]`. Keys this Kiln
 * does not know are kept in `extra` or ignored, so newer optional fields do not break reading.
 */
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../compiler/io/atomic-write.ts';
import { readPreprocess, type Preprocess } from './data/preprocess.ts';
import { type PrecisionMap, readPrecisionMap } from './quantize/layer-precision.ts';
import { readInputRange } from '../compiler/io/read-input.ts';
import { BodyReader, isObject, type Json, MISMATCH, openSealed, parseBody, readSealedHeader, type SealedHeader, type SealedKind, show } from './sealed.ts';

export interface Checkpoint {
  network: string;
  /** Epochs completed. */
  epoch: number;
  seed: number;
  params: Map<string, Float32Array>;
  optimizer: { step: number; slots: Map<string, Float32Array[]> };
  /** Anything else a resumed run needs to continue exactly (RNG states, history). */
  extra: Record<string, unknown>;
  /**
   * How training preprocessed its inputs. An optional key of the body: checkpoints written before
   * it existed (or with a form this version does not know) read as undefined, i.e. unknown.
   */
  preprocess?: Preprocess;
  /**
   * Layers whose precision differs from what the source declares (a post-training-quantized
   * checkpoint); their static scales are in `params` as `<layer>/weight_scale`, `<layer>/act_scale` (input) and
   * `<layer>/out_scale` (output).
   */
  precision?: PrecisionMap;
}

export const CHECKPOINT_VERSION = 1;

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/**
 * The header line and its checksum around a body: the whole file as written. With `weightsEnd`
 * (the body's length before `,"optimizer":`) the header also seals that leading section on its
 * own, `weights: {bytes, sha256}`, so a reader that needs only the weights checks only them
 * (readCheckpoint's weightsOnly). Both hashes come from one pass over the body.
 */
export function sealCheckpointBody(body: string, header: Record<string, unknown> = {}, weightsEnd?: number): string {
  const h = createHash('sha256');
  let weights: { bytes: number; sha256: string } | undefined;
  if (weightsEnd !== undefined) {
    const lead = body.slice(0, weightsEnd);
    h.update(lead);
    weights = { bytes: Buffer.byteLength(lead), sha256: h.copy().digest('hex') };
    h.update(body.slice(weightsEnd));
  } else {
    h.update(body);
  }
  const sha256 = h.digest('hex');
  return JSON.stringify({ kiln: 'checkpoint', version: CHECKPOINT_VERSION, sha256, ...(weights ? { weights } : {}), ...header }) + '\n' + body + '\n';
}

/** What follows the weights section in a checkpoint body: the optimizer, its last key. */
const OPTIMIZER_KEY = ',"optimizer":';

export function serializeCheckpoint(c: Checkpoint): string {
  const lead = JSON.stringify({
    network: c.network, epoch: c.epoch, seed: c.seed, extra: c.extra,
    ...(c.preprocess ? { preprocess: c.preprocess } : {}),
    ...(c.precision ? { precision: c.precision } : {}),
    params: Object.fromEntries([...c.params].map(([k, v]) => [k, b64(v)])),
  }).slice(0, -1);
  const optimizer = JSON.stringify({ step: c.optimizer.step, slots: Object.fromEntries([...c.optimizer.slots].map(([k, v]) => [k, v.map(b64)])) });
  return sealCheckpointBody(lead + OPTIMIZER_KEY + optimizer + '}', {}, lead.length);
}

export function writeCheckpointAtomic(file: string, c: Checkpoint): void {
  writeFileAtomic(file, serializeCheckpoint(c), 'checkpoint');
}

const REWRITE = 'the file is damaged or was not written by `kiln train`; write a fresh one with `kiln train … --checkpoint PATH`';


const CHECKPOINT_KIND: SealedKind = {
  kind: 'checkpoint', version: CHECKPOINT_VERSION, what: 'Kiln checkpoint', rewrite: REWRITE,
  versionHint: 'train again with this version of Kiln to write a checkpoint it can read',
};

/**
 * A checkpoint's weights section alone (everything before the optimizer), checked against its own
 * hash in the header; the optimizer's bytes are never read. Undefined when the file's header seals
 * no such section (written before it existed, or not a well-formed checkpoint header): the caller
 * then reads the whole file, which also says what is wrong with a bad one.
 */
function openWeightsSection(file: string, { line, json: header }: SealedHeader): { r: BodyReader; body: Json } | undefined {
  if (!isObject(header) || header.kiln !== CHECKPOINT_KIND.kind || header.version !== CHECKPOINT_VERSION || !isObject(header.weights)) return undefined;
  const { bytes, sha256 } = header.weights;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 2 || typeof sha256 !== 'string') return undefined;
  const r = new BodyReader(file, CHECKPOINT_KIND);
  const start = Buffer.byteLength(line) + 1;
  const data = readInputRange(file, start, bytes + OPTIMIZER_KEY.length, { kind: 'data', what: 'checkpoint' });
  const lead = data.subarray(0, bytes);
  if (lead.length < bytes || createHash('sha256').update(lead).digest('hex') !== sha256
    || data.subarray(bytes).toString('latin1') !== OPTIMIZER_KEY) throw r.fail('the weights section', MISMATCH, 1);
  return { r, body: parseBody(r, lead.toString('utf8') + '}') };
}

export interface ReadCheckpointOptions {
  /**
   * Inference only: read and check the weights section (parameters, scales, precisions, preprocessing,
   * `extra`) against its own SHA-256, and leave the optimizer's moments unread and unchecked; the
   * result's optimizer is then empty, as an export's. Training (resume) reads the whole file.
   */
  weightsOnly?: boolean;
  /** The file's header when the caller has read it already (readSealedHeader). */
  header?: SealedHeader;
}

export function readCheckpoint(file: string, o: ReadCheckpointOptions = {}): Checkpoint {
  const section = o.weightsOnly ? openWeightsSection(file, o.header ?? readSealedHeader(file, CHECKPOINT_KIND.kind)) : undefined;
  const { r, body: d } = section ?? openSealed(file, CHECKPOINT_KIND);
  if (typeof d.network !== 'string' || d.network === '') throw r.fail('`network`', `must be the network's name, not ${show(d.network)}`);
  const extra = d.extra === undefined ? {} : r.object(d.extra, '`extra`');
  const params = new Map<string, Float32Array>();
  for (const [k, v] of Object.entries(r.object(d.params, '`params`'))) params.set(r.key(k, 'params'), r.tensor(v, `params[${JSON.stringify(k)}]`));
  const optimizer = section ? { step: 0, slots: new Map<string, Float32Array[]>() } : readOptimizer(r, d.optimizer, params);
  checkExtra(r, extra, params);
  return { network: d.network, epoch: r.count(d.epoch, '`epoch`'), seed: r.count(d.seed, '`seed`'), extra, preprocess: checkPreprocess(r, d.preprocess), precision: readPrecisionMap(d.precision, (at, why) => r.fail(at, why)), params, optimizer };
}

/** The optimizer's step and moment slots, each slot as long as its parameter. */
function readOptimizer(r: BodyReader, v: unknown, params: Map<string, Float32Array>): Checkpoint['optimizer'] {
  const opt = r.object(v, '`optimizer`');
  const slots = new Map<string, Float32Array[]>();
  for (const [k, v] of Object.entries(r.object(opt.slots, '`optimizer.slots`'))) {
    const at = `optimizer.slots[${JSON.stringify(k)}]`;
    const p = params.get(k);
    if (!p) throw r.fail(at, 'belongs to no parameter in `params`');
    if (!Array.isArray(v) || v.length === 0) throw r.fail(at, `must be a non-empty array of tensors, not ${show(v)}`);
    slots.set(k, v.map((t, i) => r.tensor(t, `${at}[${i}]`, p.length)));
  }
  return { step: r.count(opt.step, '`optimizer.step`'), slots };
}

/** Absent is an old checkpoint (run warns and uses samples as given); present but unreadable is damage. */
function checkPreprocess(r: BodyReader, v: unknown): Preprocess | undefined {
  if (v === undefined) return undefined;
  const p = readPreprocess(v);
  if (!p) throw r.fail('`preprocess`', `must be {"kind": "none"} or {"kind": "standardize", "mean": [...], "std": [...]} with one finite mean and positive std per feature, not ${show(v)}`);
  return p;
}

/** The known keys of `extra` that resuming relies on; others pass through untouched. */
function checkExtra(r: BodyReader, extra: Json, params: Map<string, Float32Array>): void {
  if (extra.step !== undefined) r.count(extra.step, '`extra.step`');
  if (extra.order !== undefined && (typeof extra.order !== 'number' || !Number.isInteger(extra.order) || extra.order < 0 || extra.order >= 2 ** 32)) {
    throw r.fail('`extra.order`', `must be a 32-bit generator state, not ${show(extra.order)}`);
  }
  if (extra.history !== undefined && (!Array.isArray(extra.history) || !extra.history.every(isObject))) throw r.fail('`extra.history`', 'must be an array of epoch reports');
  if (extra.optimizer !== undefined && typeof extra.optimizer !== 'string') throw r.fail('`extra.optimizer`', `must be an optimizer name, not ${show(extra.optimizer)}`);
  if (extra.shapes === undefined) return;
  for (const [k, s] of Object.entries(r.object(extra.shapes, '`extra.shapes`'))) {
    const at = `extra.shapes[${JSON.stringify(k)}]`;
    if (!Array.isArray(s) || !s.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) throw r.fail(at, `must be a list of whole dimensions, not ${show(s)}`);
    const declared = s.reduce((a: number, b: number) => a * b, 1);
    const p = params.get(k);
    if (p && declared !== p.length) throw r.fail(at, `declares ${declared} values, but params[${JSON.stringify(k)}] holds ${p.length}`);
  }
}
