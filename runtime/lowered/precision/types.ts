/**
 * What the precision lowering hands the executor: per quantized layer, its weights in their
 * integer form and a GEMM over them. Inputs arrive as the f32 tensors the interpreter passes
 * between ops; each layer quantizes them with its static scale (never one taken from the batch),
 * computes in integers, and hands back real values (exactly its integer results times their scale).
 */
import type { Tensor } from '../../tensor.ts';

export type LoweredPrecision = 'i8' | 'i16' | 'binary' | 'ternary';

/** What an integer dense/conv layer is built from: its real weights and the scales that map them to integers. */
export interface ScaledLayerSpec {
  weight: Tensor;
  bias?: Tensor;
  /** Per-output-channel scales when true (axis 0 of the weight). */
  perChannel: boolean;
  /** Given weight scales (one, or one per channel); derived from max|w| when absent. */
  weightScale?: Float32Array;
  /** The input's scale. */
  actScale: number;
  /** The output's scale, when the layer declares integer activations. */
  outScale?: number;
}

export interface LayerCounts {
  /** Multiply-accumulates (or adds, or XNOR-popcount bits) executed. */
  macs: number;
  /** Values that hit their integer range: accumulator additions, requantized outputs, inputs. */
  saturations: number;
  /** Rows recomputed with their input exponent raised by one (int16 `rescale` overflow policy). */
  rescales: number;
}

export interface IntegerLayer {
  precision: LoweredPrecision;
  /** How the layer computes, for `--explain`-style reports, e.g. "xnor-popcount 1024×1024". */
  why: string;
  /** Bytes of the weights as stored for execution (packed bits, int8, int16 mantissas). */
  weightBytes: number;
  /** C[m × n] = A[m × k]·Wᵀ (+ bias) in real units; n and k are the layer's. */
  gemm(m: number, A: Float32Array, counts: LayerCounts): Float32Array;
  /**
   * Give back what the layer holds between calls beyond its weights — weights packed resident in
   * the kernels' memory, buffers grown to the largest batch — once its program is done; a later
   * gemm packs and grows them again. Layers that hold nothing of the kind have none.
   */
  dispose?(): void;
  /** Bytes of the buffers the layer keeps between calls that grow with the batch (dispose() drops them). */
  batchBytes?(): number;
}

/** Static quantization parameters of one layer (docs/precision.md#execution). */
export interface LayerScales {
  /** Scale of the activation the layer reads (int8: real = q·s; int16: s = 2^exponent). */
  act?: number;
  /** Scale of the layer's output when it declares `activations = i8 | i16`. */
  out?: number;
  /** Weight scale: one value, or one per output channel. */
  weight?: Float32Array;
}

export const newCounts = (): LayerCounts => ({ macs: 0, saturations: 0, rescales: 0 });

/** Is this checkpoint key a quantization scale (scales.ts) rather than a parameter? */
export const isScaleKey = (key: string): boolean => /\/(act_scale|out_scale|weight_scale)$/.test(key);
