/**
 * The `kiln` command. Exit codes: 0 success, 1 diagnostics in the input, 2 bad command-line usage,
 * 70 an internal error (a bug in Kiln, reported as such, never as a bare stack trace).
 *
 * A command's modules (the compiler, the cost models, the interpreter) are imported only when that
 * command runs, so `kiln --version` or `kiln --help` starts in a few tens of milliseconds: `cli()`
 * loads what argv's command needs and then runs the synchronous `main()`.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { readInputText } from '../compiler/io/read-input.ts';
import { formatDiagnostics, hasErrors, KilnError, type Diagnostic } from '../compiler/lang/diagnostics.ts';
import { packagePath } from '../compiler/io/package-root.ts';
import { PassFailure } from '../compiler/passes/pass.ts';
import { parseArgs, parseOverrides, UsageError, type FlagSpec, type ParsedArgs } from './args.ts';
import { sourceFrame } from './stack-frames.ts';

export const VERSION: string = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/**
 * The io a command gets: warnings printed as located diagnostics, and `tty` set only where the
 * command draws progress in place and stderr is the real terminal (tests pass their own io).
 */
function commandIo(io: Io, drawsProgress: boolean): Io & { warn: (d: readonly Diagnostic[]) => number; tty: boolean } {
  return { ...io, warn: (d) => report(d, io), tty: drawsProgress && io === defaultIo && process.stderr.isTTY === true };
}

// A runner is synchronous except where it waits for worker processes (kiln explore --jobs N).
type Runner = (args: ParsedArgs, io: Io) => number | Promise<number>;

interface Command {
  summary: string;
  usage: string;
  help: string;
  flags: Record<string, FlagSpec>;
  /**
   * Import the command's modules; resolves to the function that runs it. `args` is the command
   * line after the command's name when one is known (cli()), so a command can leave out modules
   * only some options need; without it (loadCommands) everything is loaded.
   */
  load(args?: readonly string[]): Promise<Runner>;
}

