/**
 * mask.wat on JavaScript arrays: x [rows, n] times a mask of n (dropout's batchwise mask, forward
 * and backward), into `out`. The JS loop took about 4 ns a value on binary_mlp's [100, 1024].
 */
import { copyIn, f32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './mask.wasm.ts';
import { countCall } from './calls.ts';

interface MaskExports { mul_rows(x: number, mask: number, y: number, rows: number, n: number): void }

export function wasmMulRows(x: Float32Array, mask: Float32Array, out: Float32Array): void {
  countCall('mask');
  withScratch(() => {
    const xAt = copyIn(x), mAt = copyIn(mask), yAt = scratchAlloc(4 * x.length);
    wasmExports<MaskExports>('mask', wasmBase64).mul_rows(xAt, mAt, yAt, x.length / mask.length, mask.length);
    out.set(f32At(yAt, x.length));
  });
}
