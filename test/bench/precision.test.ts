/**
 * bench/precision.ts run on a small layer: it gives back the kernels' memory it took — the scratch
 * its GEMM-alone row holds for the whole run, and the resident blocks of every weight it packed
 * (the int8 layer's two layouts, the int16 layer's, the GEMM-alone row's) — so a run inside a
 * longer process leaves the kernels' memory where it found it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { benchHidden, benchPrecision } from '../../bench/precision.ts';
import { wasmCalls } from '../../runtime/kernels/wasm/calls.ts';
import { setI16WasmMinMacs } from '../../runtime/kernels/wasm/gemm-i16.ts';
import { kernelBackend, residentBytes, scratchMark, setKernelBackend } from '../../runtime/kernels/wasm/instance.ts';
import { lowerInt8 } from '../../runtime/lowered/precision/int8-layer.ts';
import { newCounts } from '../../runtime/lowered/precision/types.ts';

afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); });

describe('bench/precision.ts', () => {
  it('leaves scratch and resident bytes where it found them, after packing weights into resident blocks', () => {
    setKernelBackend('wasm');
    // 16 × 64 · 64 → 32 is past the WebAssembly GEMMs' size rule (int8WasmFor), so every lowered
    // layer packs its weights resident during the run.
    setI16WasmMinMacs(0);
    const before = residentBytes(), mark = scratchMark();
    // What one such layer alone keeps resident while alive: the run must have packed at least it.
    const probe = lowerInt8({ weight: { shape: [32, 64], data: new Float32Array(32 * 64).fill(0.5) }, perChannel: true, actScale: 1 / 127 });
    probe.gemm(16, new Float32Array(16 * 64).fill(-0.25), newCounts());
    expect(residentBytes()).toBeGreaterThan(before);
    probe.dispose!();
    expect(residentBytes()).toBe(before);

    // The run itself must reach the integer kernels, or the bytes below prove nothing about it.
    const kernelCalls = () => wasmCalls('gemm-i8') + wasmCalls('gemm-i16');
    const callsBefore = kernelCalls();
    const rows = benchPrecision(16, 32, 64, 1);
    expect(kernelCalls()).toBeGreaterThan(callsBefore);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const r of rows) expect(r.median).toBeGreaterThanOrEqual(0);
    expect(scratchMark()).toBe(mark);
    expect(residentBytes()).toBe(before);

    // The hidden-layer table switches backends per row: it must leave both the memory and the backend as it found them.
    const backend = kernelBackend();
    const hidden = benchHidden(8, 32, 128, 1);
    expect(hidden).toHaveLength(8);
    expect(kernelBackend()).toBe(backend);
    expect(scratchMark()).toBe(mark);
    expect(residentBytes()).toBe(before);
  });
});
