/** `kiln train FILE[:NETWORK]`: run a network's train block. */
import { UsageError } from '../args.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import type { Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { loadData } from '../../runtime/data/index.ts';
import { deltaActivity, formatDeltaActivity } from './delta-summary.ts';
import { formatSigmaDeltaActivity, sigmaDeltaActivity } from './sigma-delta-summary.ts';
import { train, type TrainConfig } from '../../runtime/train.ts';
import { epochJson, formatEpoch, progressBar, progressLines } from '../../runtime/train/progress.ts';
import { prepare } from '../../runtime/train/setup.ts';

export interface TrainArgs {
  source: string;
  epochs?: string;
  seed?: string;
  json: boolean;
  checkpoint?: string;
  resume?: string;
  overrides: Map<string, number>;
}

export interface CommandIo {
  out(s: string): void;
  err(s: string): void;
  /** Print warnings (the CLI formats them with their source lines). */
  warn(d: Diagnostic[]): void;
  /** stderr is a terminal: draw a progress bar. */
  tty: boolean;
}

export function wholeNumber(command: string, flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`kiln ${command}: ${flag} takes a whole number ≥ ${min}, not '${text}'`);
  return n;
}

/** What the header line says about low-precision training, when the train block asks for it. */
function numerics(c: TrainConfig): string {
  const { storage = 'f32', kahan } = c.optimizer;
  const stored = storage === 'f32' ? '' : `, weights stored in ${storage}${kahan ? ' with Kahan summation' : ''}`;
  return stored + (c.precision === 'dfp16' ? ', dense and conv2d GEMMs in int16 dynamic fixed point' : '');
}

export function runTrain(a: TrainArgs, io: CommandIo): number {
  const epochs = wholeNumber('train', '--epochs', a.epochs, 1);
  const seed = wholeNumber('train', '--seed', a.seed, 0);
  if (a.resume && seed !== undefined) throw new UsageError('kiln train: --seed starts a fresh run; a resumed run keeps its checkpoint\'s seed');
  if (a.resume === '') throw new UsageError('kiln train: --resume needs a checkpoint file name, not an empty string');
  checkOutputs('train', [[a.checkpoint !== undefined ? '--checkpoint' : '--resume', a.checkpoint ?? a.resume]], inputFiles(a.source));
  const p = prepare(a.source, { overrides: a.overrides, requireTrain: true });
  if (p.warnings.length) io.warn(p.warnings);
  const config = p.config!;
  const data = loadData(config.data.name, config.data.args);
  const total = epochs ?? config.epochs;
  const bar = io.tty ? progressBar(io.err) : progressLines(io.err);
  // Printed once the run can start, so a resume that cannot read its checkpoint fails with nothing
  // on stdout (results only there; a script reading it sees no half-run).
  const head = (): void => {
    if (a.json) return;
    io.out(`training ${p.module.name} on ${config.data.name} (${data.train.count} train, ${data.test.count} test), ` +
      `batch ${(p.module.nodes[p.module.inputs[0]!]!.attrs.shape as number[])[0]}, ${config.optimizer.kind}(lr = ${config.optimizer.lr}), ${total} epoch${total === 1 ? '' : 's'}${numerics(config)}\n`);
  };
  const r = train({ module: p.module, config, data }, {
    epochs, seed,
    resume: a.resume,
    checkpoint: a.checkpoint ?? a.resume,
    onStart: head,
    onBatch: (b) => bar.update(b),
    onEpoch: (e) => {
      bar.clear();
      io.out((a.json ? epochJson(e) : formatEpoch(e, total)) + '\n');
    },
  });
  bar.clear();
  if (r.epochsRun === 0) io.err(`kiln train: the checkpoint already holds ${r.history.length} of ${total} epochs; nothing to do (raise --epochs to train further)\n`);
  else if (!a.json) {
    const last = r.history[r.history.length - 1]!;
    const saved = a.checkpoint ?? a.resume;
    const ppl = last.test_perplexity !== undefined ? `, perplexity ${last.test_perplexity.toFixed(1)}` : '';
    const overlap = last.test_iou !== undefined ? `, IoU ${last.test_iou.toFixed(3)}, Dice ${last.test_dice!.toFixed(3)}` : '';
    io.out(`done: test ${overlap ? 'pixel ' : ''}accuracy ${(100 * last.test_accuracy).toFixed(2)}%${ppl}${overlap} after ${last.epoch} epochs${saved ? `; checkpoint ${saved}` : ''}\n`);
    const delta = deltaActivity(p.module, r.weights, data.test);
    if (delta) io.out(formatDeltaActivity(delta));
    const sd = sigmaDeltaActivity(p.module, r.weights, data.test);
    if (sd) io.out(formatSigmaDeltaActivity(sd));
  }
  return 0;
}
