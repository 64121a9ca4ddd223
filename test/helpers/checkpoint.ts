/**
 * Checkpoints for tests: an untrained one for any network (no training run needed), and any
 * body at all sealed with a valid header and checksum, so a test can reach the checks that
 * come after the checksum.
 */
import { writeFileSync } from 'node:fs';
import { paramKey } from '../../runtime/train/state.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { sealCheckpointBody, writeCheckpointAtomic } from '../../runtime/checkpoint.ts';

/** Write an epoch-0 checkpoint of `source`'s network (seeded initial weights) to `file`. */
export function writeUntrainedCheckpoint(source: string, file: string): void {
  const { module } = prepare(source);
  const params = new Map<string, Float32Array>();
  for (const [id, ps] of Object.entries(initParams(module, 0))) for (const [name, t] of Object.entries(ps)) params.set(paramKey(id, name), t.data);
  writeCheckpointAtomic(file, { network: module.name, epoch: 0, seed: 0, params, optimizer: { step: 0, slots: new Map() }, extra: {}, preprocess: { kind: 'none' } });
}

/** Write `body` (an object, serialised as JSON, or raw text) under a valid checksum. */
export function writeSealedCheckpoint(file: string, body: unknown, header: Record<string, unknown> = {}): void {
  writeFileSync(file, sealCheckpointBody(typeof body === 'string' ? body : JSON.stringify(body), header));
}

/** base64 of float32 values, as checkpoints store tensors. */
export function f32b64(values: readonly number[]): string {
  const a = Float32Array.from(values);
  return Buffer.from(a.buffer).toString('base64');
}
