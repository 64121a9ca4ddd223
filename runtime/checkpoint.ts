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
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { statOrUndefined, writeFileAtomic } from '../compiler/io/atomic-write.ts';
import { readPreprocess, type Preprocess } from './data/preprocess.ts';
import { type PrecisionMap, readPrecisionMap } from './quantize/layer-precision.ts';
import { readInputRange, readInputText } from '../compiler/io/read-input.ts';

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

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** Field-by-field checks of a sealed body; a bad field is an error naming it. */
export class BodyReader {
  constructor(private readonly file: string, private readonly k: Pick<SealedKind, 'what' | 'rewrite'> = { what: 'Kiln checkpoint', rewrite: REWRITE }) {}

  fail(at: string, why: string, line = 2): KilnError {
    return new KilnError(error('checkpoint', `\`${this.file}\` is not a valid ${this.k.what}: ${at ? `${at} ` : ''}${why}`, { file: this.file, line, col: 1 }, this.k.rewrite));
  }

  object(v: unknown, at: string): Json {
    if (!isObject(v)) throw this.fail(at, `must be an object, not ${show(v)}`);
    return v;
  }

  count(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.fail(at, `must be a whole number ≥ 0, not ${show(v)}`);
    return v;
  }

  /**
   * The bytes of a base64 string. Node's decoder skips characters outside the alphabet (and takes
   * base64url's), so the string is base64 exactly when its bytes encode back to it: two native
   * linear passes, where a regular expression over a checkpoint's megabytes took up to a second.
   */
  base64(v: unknown, at: string, what = 'a base64 string'): Buffer {
    if (typeof v !== 'string') throw this.fail(at, `must be ${what}`);
    const bytes = Buffer.from(v, 'base64');
    if (bytes.toString('base64') === v) return bytes;
    const bad = v.search(/[^A-Za-z0-9+/=]/);
    throw this.fail(at, `must be ${what}: ${bad >= 0 ? `character ${bad} is ${JSON.stringify(v[bad])}` : v.length % 4 ? `its length ${v.length} is not a multiple of 4` : 'its padding is misplaced or its last character has bits set beyond the data'}`);
  }

  /** A base64 float32 tensor whose every value is finite. */
  tensor(v: unknown, at: string, length?: number): Float32Array {
    const bytes = this.base64(v, at, 'a base64 string of float32 values');
    if (bytes.byteLength % 4 !== 0) throw this.fail(at, `holds ${bytes.byteLength} bytes, not a whole number of float32 values`);
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    if (length !== undefined && out.length !== length) throw this.fail(at, `holds ${out.length} values, but its parameter holds ${length}`);
    // A plain loop: findIndex's callback per value cost six times as much on a checkpoint's millions.
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) throw this.fail(at, `holds ${out[i]} at index ${i}; weights must be finite numbers (the run diverged before this checkpoint)`);
    }
    return out;
  }

  key(k: string, at: string): string {
    const slash = k.lastIndexOf('/');
    if (slash <= 0 || slash === k.length - 1) throw this.fail(`${at}[${JSON.stringify(k)}]`, 'is not a parameter name of the form NODE/PARAM');
    return k;
  }
}

/** What a sealed file is: the header's `kiln` kind and version, and how errors name and fix it. */
export interface SealedKind {
  kind: string;
  version: number;
  /** "Kiln checkpoint", for "`F` is not a valid Kiln checkpoint: …" */
  what: string;
  /** How to get a good file. */
  rewrite: string;
  /** What to do about a file of another format version. */
  versionHint: string;
}

const CHECKPOINT_KIND: SealedKind = {
  kind: 'checkpoint', version: CHECKPOINT_VERSION, what: 'Kiln checkpoint', rewrite: REWRITE,
  versionHint: 'train again with this version of Kiln to write a checkpoint it can read',
};

/** A sealed file's header line as read, and parsed (undefined when it is not JSON). */
export interface SealedHeader { line: string; json: unknown }

/**
 * Read a sealed file's header once: the caller picks a reader by its kind (`sealedKindOf`) and
 * hands it to that reader, which would otherwise read it again.
 */
export function readSealedHeader(file: string): SealedHeader {
  const line = headerLine(file);
  try {
    return { line, json: JSON.parse(line) };
  } catch {
    return { line, json: undefined };
  }
}

/** The `kiln` kind a header names (undefined when it has none), to pick a reader. */
export function sealedKindOf(h: SealedHeader): string | undefined {
  return isObject(h.json) && typeof h.json.kiln === 'string' ? h.json.kiln : undefined;
}

/**
 * A sealed file's first line. Of a regular file only its first block is read: the reader that
 * follows reads the whole file anyway, and reading a 47 MB checkpoint twice showed in `kiln run`'s
 * profile. Anything else (missing, a FIFO, a header longer than the block) goes through the
 * reader that says what is wrong with it.
 */
function headerLine(file: string): string {
  if (statOrUndefined(file)?.isFile()) {
    // Through the one reader: the path may have become a FIFO or an unreadable file since the stat.
    const text = readInputRange(file, 0, 4096, { kind: 'data', what: 'checkpoint' }).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl);
  }
  const text = readSealedText(file, 'checkpoint');
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function readSealedText(file: string, kind: string): string {
  return readInputText(file, { kind: 'data', what: kind });
}

/** The header line's checks: kind and format version. */
function checkHeader(r: BodyReader, file: string, header: unknown, k: SealedKind): Json {
  if (!isObject(header) || header.kiln !== k.kind) throw r.fail('', `no header line \`{"kiln": "${k.kind}", …}\``, 1);
  if (header.version !== k.version) {
    throw new KilnError(error('checkpoint', `${k.kind} \`${file}\` is format version ${show(header.version)}; this Kiln reads version ${k.version}`, { file, line: 1, col: 1 },
      k.versionHint));
  }
  return header;
}

const MISMATCH = 'checksum mismatch (the file is truncated or was edited)';

function parseBody(r: BodyReader, body: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw r.fail('the body', `is not JSON: ${(e as Error).message}`);
  }
  return r.object(doc, 'the body');
}

/** Read a sealed file, check its header and checksum, and parse its body as a JSON object. */
export function openSealed(file: string, k: SealedKind): { r: BodyReader; body: Json } {
  const text = readSealedText(file, k.kind);
  const r = new BodyReader(file, k);
  const nl = text.indexOf('\n');
  let header: unknown;
  try {
    header = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  } catch {
    header = undefined;
  }
  header = checkHeader(r, file, header, k);
  if (nl < 0) throw r.fail('the body', 'is missing (the file is truncated)', 1);
  const body = text.slice(nl + 1).replace(/\n$/, '');
  if (createHash('sha256').update(body).digest('hex') !== (header as Json).sha256) throw r.fail('', MISMATCH, 1);
  return { r, body: parseBody(r, body) };
}

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
  const r = new BodyReader(file);
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
  const section = o.weightsOnly ? openWeightsSection(file, o.header ?? readSealedHeader(file)) : undefined;
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
