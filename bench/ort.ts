/**
 * onnxruntime-node as a peer of bench/kernels.ts. It is not a dependency (its install script may
 * reach the network), so it is loaded at run time when present: from KILN_ORT_PATH (a package
 * directory installed elsewhere) or from node_modules. The two models are built in memory with the
 * ONNX encoder the importer's tests use (bench/lib/onnx-model.ts), so ORT runs exactly the arithmetic Kiln's kernels time.
 */
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { encodeModel, type ModelIn } from './lib/onnx-model.ts';

export const ORT_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node';

/** `y = a · b`, both n×n float inputs fed at run time (as Kiln's and tfjs's operands are). */
export function matMulModel(n: number): ModelIn {
  return {
    opset: 13,
    inputs: [{ name: 'a', dims: [n, n] }, { name: 'b', dims: [n, n] }],
    outputs: ['y'],
    nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
  };
}

/** A 3×3 stride-1 convolution padded by 1, NCHW, its weights (OIHW) an initializer, no bias. */
export function convModel(x: readonly number[], w: { shape: readonly number[]; data: Float32Array }): ModelIn {
  // The attributes below describe a 3×3 kernel: other weights would make an inconsistent model.
  if (w.shape.length !== 4 || w.shape[2] !== 3 || w.shape[3] !== 3) throw new Error(`convModel: weights of shape [${w.shape.join(', ')}] are not O×I×3×3`);
  return {
    opset: 13,
    inputs: [{ name: 'x', dims: [...x] }],
    outputs: ['y'],
    initializers: [{ name: 'w', dims: [...w.shape], values: w.data, raw: true }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } }],
  };
}

interface OrtTensor { data: Float32Array }
export interface OrtSession { run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }
interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array, opts: Record<string, unknown>): Promise<OrtSession> };
  env: { versions?: { common?: string } };
}

export interface Ort {
  version: string;
  /** A one-thread session of `model`; `run` feeds float32 tensors and returns output `y`. */
  session(model: ModelIn): Promise<(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>) => Promise<Float32Array>>;
}

/** onnxruntime-node, or undefined (with a line on stderr saying how to get it) when absent. */
export async function loadOrt(): Promise<Ort | undefined> {
  const from = process.env.KILN_ORT_PATH;
  let mod: OrtModule;
  try {
    const m = (await import(from ? pathToFileURL(path.resolve(from, 'dist', 'index.js')).href : 'onnxruntime-node')) as { default?: OrtModule } & OrtModule;
    mod = m.InferenceSession ? m : m.default!;
  } catch (e) {
    console.error(`onnxruntime-node peer skipped (${(e as Error).message.split('\n')[0]}); to include it: ${ORT_INSTALL_HINT}` +
      ' (or install it elsewhere and set KILN_ORT_PATH to its package directory)');
    return undefined;
  }
  return {
    version: mod.env.versions?.common ?? 'unknown',
    async session(model) {
      // One thread like the other peers; sequential so no inter-op pool is started.
      const s = await mod.InferenceSession.create(encodeModel(model), {
        intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      });
      return async (feeds) => {
        const t = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new mod.Tensor('float32', v.data, v.dims)]));
        return (await s.run(t)).y!.data;
      };
    },
  };
}
