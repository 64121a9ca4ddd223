import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { sgemm } from '../../../runtime/kernels/gemm.ts';
import { gemmThreads, offloadedBands, setGemmThreads, sgemmParallel, shutdownGemmWorkers, warmGemmWorkers } from '../../../runtime/kernels/gemm-parallel.ts';
import { randomArray } from './helpers/gradcheck.ts';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { dense } from '../../../runtime/kernels/dense.ts';
import { fromArray } from '../../../runtime/tensor.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';

// The worker threads run the JavaScript kernels; with the WebAssembly ones sgemmParallel stays on
// one thread (wasm-kernels.test.ts).
describe('multi-threaded sgemm', () => {
  const before = gemmThreads();
  beforeAll(() => setKernelBackend('js'));
  afterAll(async () => {
    setKernelBackend(undefined);
    setGemmThreads(before);
    await shutdownGemmWorkers();
  });

  it('is bit-identical to the single-threaded kernel for every transpose, offsets, strides and beta', async () => {
    setGemmThreads(2);
    expect(await warmGemmWorkers()).toBe(1);
    const bands = offloadedBands();
    for (const [m, n, k, transA, transB, beta] of [[200, 300, 180, false, false, 0], [130, 257, 301, true, false, 0.5], [97, 400, 250, false, true, 1], [256, 256, 256, true, true, -1]] as const) {
      const lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
      const a = randomArray(5 + (transA ? k : m) * lda, m), b = randomArray(2 + (transB ? n : k) * ldb, n), c0 = randomArray(7 + m * ldc, k);
      const c1 = c0.slice(), c2 = c0.slice();
      const p = { m, n, k, a, aOffset: 5, lda, transA, b, bOffset: 2, ldb, transB, cOffset: 7, ldc, alpha: 0.75, beta };
      sgemm({ ...p, c: c1 });
      sgemmParallel({ ...p, c: c2 });
      expect(c2).toEqual(c1);
    }
    expect(offloadedBands() - bands).toBe(4);
  });

  it('conv2d (explicit im2col when threaded, fused packing on one thread) and dense agree bit for bit', async () => {
    const x = fromArray([1, 32, 40, 40], randomArray(32 * 1600, 1));
    const w = fromArray([64, 32, 3, 3], randomArray(64 * 288, 2));
    const xd = fromArray([300, 200], randomArray(60000, 3));
    const wd = fromArray([180, 200], randomArray(36000, 4));
    setGemmThreads(1);
    const one = conv2d(x, w, undefined, { pad: 1 });
    const oneD = dense(xd, wd);
    setGemmThreads(2);
    await warmGemmWorkers();
    const bands = offloadedBands();
    const two = conv2d(x, w, undefined, { pad: 1 });
    const twoD = dense(xd, wd);
    expect(offloadedBands() - bands).toBe(2);
    expect(two.data).toEqual(one.data);
    expect(twoD.data).toEqual(oneD.data);
  });

  it('checks operand sizes before splitting the work', () => {
    setGemmThreads(2);
    const n = 256;
    expect(() => sgemmParallel({ m: n, n, k: n, a: new Float32Array(n * n - 1), b: new Float32Array(n * n), c: new Float32Array(n * n) }))
      .toThrow(/A needs/);
  });

  it('falls back to one thread when asked', () => {
    setGemmThreads(1);
    const a = randomArray(300 * 300, 1), b = randomArray(300 * 300, 2);
    const c1 = new Float32Array(90000), c2 = new Float32Array(90000);
    sgemm({ m: 300, n: 300, k: 300, a, b, c: c1 });
    sgemmParallel({ m: 300, n: 300, k: 300, a, b, c: c2 });
    expect(c2).toEqual(c1);
  });
});
