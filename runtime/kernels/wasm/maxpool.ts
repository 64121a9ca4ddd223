/**
 * maxpool.wat on JavaScript arrays: x copied into the kernels' memory, the pooled values and
 * argmax indices copied out. Same results as pool.ts's 2×2 loop; likewise its backward pass.
 */
import { f32At, i32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './maxpool.wasm.ts';
import { outputArray } from '../step-buffers.ts';

interface MaxPoolExports {
  maxpool2x2(x: number, y: number, arg: number, planes: number, h: number, w: number, oh: number, ow: number): void;
  maxpool2x2_backward(dy: number, arg: number, y: number, dx: number, planes: number, oh: number, ow: number, relu: number): void;
}

const ex = (): MaxPoolExports => wasmExports<MaxPoolExports>('maxpool', wasmBase64);

/** Pools `planes` planes of h×w in x, 2×2 windows at stride 2, into y and argmax (oh·ow per plane). */
export function wasmMaxPool2x2(x: Float32Array, planes: number, h: number, w: number, oh: number, ow: number,
  y: Float32Array, argmax: Int32Array): void {
  withScratch(() => {
    const xAt = scratchAlloc(4 * x.length), yAt = scratchAlloc(4 * y.length), aAt = scratchAlloc(4 * y.length);
    f32At(xAt, x.length).set(x);
    ex().maxpool2x2(xAt, yAt, aAt, planes, h, w, oh, ow);
    y.set(f32At(yAt, y.length));
    argmax.set(i32At(aAt, y.length));
  });
}

/**
 * dx of 2×2 windows that tile the input (h = 2·oh, w = 2·ow), into a fresh array; with `reluOf`
 * (the pool's output y) only windows whose maximum is above 0 pass their gradient.
 */
export function wasmMaxPool2x2Backward(dy: Float32Array, argmax: Int32Array, planes: number, oh: number, ow: number,
  reluOf?: Float32Array): Float32Array {
  return withScratch(() => {
    const n = dy.length;
    const dyAt = scratchAlloc(4 * n), aAt = scratchAlloc(4 * n), yAt = reluOf ? scratchAlloc(4 * n) : 0;
    const dxAt = scratchAlloc(16 * n);
    f32At(dyAt, n).set(dy);
    i32At(aAt, n).set(argmax);
    if (reluOf) f32At(yAt, n).set(reluOf);
    ex().maxpool2x2_backward(dyAt, aAt, yAt, dxAt, planes, oh, ow, reluOf ? 1 : 0);
    const dx = outputArray(4 * n);
    dx.set(f32At(dxAt, 4 * n));
    return dx;
  });
}
