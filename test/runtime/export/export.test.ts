/**
 * kiln export: weights packed at their precision. Sizes against the f32 twin of the same network
 * (binary ≥ 25×, close to the 32× of Courbariaux, Hubara et al. 2016 once biases and batch-norm
 * parameters, which stay f32, are counted; ternary ≥ 12×, 2 bits against 32), the round trip
 * bit-exact with what the quantized run uses, and malformed exports refused by field.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveWeights, forward } from '../../../runtime/autodiff/forward.ts';
import { sealCheckpointBody } from '../../../runtime/checkpoint.ts';
import { serializeExport } from '../../../runtime/export/model-file.ts';
import { packWeight, unpackWeight } from '../../../runtime/export/pack.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { loadCheckpointInto } from '../../../runtime/train/state.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { type Tensor, zeros } from '../../../runtime/tensor.ts';
import { writeUntrainedCheckpoint } from '../../helpers/checkpoint.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kiln-export-'));
const source = readFileSync('examples/binary_mlp.kiln', 'utf8');

/** binary_mlp with its `weights = binary` replaced by `to` (f32 for the twin). */
function variant(name: string, to: string): string {
  const file = path.join(dir, `${name}.kiln`);
  writeFileSync(file, to === 'binary' ? source : source.replaceAll('weights = binary', to === 'f32' ? 'weights = f32' : `weights = ${to}`));
  return file;
}

function exportOf(kiln: string, tag: string): { file: string; ckpt: string } {
  const ckpt = path.join(dir, `${tag}.ckpt`);
  writeUntrainedCheckpoint(kiln, ckpt);
  const p = prepare(kiln);
  const w = initParams(p.module, 0);
  const { module } = loadCheckpointInto(ckpt, p.module, w);
  const file = path.join(dir, `${tag}.kexp`);
  writeFileSync(file, serializeExport(module, w, { kind: 'none' }));
  return { file, ckpt };
}

function outputsWith(kiln: string, weightsFile: string): Float32Array {
  const p = prepare(kiln);
  const w = initParams(p.module, 7);
  const { module } = loadCheckpointInto(weightsFile, p.module, w);
  const x = zeros(p.module.nodes.x!.type!.shape);
  for (let i = 0; i < x.data.length; i++) x.data[i] = ((i * 7919) % 1000) / 1000;
  return forward(module, w, { x }, { record: false }).outputs[module.outputs[0]!]!.data;
}

describe('export sizes against the f32 twin', () => {
  const f32 = exportOf(variant('f32', 'f32'), 'f32');
  const size = (f: string) => statSync(f).size;

  it('binary_mlp is at least 25× smaller', () => {
    const bin = exportOf(variant('binary', 'binary'), 'binary');
    expect(size(f32.file) / size(bin.file)).toBeGreaterThanOrEqual(25);
    // The training checkpoint keeps latent f32 weights (and would keep optimizer moments): no smaller.
    expect(size(bin.ckpt)).toBeGreaterThan(size(f32.file) * 0.9);
  });

  it('a ternary variant is at least 12× smaller', () => {
    const ter = exportOf(variant('ternary', 'ternary'), 'ternary');
    expect(size(f32.file) / size(ter.file)).toBeGreaterThanOrEqual(12);
  });
});

describe('round trip', () => {
  for (const [prec, tag] of [['binary', 'rt-bin'], ['ternary', 'rt-ter'], ['ternary per_channel', 'rt-terpc'], ['i8 per_channel', 'rt-i8'], ['i16', 'rt-i16']] as const) {
    it(`${prec}: the export runs bit for bit like the checkpoint it came from`, () => {
      const kiln = variant(tag, prec);
      const { file, ckpt } = exportOf(kiln, tag);
      expect(Array.from(outputsWith(kiln, file))).toEqual(Array.from(outputsWith(kiln, ckpt)));
    });
  }

  it('unpacking gives exactly the fake-quantized weights', () => {
    const w: Tensor = { shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => Math.sin(i * 1.7) * (i + 1)) };
    for (const dtype of ['binary', 'ternary', 'i8', 'i16'] as const) {
      for (const granularity of ['per_tensor', 'per_channel'] as const) {
        const p = { dtype, granularity };
        const pk = packWeight(w, p);
        const back = unpackWeight(pk, w.shape, (why) => new Error(why));
        const { weights } = effectiveWeights({ name: 'n', params: {}, timesteps: 1, inputs: [], outputs: [], nodes: { d: { id: 'd', op: 'dense', inputs: [], attrs: { weights: p } } } }, { d: { weight: w } });
        expect(Array.from(back)).toEqual(Array.from(weights.d!.weight!.data));
      }
    }
  });
});