const COMMANDS: Record<string, Command> = {
  compile: {
    summary: 'compile a network to the graph IR and print it',
    usage: 'kiln compile FILE[.kiln|.json|.onnx][:NETWORK] [--emit ast|ir|json] [--set NAME=VALUE]… [--print-after-all] [--verify-each] [--timing]',
    help: `Parses and checks FILE (and what it imports), builds the network, runs the default pass
pipeline and prints the result. FILE may also be a module JSON written by --emit json, or an
ONNX model (imported, its Q/DQ pairs as layer precisions).
When FILE declares several networks, name one as FILE:NETWORK.

  --emit ast|ir|json   what to print: the parsed AST, the IR as text (default), or IR JSON
  --set NAME=VALUE     override a network parameter, e.g. --set batch=1 (repeatable)
  --print-after-all    print the IR after every pass (to stderr)
  --verify-each        run the IR verifier after every pass
  --timing             print how long each pass took (to stderr)`,
    flags: { '--emit': { value: true, choices: ['ast', 'ir', 'json'] }, '--set': { value: true, repeat: true }, '--print-after-all': {}, '--verify-each': {}, '--timing': {} },
    async load() {
      const [{ compile }, { parseFile }, { moduleToJson }, { printModule }] = await Promise.all([
        import('../compiler/driver.ts'), import('../compiler/lang/build-ast.ts'), import('../compiler/ir/json.ts'), import('../compiler/ir/print.ts'),
      ]);
      const { PRESET_LIBRARY } = await import('../targets/resolve.ts');
      return (args, io) => {
        const file = single(args.positional, 'compile');
        const emit = args.flags.get('--emit')?.[0] ?? 'ir';
        if (emit === 'ast') {
          if (file.endsWith('.json')) throw new UsageError('kiln compile: --emit ast needs a .kiln file');
          const text = readSource(file);
          const r = parseFile(text, file);
          if (!r.ast) return report(r.diagnostics, io, new Map([[file, text]]));
          io.out(JSON.stringify(r.ast, null, 2) + '\n');
          return 0;
        }
        const timings: string[] = [];
        const result = compile(file, {
          libraries: PRESET_LIBRARY,
          overrides: parseOverrides(args.flags.get('--set'), 'compile'),
          instruments: {
            verifyEach: args.flags.has('--verify-each'),
            printAfterAll: args.flags.has('--print-after-all') ? (p, text) => io.err(`// ----- IR after ${p} -----\n${text}`) : undefined,
            timing: args.flags.has('--timing') ? (p, ms) => timings.push(`  ${p.padEnd(24)} ${ms.toFixed(3)} ms`) : undefined,
          },
        });
        report(result.diagnostics, io, result.sources);
        if (timings.length) io.err(`pass timing:\n${timings.join('\n')}\n`);
        io.out(emit === 'json' ? moduleToJson(result.module) : printModule(result.module));
        return 0;
      };
    },
  },
  estimate: {
    summary: 'estimate cycles, time and energy of a network on one or more targets',
    usage: 'kiln estimate SOURCE --target T [--target T2 …] [--json] [--per-layer] [--training] [--measure DATA [--checkpoint PATH] [--samples N] [--save-activity FILE] | --activity FILE | --rate R | --rates FILE] [--set NAME=VALUE]… [--report FILE.html]',
    help: `SOURCE is a .kiln file (FILE.kiln:NETWORK when it holds several), a module JSON, an ONNX
model (.onnx with fixed input shapes; Q/DQ pairs become layer precisions), or a SCALE-Sim
topology CSV (conv or GEMM m,n,k format). T is a preset name (see targets/presets),
FILE.kiln:TARGET, or a SCALE-Sim .cfg file. Several targets are shown side by side.

Every figure says its basis. CPUs and arrays are costed on the network's whole batch (its first
input's leading axis); neuromorphic targets on one sample through all its time steps. Each
target also gets per-inference latency and energy: the batch figure ÷ the batch (a sample's
share of a batched run; --set batch=1 gives one sample run alone). A target that cannot run the
network (e.g. a non-spiking net on a Loihi preset) is shown as n/a with the reason; the exit
status is 1 only when no target could be estimated.

  --target T       a target to estimate on (repeatable)
  --json           machine-readable results: {"results": [{target, kind, summary, layers, warnings,
                   notes, prices}]}; summary.batch and summary.per_inference {latency_s, energy_j}
                   give the basis; a target that cannot run the network is {target, kind, error}
  --per-layer      a per-layer table for each target (whole-batch figures)
  --training       price one training step (forward, backward, weight update with the optimizer's
                   state) and one epoch, as SOURCE's train block says; --json adds summary.phase
                   "training", summary.per_step, summary.per_epoch {…, steps} and each layer's
                   split in layers[].details.phases; neuromorphic targets say training is off-chip
  --measure DATA   run the network in the interpreter on DATA (e.g. mnist:test) and price every
                   target with the activity measured per layer: firing rates (neuromorphic spikes
                   and messages), zeros in each layer's output (on targets with zero_skipping),
                   transmitted fractions of delta layers and events per unit and step of
                   sigma-delta layers, with their bits per activation (every target); per neuron
                   for spiking layers. Each layer says the activity it was priced with and its source
                   (measured, file, flag, default); --json: layers[].activity = {value, source,
                   priced_by}
  --checkpoint PATH trained weights for --measure (kiln train --checkpoint); untrained otherwise,
                   with a warning: their activity is not representative
  --samples N      samples to measure on (default 64)
  --save-activity FILE  write what --measure measured (JSON, versioned) for --activity
  --activity FILE  price with a saved or hand-written activity file instead of measuring:
                   {"kiln": "activity", "version": 1, "layers": {"LAYER": {"zero_fraction": 0.5,
                   "firing_rate": 0.05, "delta_fraction": 0.3}, …}} (docs/cost-model.md)
  --rate R         firing rate (spikes per neuron per time step) for neuromorphic targets
  --rates FILE     per-layer firing rates, JSON {"layer": rate}; layers are the lif layers and
                   the input, by name (e.g. "s1.lif", "x"); kiln partition --save-rates writes
                   one. Kept as it was; an activity file holds the same rates and more
  --set NAME=VALUE override a network parameter, e.g. --set batch=1
  --report FILE    also write a self-contained HTML page: charts of energy by component and latency
                   per layer, the tables, the partition map of neuromorphic targets, and the --json
                   data embedded (docs/reports.md)`,
    flags: {
      '--target': { value: true, repeat: true }, '--json': {}, '--report': { value: true }, '--per-layer': {}, '--rate': { value: true }, '--rates': { value: true },
      '--measure': { value: true }, '--checkpoint': { value: true }, '--samples': { value: true }, '--set': { value: true, repeat: true }, '--training': {},
      '--activity': { value: true }, '--save-activity': { value: true },
    },
    async load(argv) {
      const { runEstimate } = await import('./commands/estimate.ts');
      // The HTML report pulls in Vega (about a second to load): only when --report asks for it.
      const writeReport = argv === undefined || argv.includes('--report') ? (await import('./commands/estimate-report.ts')).writeEstimateReport : undefined;
      return (args, io) => {
        const v = (f: string) => args.flags.get(f)?.[0];
        return runEstimate({
          source: single(args.positional, 'estimate'),
          targets: args.flags.get('--target') ?? [],
          json: args.flags.has('--json'),
          perLayer: args.flags.has('--per-layer'),
          training: args.flags.has('--training'),
          report: v('--report'), writeReport,
          rate: v('--rate'), ratesFile: v('--rates'), measure: v('--measure'), checkpoint: v('--checkpoint'), samples: v('--samples'),
          activityFile: v('--activity'), saveActivity: v('--save-activity'),
          overrides: parseOverrides(args.flags.get('--set'), 'estimate'),
        }, commandIo(io, true));
      };
    },
  },
  'onnx-test': {
    summary: 'run ONNX backend node-test cases through the importer and the interpreter',
    usage: 'kiln onnx-test DIR…',
    help: `Each DIR is an ONNX backend node-test case (model.onnx plus test_data_set_*/input_*.pb and
output_*.pb), or a folder of such cases. Prints PASS, FAIL (with the error) or SKIP (with the
reason: an op or attribute Kiln does not have) per case and ends with
\`N passed, M failed, K skipped\`. Exits 1 if any case failed.`,
    flags: {},
    async load() {
      const { runOnnxTests } = await import('../runtime/onnx-test-runner.ts');
      return (args, io) => {
          if (args.positional.length === 0) throw new UsageError(`kiln onnx-test: give at least one case directory\nusage: ${COMMANDS['onnx-test']!.usage}`);
          return runOnnxTests(args.positional, io);
      };
    },
  },
  train: {
    summary: 'train a network as its train block says (reverse-mode autodiff in the reference interpreter)',
    usage: 'kiln train FILE[:NETWORK] [--epochs E] [--seed S] [--json] [--checkpoint PATH] [--resume PATH] [--set NAME=VALUE]…',
    help: `Runs FILE's train block for NETWORK (the block named like it, or with \`network "NAME"\`): seeded
minibatches, the block's optimizer, loss, weight decay and schedule, then the held-out accuracy
after every epoch. The same seed gives bit-identical weights. A progress bar goes to stderr when
it is a terminal.

  --epochs E         train until epoch E (default: the train block's epochs)
  --seed S           seed of a fresh run (default: the train block's seed, else 0)
  --json             one JSON line per epoch on stdout: {"epoch", "loss", "train_accuracy", "test_accuracy", "seconds"}
                     (sequence models also "train_perplexity", "test_perplexity" before "seconds";
                     segmentation models "test_iou", "test_dice")
  --checkpoint PATH  write weights, optimizer and data-order state to PATH after every epoch (atomically)
  --resume PATH      continue the run saved in PATH exactly where it stopped (and keep checkpointing
                     there unless --checkpoint says otherwise)
  --set NAME=VALUE   override a network parameter, e.g. --set hidden=128`,
    flags: { '--epochs': { value: true }, '--seed': { value: true }, '--json': {}, '--checkpoint': { value: true }, '--resume': { value: true }, '--set': { value: true, repeat: true } },
    async load() {
      const { runTrain } = await import('./commands/train.ts');
      return (args, io) => runTrain({
        source: single(args.positional, 'train'),
        epochs: args.flags.get('--epochs')?.[0],
        seed: args.flags.get('--seed')?.[0],
        json: args.flags.has('--json'),
        checkpoint: args.flags.get('--checkpoint')?.[0],
        resume: args.flags.get('--resume')?.[0],
        overrides: parseOverrides(args.flags.get('--set'), 'train'),
      }, commandIo(io, true));
    },
  },
  serve: {
    summary: 'the playground: edit a network in the browser, see its diagnostics, graph and estimates live',
    usage: 'kiln serve [FILE.kiln] [--port N] [--target T]…',
    help: `Starts a local web server (127.0.0.1 only) with one page: an editor for .kiln text with Kiln's
syntax colours and its diagnostics inline as you type, the network's graph, estimates on the presets
you tick (the rows kiln estimate --json prints, computed in the browser by the same code), and the
partition map of every neuromorphic preset. The compiler and cost model run in the page; nothing is
sent back. Stops on Ctrl-C. npm run playground runs it. See docs/playground.md.

  FILE        the text to start with (default examples/mlp.kiln); its imports are not loaded
  --port N    the port (default 8080; 0 takes any free port); the URL is printed on stdout
  --target T  a preset ticked at the start (repeatable; default avx2_laptop and tpu_v1_like)`,
    flags: { '--port': { value: true }, '--target': { value: true, repeat: true } },
    async load() {
      const { runServe } = await import('./commands/serve.ts');
      return (args, io) => {
        if (args.positional.length > 1) throw new UsageError(`kiln serve: give at most one FILE, not ${args.positional.length}`);
        return runServe({ file: args.positional[0], port: args.flags.get('--port')?.[0], targets: args.flags.get('--target') ?? [] }, commandIo(io, false));
      };
    },
  },
  run: {
    summary: 'evaluate a trained network on a data set or on inputs from a JSON file',
    usage: 'kiln run FILE[:NETWORK] --checkpoint PATH --input DATA [--json] [--limit N] [--emulate] [--timing] [--set NAME=VALUE]…',
    help: `Loads the weights at PATH into NETWORK and runs it in inference mode. PATH is a checkpoint
kiln train wrote, a quantized checkpoint kiln quantize wrote (its layers run at the precisions it
records, whatever FILE declares), or a model kiln export wrote. Layers with integer, binary or
ternary weights run through integer kernels with static scales.

  --checkpoint PATH  the weights (a checkpoint or export of this network, same shapes)
  --input DATA       NAME:test or NAME:train for a data set of train blocks (mnist, mnist_masks, iris,
                     sequence, sequential_mnist, psmnist, slow_signal, sotu), split as FILE's
                     train block splits it, e.g. mnist:test; or a JSON file: an array of samples,
                     or {"inputs": [[…], …], "labels": [3, …]}; raw samples, preprocessed as
                     training preprocessed its data (e.g. Iris standardised)
  --json             {"network", "input", "samples", "accuracy", "correct", "predictions"[, "outputs"]}
  --limit N          only the first N samples
  --emulate          run i8/i16/binary/ternary layers as training does (f32 fake quantization)
                     instead of through their integer kernels (docs/precision.md#execution);
                     always so for a spiking network, whose analog input stays f32
  --timing           print to stderr where the time went (start-up, compile, data, checkpoint,
                     lowering with each lowered layer's kernel, inference, output), CPU and wall ms
  --set NAME=VALUE   override a network parameter`,
    flags: { '--checkpoint': { value: true }, '--input': { value: true }, '--json': {}, '--limit': { value: true }, '--emulate': {}, '--timing': {}, '--set': { value: true, repeat: true } },
    async load() {
      const { runRun } = await import('./commands/run.ts');
      return (args, io) => runRun({
        source: single(args.positional, 'run'),
        checkpoint: args.flags.get('--checkpoint')?.[0],
        input: args.flags.get('--input')?.[0],
        json: args.flags.has('--json'),
        limit: args.flags.get('--limit')?.[0],
        emulate: args.flags.has('--emulate'),
        timing: args.flags.has('--timing'),
        overrides: parseOverrides(args.flags.get('--set'), 'run'),
      }, commandIo(io, false));
    },
  },
  quantize: {
    summary: 'post-training quantization of a trained network to i8 or i16, without fine-tuning',
    usage: 'kiln quantize FILE[:NETWORK] --checkpoint PATH [--weights "i8 per_channel"] [--activations i8] [--calibrate DATA] [--samples N] [--method max|percentile:P|mse] [--out PATH] [--target T]… [--json] [--set NAME=VALUE]…',
    help: `Quantizes the f32 weights in PATH (kiln train --checkpoint) with symmetric scales, calibrates one
static scale per layer for its activations on calibration samples, and prints the test accuracy
of the f32 and the quantized network side by side (for i8 also with the other weight
granularity). No fine-tuning. The quantized checkpoint runs with \`kiln run FILE --checkpoint
OUT\` (it records which layers are quantized, so FILE can stay f32) and exports with kiln export.
See docs/precision.md, "Post-training quantization".

  --checkpoint PATH   the trained f32 weights
  --weights P         i8 or i16, then per_channel or per_tensor (defaults: i8 per_channel, i16
                      per_tensor, one shared exponent): "i8 per_channel"
  --activations P     i8, i16 (one static scale per tensor) or f32 (default: as --weights)
  --calibrate DATA    calibration samples: mnist:train, iris:train, … (default: the train block's
                      data set, training split)
  --samples N         calibration samples (default 256)
  --method M          how a layer's clip value is chosen: max (default), percentile:P (e.g.
                      percentile:99.99), or mse (the clip minimising the quantization error)
  --out PATH          write the quantized checkpoint (weights at their quantized values, scales as
                      LAYER/weight_scale, LAYER/act_scale (input) and LAYER/out_scale (output),
                      the precision of each layer)
  --target T          also estimate the f32 and the quantized network on T (repeatable)
  --json              {"f32_accuracy", "quantized_accuracy" (through the integer kernels, as kiln run
                      gives it), "emulated_accuracy" (f32 fake quantization), "per_tensor_accuracy" | "per_channel_accuracy",
                      "estimates"?, …}, accuracies as fractions
  --set NAME=VALUE    override a network parameter`,
    flags: {
      '--checkpoint': { value: true }, '--weights': { value: true }, '--activations': { value: true }, '--calibrate': { value: true }, '--samples': { value: true },
      '--method': { value: true }, '--out': { value: true }, '--target': { value: true, repeat: true }, '--json': {}, '--set': { value: true, repeat: true },
    },
    async load() {
      const { runQuantize } = await import('./commands/quantize.ts');
      return (args, io) => {
        const v = (f: string) => args.flags.get(f)?.[0];
        return runQuantize({
          source: single(args.positional, 'quantize'), checkpoint: v('--checkpoint'), weights: v('--weights'), activations: v('--activations'),
          calibrate: v('--calibrate'), samples: v('--samples'), method: v('--method'), out: v('--out'), targets: args.flags.get('--target') ?? [],
          json: args.flags.has('--json'), overrides: parseOverrides(args.flags.get('--set'), 'quantize'),
        }, commandIo(io, true));
      };
    },
  },
  convert: {
    summary: 'convert a trained ReLU network (ANN) to a spiking network of integrate-and-fire neurons',
    usage: 'kiln convert FILE[:NETWORK] --checkpoint PATH --timesteps T --out SNN.kiln [--normalize percentile:P|max] [--calibrate DATA] [--samples N] [--maxpool spike|avg] [--weights f32|i8] [--evaluate T1,T2,…] [--limit N] [--json] [--set NAME=VALUE]…',
    help: `Converts the trained f32 network in FILE with the weights in PATH to a spiking network
(Rueckauer et al. 2017): each relu becomes a lif layer with decay 1 (integrate-and-fire) and reset
by subtraction, whose threshold is the chosen percentile of that layer's positive activations on
calibration samples; batchnorm is folded into the layer before it, dropout removed, and the input
is presented as a constant current at every step. Writes SNN.kiln (a readable .kiln network with
timesteps T, which kiln check, estimate, partition, run and train take) and SNN.ckpt beside it,
then prints the test accuracy of the ANN and of the SNN. See docs/conversion.md.

  --checkpoint PATH   the trained ANN's weights (kiln train --checkpoint)
  --timesteps T       time steps per inference of the spiking network (its parameter T)
  --out SNN.kiln      the generated network; its weights go to SNN.ckpt
  --normalize N       percentile:P (default percentile:99.9) or max: how each threshold is chosen
  --calibrate DATA    calibration samples: mnist:train, iris:train, … (default: the train block's
                      data set, training split)
  --samples N         calibration samples (default 256)
  --maxpool M         spike (default): max pooling stays, over each step's spikes (an OR);
                      avg: max pooling becomes average pooling, linear in the rates
  --weights W         f32 (default): the trained weights as they are; i8: 8-bit integers in
                      [−127, 127] as a Loihi core holds them, one scale per layer folded into the
                      threshold (and bias) of the lif layer it drives. The report, SNN.kiln
                      (weights = i8 on each layer) and the checkpoint say which was written
  --evaluate LIST     step counts to report accuracy at, e.g. 10,25,50,100,200 (default: T),
                      all from one run of the largest
  --limit N           evaluate on the first N test samples only
  --json              {"thresholds", "ann_accuracy", "snn_accuracy": [{timesteps, accuracy}], …}
  --set NAME=VALUE    override a network parameter of the ANN`,
    flags: {
      '--checkpoint': { value: true }, '--timesteps': { value: true }, '--out': { value: true }, '--normalize': { value: true }, '--calibrate': { value: true },
      '--samples': { value: true }, '--maxpool': { value: true }, '--weights': { value: true }, '--evaluate': { value: true }, '--limit': { value: true }, '--json': {}, '--set': { value: true, repeat: true },
    },
    async load() {
      const { runConvert } = await import('./commands/convert.ts');
      return (args, io) => {
        const v = (f: string) => args.flags.get(f)?.[0];
        return runConvert({
          source: single(args.positional, 'convert'), checkpoint: v('--checkpoint'), timesteps: v('--timesteps'), normalize: v('--normalize'),
          calibrate: v('--calibrate'), samples: v('--samples'), maxpool: v('--maxpool'), weights: v('--weights'), out: v('--out'), evaluate: v('--evaluate'), limit: v('--limit'),
          json: args.flags.has('--json'), overrides: parseOverrides(args.flags.get('--set'), 'convert'),
        }, commandIo(io, true));
      };
    },
  },
  explore: {
    summary: 'compare precisions and dropout rates: accuracy against energy, latency and bytes on each target',
    usage: 'kiln explore FILE[:NETWORK] --target T [--target T2 …] [--precision f32,i16,i8,ternary,binary] [--ptq | --train-epochs N] [--dropout 0,0.25,0.5] [--chips 1,2,4,8] [--timesteps T] [--train-samples N] [--test-samples N] [--cache DIR] [--jobs N] [--json] [--report FILE.html] [--set NAME=VALUE]…',
    help: `Trains each variant (a precision on every layer with weights, at each dropout rate) as FILE's
train block says, or with --ptq trains f32 once per dropout rate and quantizes it without
fine-tuning; evaluates it on the held-out data; prices it per inference on every target; and marks
each target's Pareto-optimal variants (no other variant as accurate and as cheap). On a
neuromorphic target a non-spiking variant runs converted to spiking, as kiln convert converts it
(its row says "→ SNN T=25" and has the converted network's accuracy). See docs/explore.md.

Results are cached by content (network, variant, data, seed, epochs, Kiln's version) in DIR
(default .kiln-cache/ beside FILE): a re-run, or one with another target, trains nothing, and a
killed run resumes where it stopped (training checkpoints are kept per epoch).

  --target T          a target to price on (repeatable)
  --precision LIST    comma-separated among f32, i16, i8, ternary, binary (default all five);
                      auto adds a greedy per-layer search (first and last layer kept ≥ i8)
  --ptq               quantize one f32 training run instead of training each precision
  --train-epochs N    epochs to train (default: the train block's)
  --dropout LIST      drop probabilities for every dropout layer, e.g. 0,0.25,0.5
  --chips LIST        partition each neuromorphic target onto each chip count, e.g. 1,2,4,8
  --timesteps T       time steps of the spiking conversion (default 25)
  --train-samples N   train on the first N samples of the train block's data set
  --test-samples N    evaluate on N held-out samples
  --cache DIR         the cache directory
  --jobs N            compute N variants at a time in worker processes
  --only VARIANT      compute one variant into the cache and print its accuracy (what a worker does)
  --json              {"rows": [{"variant", "target", "kind", "accuracy", "energy_j", "latency_s",
                      "param_bytes", "pareto", "error"?}]}, per inference; null figures where the
                      target cannot run the variant
  --report FILE.html  an HTML report: Pareto scatter, per-layer energy and latency of the
                      Pareto-optimal variants, tables, partition maps (docs/reports.md)
  --set NAME=VALUE    override a network parameter`,
    flags: {
      '--target': { value: true, repeat: true }, '--precision': { value: true }, '--ptq': {}, '--train-epochs': { value: true }, '--dropout': { value: true },
      '--train-samples': { value: true }, '--test-samples': { value: true }, '--cache': { value: true }, '--jobs': { value: true }, '--only': { value: true },
      '--json': {}, '--report': { value: true }, '--chips': { value: true }, '--timesteps': { value: true }, '--set': { value: true, repeat: true },
    },
    async load() {
      const { runExplore } = await import('./commands/explore.ts');
      return (args, io) => {
        const v = (f: string) => args.flags.get(f)?.[0];
        return runExplore({
          source: single(args.positional, 'explore'), targets: args.flags.get('--target') ?? [], precision: v('--precision'), dropout: v('--dropout'),
          ptq: args.flags.has('--ptq'), trainEpochs: v('--train-epochs'), trainSamples: v('--train-samples'), testSamples: v('--test-samples'),
          cache: v('--cache'), jobs: v('--jobs'), only: v('--only'), report: v('--report'), json: args.flags.has('--json'),
          chips: v('--chips'), timesteps: v('--timesteps'), sets: args.flags.get('--set') ?? [], overrides: parseOverrides(args.flags.get('--set'), 'explore'),
        }, commandIo(io, false));
      };
    },
  },
  export: {
    summary: 'write the deployable model: weights packed at their precision, scales beside them',
    usage: 'kiln export FILE[:NETWORK] --checkpoint PATH --out FILE [--json] [--set NAME=VALUE]…',
    help: `Writes the weights in PATH (a training checkpoint, a kiln quantize checkpoint, or an export) as
the model inference needs: binary weights 1 bit each, ternary 2 bits, i8 1 byte, i16 2 bytes, each
quantized tensor with its scales (per tensor or per channel); everything else f32. No optimizer
state or latent weights. kiln run reads it wherever it reads a checkpoint, and runs exactly the
weights the quantized run uses. See docs/precision.md, "Export".

  --checkpoint PATH  the weights to export
  --out FILE         the export to write (atomically)
  --json             {"network", "out", "bytes", "checkpoint_bytes"}
  --set NAME=VALUE   override a network parameter`,
    flags: { '--checkpoint': { value: true }, '--out': { value: true }, '--json': {}, '--set': { value: true, repeat: true } },
    async load() {
      const { runExport } = await import('./commands/export.ts');
      return (args, io) => runExport({
        source: single(args.positional, 'export'), checkpoint: args.flags.get('--checkpoint')?.[0], out: args.flags.get('--out')?.[0],
        json: args.flags.has('--json'), overrides: parseOverrides(args.flags.get('--set'), 'export'),
      }, commandIo(io, false));
    },
  },
  partition: {
    summary: 'map a spiking network onto a neuromorphic target\'s cores and chips, or K-way partition a METIS/hMETIS file',
    usage: 'kiln partition SOURCE [--target T] [--chips N] [--parts K] [--imbalance 0.03] [--seed S] [--json] [--out PATH] [--mapping PATH] [--svg PATH] [--rate R | --rates FILE | --measure DATA [--checkpoint PATH] [--samples N] [--save-rates FILE]] [--sweep chips=1,2,4,8] [--effort fast|default|strong] [--strategy partition|greedy] [--hierarchy chips-first|flat] [--set NAME=VALUE]…',
    help: `SOURCE is a .kiln spiking network (FILE.kiln:NETWORK), a METIS graph (.graph, .metis: vertex
weights = neurons, edge weights = spike rates) or an hMETIS hypergraph (.hgr, .hmetis: one net per
presynaptic neuron, its first pin, weight = its rate).

With --target T (a neuromorphic preset such as loihi_1chip or loihi_32chip, or FILE.kiln:TARGET),
neurons go to cores under every per-core limit (neurons, input axons, output axons, synapse
memory), cores to chips and tiles, minimising spike messages (one per spike per destination core),
and the summary gives cores and chips used, messages within a core / across cores / across chips,
the edge cut (synapse edges across cores, weighted by spikes: to compare with gpmetis, not
minimised), the use of every limit, and energy and latency from the neuromorphic cost model. A METIS graph
has no synapse directions: onto a target it is split by edge cut under the neuron limit only.
Without a target, --parts K gives a plain balanced K-way partition of a METIS or hMETIS file
(edge cut for graphs, messages for hypergraphs), written like gpmetis's output.

  --target T        the neuromorphic target
  --chips N         use N chips of the target's kind instead of its own count
  --parts K         K parts, no target (METIS/hMETIS input)
  --imbalance E     allowed imbalance of a --parts partition (default 0.03, gpmetis -ufactor=30)
  --seed S          seed of the partitioner (default 1); equal seeds give equal results
  --json            the summary as JSON on stdout
  --out PATH        .kiln input: write the mapping JSON (layer neuron ranges → board.chip.tile.core);
                    METIS/hMETIS input: write the partition file there (default SOURCE.part.K)
  --mapping PATH    hMETIS input with a target: also write the mapping JSON
  --svg PATH        draw the chips and cores, coloured by layer, with inter-chip traffic
  --rate R          firing rate (spikes per neuron per time step) of every layer
  --rates FILE      per-layer rates, JSON {"layer": rate} (lif layers and the input, by name)
  --measure DATA    measure every neuron's rate by running the network on DATA (e.g. mnist:test)
  --checkpoint PATH trained weights for --measure (kiln train --checkpoint); untrained otherwise
  --samples N       samples to measure on (default 64)
  --save-rates FILE write the measured rates (each population's mean) as a rates file for --rates
  --sweep chips=LIST  map onto each chip count and print energy, latency and inter-chip traffic side by side
  --effort E        fast, default or strong partitioning
  --strategy S      partition (default: minimise spike messages) or greedy (fill cores in layer
                    order, chip by chip, as nengo-loihi's Greedy allocator does: the baseline)
  --hierarchy H     chips-first (default: a network over several chips is split into chips first,
                    minimising inter-chip messages, then each chip into cores) or flat (cores at
                    once, grouped onto chips afterwards)
  --set NAME=VALUE  override a network parameter`,
    flags: {
      '--target': { value: true }, '--chips': { value: true }, '--parts': { value: true }, '--imbalance': { value: true }, '--seed': { value: true }, '--json': {},
      '--out': { value: true }, '--mapping': { value: true }, '--svg': { value: true }, '--rate': { value: true }, '--rates': { value: true }, '--measure': { value: true },
      '--checkpoint': { value: true }, '--samples': { value: true }, '--save-rates': { value: true }, '--sweep': { value: true }, '--effort': { value: true }, '--strategy': { value: true }, '--hierarchy': { value: true }, '--set': { value: true, repeat: true },
    },
    async load() {
      const { runPartition } = await import('./commands/partition.ts');
      return (args, io) => {
        const v = (f: string) => args.flags.get(f)?.[0];
        return runPartition({
          source: single(args.positional, 'partition'), target: v('--target'), chips: v('--chips'), parts: v('--parts'), imbalance: v('--imbalance'), seed: v('--seed'),
          json: args.flags.has('--json'), out: v('--out'), mapping: v('--mapping'), svg: v('--svg'), rate: v('--rate'), ratesFile: v('--rates'), measure: v('--measure'),
          checkpoint: v('--checkpoint'), samples: v('--samples'), saveRates: v('--save-rates'), sweep: v('--sweep'), effort: v('--effort'), strategy: v('--strategy'), hierarchy: v('--hierarchy'), overrides: parseOverrides(args.flags.get('--set'), 'partition'),
        }, commandIo(io, true));
      };
    },
  },
  check: {
    summary: 'check a .kiln file: every network, target and train block',
    usage: 'kiln check FILE.kiln [--set NAME=VALUE]…',
    help: `Parses and checks every declaration in FILE and the files it imports, and reports every
error it finds. Prints a one-line summary when the file is clean, and for every classifier (a
softmax over a dense layer) the bit-width its last layer needs to train (after Park et al. 2018),
with a warning at that layer when it computes narrower.`,
    flags: { '--set': { value: true, repeat: true } },
    async load() {
      const [{ checkFile }, { PRESET_LIBRARY }, { lastLayerBits, lastLayerLine, narrowLastLayer }] = await Promise.all([
        import('../compiler/driver.ts'), import('../targets/resolve.ts'), import('../targets/training/last-layer-bits.ts'),
      ]);
      return (args, io) => {
        const file = single(args.positional, 'check');
        leanHeap();
        const r = checkFile(file, { overrides: parseOverrides(args.flags.get('--set'), 'check'), libraries: PRESET_LIBRARY });
        // Every classifier gets the Park et al. bound here, not only under estimate --training,
        // so a too-narrow last layer is caught before anyone trains or prices it.
        const classifiers = [...r.modules].flatMap(([name, m]) => { const l = lastLayerBits(m); return l ? [{ name, l }] : []; });
        const narrow = classifiers.flatMap(({ l }) => narrowLastLayer(l) ?? []);
        const code = report([...r.diagnostics, ...narrow], io, r.program.sources);
        if (code === 0) {
          const n = (m: Map<string, unknown>, what: string) => `${m.size} ${what}${m.size === 1 ? '' : 's'}`;
          io.out(`${file}: ok (${n(r.modules, 'network')}, ${n(r.targets, 'target')}, ${n(r.trains, 'train block')})\n`);
          for (const { name, l } of classifiers) io.out(`  ${name}: ${lastLayerLine(l)}\n`);
        }
        return code;
      };
    },
  },
};

