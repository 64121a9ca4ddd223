/**
 * From `FILE[:NETWORK]` to what training or evaluation needs: the file's train block for the
 * network (named like it, or naming it with `network "…"`), its configuration, and the network
 * compiled at the train block's batch size.
 */
import { checkFile, compile, selectNetwork, splitSelector } from '../../compiler/driver.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import type { TrainDescription } from '../../compiler/lang/description.ts';
import { type TrainConfig, trainConfig } from './config.ts';
import { PRESET_LIBRARY } from '../../targets/resolve.ts';

export interface Prepared {
  module: Module;
  /** The train block for the network, when the file has one. */
  train?: TrainDescription;
  config?: TrainConfig;
  warnings: Diagnostic[];
}

export interface PrepareOptions {
  overrides?: Map<string, number>;
  /** Fail when the network has no train block (kiln train); kiln run can do without one. */
  requireTrain?: boolean;
  readFile?: (file: string) => string;
}

export function prepare(source: string, o: PrepareOptions = {}): Prepared {
  const { file, name } = splitSelector(source);
  const overrides = o.overrides ?? new Map<string, number>();
  if (file.endsWith('.onnx')) {
    throw new KilnError(error('usage', `${file} is an ONNX model: kiln compile and kiln estimate import ONNX, but training, running and quantizing take a .kiln network`, undefined, 'run ONNX models with kiln onnx-test, or write the network in .kiln'));
  }
  if (file.endsWith('.json') && o.requireTrain) {
    throw new KilnError(error('train', `${file} is a module JSON, which has no train block`, undefined, 'train from the .kiln file that declares the network and its train block'));
  }
  let network = name;
  let train: TrainDescription | undefined;
  if (!file.endsWith('.json')) {
    const checked = checkFile(file, { overrides, readFile: o.readFile, libraries: PRESET_LIBRARY });
    if (checked.diagnostics.some((d) => d.severity === 'error')) throw new KilnError(checked.diagnostics, checked.program.sources);
    const trains = [...checked.trains.values()];
    const named = name !== undefined && !checked.program.networks.has(name) ? checked.trains.get(name) : undefined;
    if (named) {
      // FILE:BLOCK names a train block whose network is called something else.
      network = named.network;
      train = named;
    } else {
      // A file with one train block trains that block's network unless told otherwise.
      network ??= trains.length === 1 ? trains[0]!.network : selectNetwork(checked.program, name);
      train = checked.trains.get(network) ?? trains.find((t) => t.network === network);
    }
    if (!train && o.requireTrain) {
      const at = { file, line: 1, col: 1, length: 1 };
      throw new KilnError(error('train', `${file} has no train block for network \`${network}\``, at,
        `add one, e.g. \`train ${network} { data mnist(train = 8000, test = 2000)  epochs 5  optimizer adam(lr = 1e-3) }\``), checked.program.sources);
    }
  }
  const config = train ? trainConfig(train) : undefined;
  const spec = network ? `${file}:${network}` : file;
  let r = compile(spec, { overrides, readFile: o.readFile, libraries: PRESET_LIBRARY });
  const batch = config?.batch;
  const declared = r.module.inputs.length ? (r.module.nodes[r.module.inputs[0]!]!.attrs.shape as number[])[0] : undefined;
  if (batch !== undefined && declared !== batch) {
    // --set batch=N on the command line wins over the train block.
    if (overrides.has('batch') && declared !== undefined) config!.batch = declared;
    else if ('batch' in r.module.params) {
      r = compile(spec, { overrides: new Map([...overrides, ['batch', batch]]), readFile: o.readFile, libraries: PRESET_LIBRARY });
    } else {
      const where = train!.props.batch!.source;
      throw new KilnError(error('train', `the train block asks for batch ${batch}, but network \`${r.module.name}\` takes batches of ${declared}`, where,
        'the network needs a `batch` parameter (network NAME(batch = 64) { input x : f32[batch, …] }), or make the two agree'));
    }
  }
  if (config) vocabFromNetwork(config, r.module);
  return { module: r.module, train, config, warnings: r.diagnostics };
}

/**
 * A token data set whose `vocab` is left out takes the network's output classes, so `--set
 * vocab=2000` shrinks the network and its data together (examples/ptb_lstm.kiln trains that way).
 */
function vocabFromNetwork(config: TrainConfig, m: Module): void {
  if (!TOKEN_DATA.has(config.data.name) || config.data.args.vocab !== undefined) return;
  const out = m.nodes[m.outputs[0]!]?.type?.shape;
  if (out?.length) config.data.args = { ...config.data.args, vocab: out[out.length - 1]! };
}

const TOKEN_DATA = new Set(['sequence', 'sotu']);
