/**
 * Dropout masks with inverted scaling (kept values are multiplied by 1/(1 − p), so inference needs
 * no rescaling). The mode decides which values share one keep/drop decision:
 *   elementwise  every value decides on its own (Srivastava et al. 2014)
 *   batchwise    one pattern for the whole minibatch: the mask spans every axis but the batch
 *                axis 0, so the kept units form a submatrix of the layer's product
 *   structured   whole units, the same for every sample and time step: the channel axis 1 of an
 *                NCHW feature map, else the last (feature) axis, as in variational RNN dropout
 *                (Gal & Ghahramani 2016)
 */
import { type Rng, type Tensor, zeros } from '../tensor.ts';
import { broadcastBinary } from '../kernels/broadcast.ts';
import { outputArray } from '../kernels/step-buffers.ts';
import { useWasmKernels } from '../kernels/wasm/instance.ts';
import { WASM_RELU_MIN } from '../kernels/wasm/relu.ts';
import { wasmMulRows } from '../kernels/wasm/mask.ts';

export type DropoutMode = 'elementwise' | 'batchwise' | 'structured';

/** Key of the mask in a dropout node's run memory: drawn once per run, shared by its time steps. */
export const MASK_MEMORY = 'mask';

/** The shape of the mask that broadcasts over a value of `shape`. */
export function maskShape(shape: readonly number[], mode: DropoutMode): number[] {
  const r = shape.length;
  if (mode === 'elementwise' || r <= 1) return [...shape];
  if (mode === 'batchwise') return [1, ...shape.slice(1)];
  if (r === 4) return [1, shape[1]!, 1, 1];
  return shape.map((d, i) => (i === r - 1 ? d : 1));
}

export function dropoutMask(shape: readonly number[], mode: DropoutMode, p: number, rng: Rng): Tensor {
  const mask = zeros(maskShape(shape, mode));
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = rng() < p ? 0 : keep;
  return mask;
}

/**
 * x ⊙ mask (also dropout's backward, dy ⊙ mask). A mask spanning every axis but the batch — the
 * batchwise one — is one plain loop per sample; other masks broadcast.
 */
export function applyMask(x: Tensor, mask: Tensor): Tensor {
  const r = x.shape.length;
  if (mask.shape.length !== r || r < 2 || mask.shape[0] !== 1 || mask.shape.some((d, i) => i > 0 && d !== x.shape[i])) {
    return broadcastBinary(x, mask, (v, m) => v * m, 'dropout');
  }
  const xd = x.data, md = mask.data, n = md.length;
  const out = outputArray(xd.length);
  if (xd.length >= WASM_RELU_MIN && useWasmKernels()) wasmMulRows(xd, md, out);
  else for (let o = 0; o < xd.length; o += n) for (let i = 0; i < n; i++) out[o + i] = xd[o + i]! * md[i]!;
  return { shape: [...x.shape], data: out };
}