/**
 * V8 tuned for a small peak rather than speed, for `check` (issue 9: a 2 MB source in under
 * 200 MB). Old space grows 1.25x between full collections instead of up to 4x, which let ~100 MB
 * of garbage sit at the peak; new space keeps its initial size instead of doubling to 16 MB. Both
 * flags are read at each collection, so setting them after start-up takes effect (unlike
 * --max-semi-space-size). Costs ~1.3 s of CPU on a 262,144-relu chain; not used where the run
 * itself allocates heavily (train, run), whose short-lived tensors want a large new space.
 */
function leanHeap(): void {
  setFlagsFromString('--heap-growing-percent=25');
  setFlagsFromString('--semi-space-growth-factor=1');
}

function single(positional: string[], command: string): string {
  if (positional.length !== 1) throw new UsageError(`kiln ${command}: expected one FILE, got ${positional.length === 0 ? 'none' : positional.join(' ')}\nusage: ${COMMANDS[command]!.usage}`);
  return positional[0]!;
}

const readSource = (file: string): string => readInputText(file);

/** Print diagnostics; 1 if any is an error. Files not in `sources` are read for display if possible. */
function report(diags: readonly Diagnostic[], io: Io, sources?: ReadonlyMap<string, string>): number {
  if (diags.length === 0) return 0;
  const all = new Map(sources ?? []);
  for (const d of diags) {
    const f = d.pos?.file;
    if (f && !all.has(f)) {
      try {
        all.set(f, readInputText(f));
      } catch {
        /* show the diagnostic without its source line */
      }
    }
  }
  io.err(formatDiagnostics(diags, all) + '\n');
  const errors = diags.filter((d) => d.severity === 'error').length;
  if (errors > 1) io.err(`${errors} errors\n`);
  return hasErrors(diags) ? 1 : 0;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `kiln ${VERSION} — compile, cost and train neural networks for SIMD CPUs, systolic arrays and neuromorphic chips

usage: kiln COMMAND [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}

  kiln COMMAND --help   options of one command
  kiln --version        the version

Exit status: 0 ok, 1 errors in the input, 2 bad command line, 70 internal error.
`;
}

