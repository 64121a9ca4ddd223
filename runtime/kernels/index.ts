/**
 * Kiln's numeric kernels: pure functions on typed arrays, NCHW, batch first (sequences time
 * first). See docs/kernels.md for layouts, semantics and measured speed.
 */
export { sgemm, matmul, type GemmParams } from './gemm.ts';
export { sgemmParallel, gemmThreads, setGemmThreads, warmGemmWorkers, shutdownGemmWorkers, offloadedBands } from './gemm-parallel.ts';
export { conv2d, conv1d, addChannelBias, type Conv1dOptions } from './conv2d.ts';
export { conv2dBackward, conv1dBackward, type ConvGrads, type ConvGradRequest } from './conv2d-backward.ts';
export { convGeometry, convOutSize, type Conv2dOptions, type ConvGeometry, type Pad4, type Pair } from './conv-common.ts';
export {
  maxPool, maxPoolBackward, avgPool, avgPoolBackward, globalAvgPool, globalAvgPoolBackward, poolOutSize, poolOutputShape,
  type PoolOptions, type MaxPoolResult,
} from './pool.ts';
export { batchNorm, batchNormBackward, type BatchNormOptions, type BatchNormResult, type BatchNormGrads } from './batchnorm.ts';
export { dense, denseBackward, type DenseGrads } from './dense.ts';
export {
  relu, reluBackward, leakyRelu, leakyReluBackward, prelu, preluBackward, sigmoid, sigmoidBackward, sigmoidScalar, tanh,
  tanhBackward, hardTanh, hardTanhBackward, clip, clipBackward, sign, binarize, signSteBackward, map, mapGrad,
} from './activations.ts';
export { softmax, logSoftmax, softmaxBackward, logSoftmaxBackward } from './softmax.ts';
export {
  add, sub, mul, div, addBackward, subBackward, mulBackward, divBackward, broadcastBinary, broadcastShapes, reduceToShape,
  type BinaryGrads,
} from './broadcast.ts';
export {
  concat, split, concatBackward, splitBackward, upsample2d, upsample2dBackward, embedding, embeddingBackward,
  type UpsampleOptions, type UpsampleMode,
} from './movement.ts';
export { rnn, rnnBackward, type RnnResult, type RnnCache } from './rnn.ts';
export { lstm, lstmBackward, type LstmOptions, type LstmGateOrder, type LstmResult, type LstmCache, type LstmGrads } from './lstm.ts';
export { gru, gruBackward, type GruOptions, type GruGateOrder, type GruResult, type GruCache } from './gru.ts';
export type { RecurrentWeights, RecurrentGrads } from './rnn-common.ts';
export { lif, lifBackward, surrogateGrad, type LifOptions, type LifResult, type LifCache, type LifGrads, type Surrogate, type LifReset } from './lif.ts';
export {
  roundHalfEven, saturate, quantizeLinear, dequantizeLinear, quantizeInt8, dequantizeInt8, fakeQuantInt8, fakeQuantInt8Backward,
  symmetricScale, gemmInt8, requantizeInt8, INT8_MIN, INT8_MAX, INT32_MIN, INT32_MAX, type Int8Tensor, type QuantParams,
  type QuantizeInt8Options,
} from './quant-int8.ts';
export { toDfp16, fromDfp16, gemmDfp16, requantizeDfp16, chooseExponent, INT16_MIN, INT16_MAX, type Dfp16, type Int32Accumulator } from './fixed-point.ts';
export { packSignBits, packTensorRows, unpackSignBits, popcount32, xnorGemm, type PackedBits } from './binary.ts';
export { ternarize, dequantizeTernary, ternaryMatmul, type TernaryTensor, type TernarizeOptions } from './ternary.ts';
