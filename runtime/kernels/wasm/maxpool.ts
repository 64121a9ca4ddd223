/**
 * maxpool.wat on JavaScript arrays: x copied into the kernels' memory, the pooled values and
 * argmax indices copied out. Same results as pool.ts's 2×2 loop.
 */
import { f32At, i32At, scratchAlloc, scratchMark, scratchRelease, wasmExports } from './instance.ts';
import { wasmBase64 } from './maxpool.wasm.ts';

interface MaxPoolExports {
  maxpool2x2(x: number, y: number, arg: number, planes: number, h: number, w: number, oh: number, ow: number): void;
}

/** Pools `planes` planes of h×w in x, 2×2 windows at stride 2, into y and argmax (oh·ow per plane). */
export function wasmMaxPool2x2(x: Float32Array, planes: number, h: number, w: number, oh: number, ow: number,
  y: Float32Array, argmax: Int32Array): void {
  const mark = scratchMark();
  try {
    const xAt = scratchAlloc(4 * x.length), yAt = scratchAlloc(4 * y.length), aAt = scratchAlloc(4 * y.length);
    f32At(xAt, x.length).set(x);
    wasmExports<MaxPoolExports>('maxpool', wasmBase64).maxpool2x2(xAt, yAt, aAt, planes, h, w, oh, ow);
    y.set(f32At(yAt, y.length));
    argmax.set(i32At(aAt, y.length));
  } finally {
    scratchRelease(mark);
  }
}