const runners = new Map<string, Runner>();

function commandNamed(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

/** Import what the command `name` needs (nothing if it is not a command); main() can then run it. */
export async function loadCommand(name: string, args?: readonly string[]): Promise<void> {
  const command = commandNamed(name);
  if (command && !runners.has(name)) runners.set(name, await command.load(args));
}

/** Import every command's modules, for callers that run main() on arbitrary argv (the tests). */
export async function loadCommands(): Promise<void> {
  await Promise.all(Object.keys(COMMANDS).map((name) => loadCommand(name)));
}

/** The command line as bin/kiln.js runs it: load argv's command (not for --help), then main(). */
export async function cli(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd !== undefined && !rest.includes('--help') && !rest.includes('-h')) await loadCommand(cmd, rest);
  } catch (e) {
    return internalError(e, io);
  }
  const r = dispatch(argv, io);
  return typeof r === 'number' ? r : r.catch((e: unknown) => failure(e, io));
}

/** Run the command line; the command's modules must have been loaded (loadCommand, loadCommands). */
export function main(argv: readonly string[], io: Io = defaultIo): number {
  const r = dispatch(argv, io);
  if (typeof r === 'number') return r;
  // Only cli() can wait; a caller of main() that runs worker processes gets a clear bug report.
  r.catch(() => undefined);
  return internalError(new Error(`\`kiln ${argv[0]}\` with these options runs asynchronously: call cli(), not main()`), io);
}

