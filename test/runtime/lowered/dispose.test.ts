/**
 * A precision program's dispose(): the int8 and int16 layers' weights, packed into resident blocks
 * of the kernels' memory on first use, go back when the program is done (kiln run and kiln quantize
 * call it), rather than whenever the garbage collector gets to their handles; every call's scratch
 * is back at its mark after it. Running again after dispose() packs again and gives the same outputs.
 * The int8 layer holds two layouts (the dot-product kernel's for post-ReLU inputs, the int16
 * kernel's for signed ones): each is packed once, however the calls alternate.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { integerExecution } from '../../../runtime/lowered/precision/execute.ts';
import { calibrateScales } from '../../../runtime/lowered/precision/scales.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { i8DotAvailable, packI8B } from '../../../runtime/kernels/wasm/gemm-i8.ts';
import { packI16B } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { lowerInt8 } from '../../../runtime/lowered/precision/int8-layer.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { fromArray } from '../../../runtime/tensor.ts';
import { residentBytes, scratchMark, setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32, randomNormal } from '../../../runtime/tensor.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

const SOURCE = `network q(batch = 8) {
  input x : f32[batch, 96]
  h = dense(x, 64, weights = i8 per_channel) -> relu
  g = dense(h, 64, weights = i8) -> relu
  y = dense(g, 40, weights = i16)
  output y
}`;

describe('PrecisionProgram.dispose', () => {
  it('returns the resident blocks its layers packed, and scratch is back at its mark after each run', () => {
    setKernelBackend('wasm');
    try {
      const m = compile('q.kiln', { readFile: memoryFiles({ 'q.kiln': SOURCE }) }).module;
      const params = initParams(m, 5);
      const x = randomNormal(m.nodes[m.inputs[0]!]!.type!.shape, mulberry32(2));
      const inputs = { [m.inputs[0]!]: x };
      const stored = new Map<string, Float32Array>();
      for (const [id, s] of calibrateScales(m, params, inputs, new Map()).scales) if (s.act !== undefined) stored.set(`${id}/act_scale`, Float32Array.of(s.act));
      const dotRuns = i8DotAvailable(); // its first call's self-test runs the kernel too
      const before = residentBytes(), mark = scratchMark(), dot = wasmCalls('gemm-i8');
      const exec = integerExecution(m, params, stored, undefined);
      const first = exec.run(inputs).data.slice();
      expect(scratchMark()).toBe(mark);
      // g reads h's ReLU: its int8 product took the dot-product kernel where that runs (h's signed input did not).
      expect(wasmCalls('gemm-i8') - dot).toBe(dotRuns ? 1 : 0);
      // Three layers' weights packed: 64×96 int8 (widened to int16 pairs for h's signed input), 64×64
      // int8 (the dot-product kernel's panels, or int16 pairs where it does not run) and 40×64 int16.
      expect(residentBytes()).toBeGreaterThanOrEqual(before + 64 * 96 + 64 * 64 + 2 * 40 * 64);
      exec.dispose();
      expect(residentBytes()).toBe(before);
      expect(exec.run(inputs).data).toEqual(first);
      expect(residentBytes()).toBeGreaterThan(before);
      exec.dispose();
      expect(residentBytes()).toBe(before);
    } finally {
      setKernelBackend(undefined);
    }
  });
});

describe('the lowered int8 layer\'s two weight layouts', () => {
  it('packs each once, on first need, over a mixed run of post-ReLU and signed inputs, and dispose() gives both back; outputs bit for bit as the JS reference', () => {
    const n = 24, k = 150, m = 9, rand = mulberry32(11);
    const w = fromArray([n, k], Array.from({ length: n * k }, () => rand() * 2 - 1));
    const relu = Float32Array.from({ length: m * k }, () => Math.max(0, rand() * 2 - 1));
    const signed = Float32Array.from({ length: m * k }, () => rand() * 2 - 1);
    const spec = { weight: w, perChannel: true, actScale: 1 / 127, outScale: 0.05 };
    const sequence = [relu, signed, relu, signed, signed, relu];
    try {
      setKernelBackend('js');
      const reference = lowerInt8(spec);
      const want = sequence.map((A) => Array.from(reference.gemm(m, A, newCounts())));
      setKernelBackend('wasm');
      const dotRuns = i8DotAvailable();
      // What one packing of each layout holds resident (blocks are whole 16-byte units).
      const held = (bytes: number) => (bytes + 15) & ~15;
      const probeQuads = packI8B(n, k, new Int8Array(n * k), true), probePairs = packI16B(n, k, new Int8Array(n * k), true);
      const quads = held(probeQuads.region.bytes), pairs = held(probePairs.region.bytes);
      probeQuads.free();
      probePairs.free();
      // The requantizing epilogue's constants, resident from the first call: per channel an int32
      // bias and multiplier and two float64 powers of two, each array at a 16-byte boundary.
      const epilogue = held(2 * held(4 * n) + 2 * held(8 * n));
      const before = residentBytes();
      const layer = lowerInt8(spec);
      expect(residentBytes()).toBe(before); // nothing packed before a call needs it
      const resident: number[] = [];
      const got = sequence.map((A) => { const y = Array.from(layer.gemm(m, A, newCounts())); resident.push(residentBytes() - before); return y; });
      expect(got).toEqual(want);
      // Where the dot product runs: its panels at the first post-ReLU call, the int16 pairs at the
      // first signed one, and nothing more after. Elsewhere every call takes the int16 pairs.
      const both = (dotRuns ? quads + pairs : pairs) + epilogue;
      expect(resident).toEqual(dotRuns ? [quads + epilogue, both, both, both, both, both] : Array(6).fill(both));
      layer.dispose!();
      expect(residentBytes()).toBe(before);
      // Used again after dispose(): packed again, the same outputs, and given back again.
      expect(Array.from(layer.gemm(m, signed, newCounts()))).toEqual(want[1]);
      expect(residentBytes() - before).toBe(pairs + epilogue);
      layer.dispose!();
      expect(residentBytes()).toBe(before);
    } finally {
      setKernelBackend(undefined);
    }
  });
});