describe('malformed exports', () => {
  const good = JSON.parse(readFileSync(exportOf(variant('bad', 'ternary'), 'bad').file, 'utf8').split('\n')[1]!);
  const kiln = path.join(dir, 'bad.kiln');
  const load = (body: unknown, header: Record<string, unknown> = { kiln: 'export', version: 1 }): string => {
    const file = path.join(dir, `m${Math.random().toString(36).slice(2)}.kexp`);
    writeFileSync(file, sealCheckpointBody(JSON.stringify(body), header));
    const p = prepare(kiln);
    try {
      loadCheckpointInto(file, p.module, initParams(p.module, 0));
    } catch (e) {
      expect(e).toBeInstanceOf(KilnError);
      return (e as KilnError).diagnostics[0]!.message;
    }
    return 'loaded';
  };
  const edit = (f: (b: typeof good) => void) => { const b = structuredClone(good); f(b); return b; };

  it('loads the good one', () => expect(load(good)).toBe('loaded'));
  it('names a dtype that is not a storage format', () => expect(load(edit((b) => { b.tensors['h1.dense/weight'].dtype = 'i4'; }))).toMatch(/tensors\["h1\.dense\/weight"\]\.dtype must be one of/));
  it('names a dtype that disagrees with the layer precision', () => expect(load(edit((b) => { b.tensors['h1.dense/weight'].dtype = 'binary'; }))).toMatch(/is binary, but `precision` gives layer `h1\.dense` ternary weights/));
  it('names data of the wrong length', () => expect(load(edit((b) => { b.tensors['h1.dense/weight'].data = 'AAAA'; }))).toMatch(/\.data holds 3 bytes; 802816 ternary values take 200704/));
  it('names an invalid ternary code', () => expect(load(edit((b) => {
    const bytes = Buffer.from(b.tensors['h2.dense/weight'].data, 'base64'); bytes[5] = 0xff; b.tensors['h2.dense/weight'].data = bytes.toString('base64');
  }))).toMatch(/h2\.dense\/weight"\] holds the invalid ternary code 11 at index 20/));
  it('names a negative scale', () => expect(load(edit((b) => { b.tensors['h1.dense/weight'].scale = Buffer.from(Float32Array.of(-1).buffer).toString('base64'); }))).toMatch(/\.scale holds -1 at index 0; scales must be ≥ 0/));
  it('names a bad shape', () => expect(load(edit((b) => { b.tensors['h1.dense/weight'].shape = [-1]; }))).toMatch(/\.shape must be a list of whole dimensions/));
  it('names a bad precision entry', () => expect(load(edit((b) => { b.precision['h1.dense'].weights = { dtype: 'i3' }; }))).toMatch(/precision\["h1\.dense"\]\.weights must be/));
  it('names the file by its kind, export or checkpoint, in the errors of loading it into a network', () => {
    const { file, ckpt } = exportOf(variant('kinds', 'ternary'), 'kinds');
    const other = path.join(dir, 'other.kiln');
    writeFileSync(other, source.replace('network binary_mlp(', 'network other(').replace('train binary_mlp', 'train other'));
    const diagnostic = (weights: string) => {
      const p = prepare(other);
      try {
        loadCheckpointInto(weights, p.module, initParams(p.module, 0));
      } catch (e) {
        return (e as KilnError).diagnostics[0]!;
      }
      throw new Error(`${weights} loaded into another network`);
    };
    const fromExport = diagnostic(file), fromCheckpoint = diagnostic(ckpt);
    expect(fromExport.message).toBe(`export \`${file}\` holds network \`binary_mlp\`, not \`other\``);
    expect(fromExport.hint).toBe('write an export of `other` with kiln export, from a checkpoint this version of kiln train wrote, or name the right network');
    expect(fromCheckpoint.message).toBe(`checkpoint \`${ckpt}\` holds network \`binary_mlp\`, not \`other\``);
    expect(fromCheckpoint.hint).toBe('write a checkpoint of `other` with this version of kiln train, or name the right network');
    // A file that cannot be read has no kind yet: --checkpoint takes either, and the error says so.
    expect(diagnostic(path.join(dir, 'nowhere.kexp')).message).toMatch(/^cannot read checkpoint or export `.*nowhere\.kexp`/);
    // Past the network's name, too: a tensor the network needs and the export lacks.
    expect(load(edit((b) => { delete b.tensors['h2.dense/bias']; }))).toMatch(/^export `.*\.kexp` has no parameter `h2\.dense\/bias`$/);
  });
  it('refuses another format version and an edited body', () => {
    expect(load(good, { kiln: 'export', version: 9 })).toMatch(/format version 9/);
    const file = path.join(dir, 'edited.kexp');
    writeFileSync(file, sealCheckpointBody(JSON.stringify(good), { kiln: 'export', version: 1 }).replace('"network"', '"network" '));
    const p = prepare(kiln);
    expect(() => loadCheckpointInto(file, p.module, initParams(p.module, 0))).toThrow(/checksum mismatch/);
  });
});
