/**
 * Writes ONNX backend-test-style case directories from models built in memory (bench/lib/onnx-model.ts),
 * for the runner and the CLI's tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeModel, encodeTensor, type ModelIn, type TensorIn } from '../../../../bench/lib/onnx-model.ts';

/** Write a backend-test-style case directory: model.onnx and test_data_set_0/{input,output}_N.pb. */
export function writeCase(dir: string, m: ModelIn, inputs: TensorIn[], outputs: TensorIn[]): string {
  mkdirSync(path.join(dir, 'test_data_set_0'), { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), encodeModel(m));
  inputs.forEach((t, i) => writeFileSync(path.join(dir, 'test_data_set_0', `input_${i}.pb`), encodeTensor(t)));
  outputs.forEach((t, i) => writeFileSync(path.join(dir, 'test_data_set_0', `output_${i}.pb`), encodeTensor(t)));
  return dir;
}
