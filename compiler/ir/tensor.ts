/**
 * Tensors as plain data, at the bottom of the pipeline because front ends carry weights too: an
 * imported ONNX model arrives with its initializers, and they must be typed without the front end
 * depending on the runtime that will execute them. The runtime's tensor helpers work on this shape.
 */
import type { NodeId } from './module.ts';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Learnable (and stateful) parameters: node id → parameter name → tensor, as node.params names them. */
export type Weights = Record<NodeId, Record<string, Tensor>>;
