/**
 * Checkpoints: the weights, the optimizer state and where training stood, in one JSON file with
 * base64 typed arrays and a SHA-256 of its body. Written atomically (temporary file, fsync,
 * rename), so a kill mid-write leaves the previous checkpoint intact, never a torn file.
 */
import { createHash } from 'node:crypto';
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { writeFileAtomic } from '../compiler/io/atomic-write.ts';
import { readInputText } from '../compiler/io/read-input.ts';

export interface Checkpoint {
  network: string;
  /** Epochs completed. */
  epoch: number;
  seed: number;
  params: Map<string, Float32Array>;
  optimizer: { step: number; slots: Map<string, Float32Array[]> };
  /** Anything else a resumed run needs to continue exactly (RNG states, history). */
  extra: Record<string, unknown>;
}

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function unb64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function serializeCheckpoint(c: Checkpoint): string {
  const body = JSON.stringify({
    network: c.network, epoch: c.epoch, seed: c.seed, extra: c.extra,
    params: Object.fromEntries([...c.params].map(([k, v]) => [k, b64(v)])),
    optimizer: { step: c.optimizer.step, slots: Object.fromEntries([...c.optimizer.slots].map(([k, v]) => [k, v.map(b64)])) },
  });
  const sha256 = createHash('sha256').update(body).digest('hex');
  return JSON.stringify({ kiln: 'checkpoint', version: 1, sha256 }) + '\n' + body + '\n';
}

export function writeCheckpointAtomic(file: string, c: Checkpoint): void {
  writeFileAtomic(file, serializeCheckpoint(c), 'checkpoint');
}

export function readCheckpoint(file: string): Checkpoint {
  const text = readInputText(file, { kind: 'data', what: 'checkpoint' });
  const nl = text.indexOf('\n');
  const bad = (why: string) => new KilnError(error('checkpoint', `\`${file}\` is not a valid Kiln checkpoint: ${why}`, { file, line: 1, col: 1 }, 'write one with `kiln train … --checkpoint PATH`'));
  let header: { kiln?: string; version?: number; sha256?: string };
  try {
    header = JSON.parse(text.slice(0, nl));
  } catch {
    throw bad('no header line');
  }
  if (header.kiln !== 'checkpoint' || header.version !== 1) throw bad('wrong header');
  const body = text.slice(nl + 1).replace(/\n$/, '');
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw bad('checksum mismatch (the file is truncated or was edited)');
  const d = JSON.parse(body) as { network: string; epoch: number; seed: number; extra: Record<string, unknown>; params: Record<string, string>; optimizer: { step: number; slots: Record<string, string[]> } };
  return {
    network: d.network, epoch: d.epoch, seed: d.seed, extra: d.extra,
    params: new Map(Object.entries(d.params).map(([k, v]) => [k, unb64(v)])),
    optimizer: { step: d.optimizer.step, slots: new Map(Object.entries(d.optimizer.slots).map(([k, v]) => [k, v.map(unb64)])) },
  };
}