function dispatch(argv: readonly string[], io: Io): number | Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.out(mainHelp());
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-V') {
      io.out(`kiln ${VERSION}\n`);
      return 0;
    }
    const command = commandNamed(cmd);
    if (!command) throw new UsageError(`kiln: unknown command '${cmd}'\n\n${mainHelp()}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: ${command.usage}\n\n${command.help}\n`);
      return 0;
    }
    const run = runners.get(cmd);
    if (!run) throw new Error(`the modules of \`kiln ${cmd}\` were not loaded: await loadCommand('${cmd}') (or use cli()) before main()`);
    return run(parseArgs(rest, command.flags, cmd), io);
  } catch (e) {
    return failure(e, io);
  }
}

function failure(e: unknown, io: Io): number {
  if (e instanceof UsageError) {
    io.err(e.message + '\n');
    return 2;
  }
  if (e instanceof KilnError) return report(e.diagnostics, io, e.sources) || 1;
  return internalError(e, io);
}

function internalError(e: unknown, io: Io): number {
  const where = e instanceof PassFailure ? ` (in pass ${e.passName})` : '';
  const stackTop = e instanceof Error ? (e.stack ?? '').split('\n').slice(1, 3).map((l) => sourceFrame(l.trim())).join(' | ') : '';
  io.err(`kiln: internal error${where}: ${e instanceof Error ? e.message : String(e)}\n` +
    `  This is a bug in Kiln, not in your input. Please report it on the Kiln issue tracker with the\n` +
    `  command line, the input files and this line: ${stackTop}\n`);
  return 70;
}
