/**
 * `kiln export SOURCE --checkpoint CKPT --out FILE`: the deployable model, weights packed at their
 * stored precision (runtime/export/), from a training checkpoint, a quantized one, or an export.
 */
import { statSync } from 'node:fs';
import { writeExportAtomic } from '../../runtime/export/model-file.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { loadCheckpointInto } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { UsageError } from '../args.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import type { CommandIo } from './train.ts';

export interface ExportArgs {
  source: string;
  checkpoint?: string;
  out?: string;
  json: boolean;
  overrides: Map<string, number>;
}

export function runExport(a: ExportArgs, io: CommandIo): number {
  if (!a.checkpoint) throw new UsageError('kiln export: give the weights with --checkpoint PATH (kiln train --checkpoint, or kiln quantize --out)');
  if (!a.out) throw new UsageError('kiln export: give the file to write with --out FILE');
  checkOutputs('export', [['--out', a.out]], [...inputFiles(a.source), a.checkpoint]);
  const p = prepare(a.source, { overrides: a.overrides });
  if (p.warnings.length) io.warn(p.warnings);
  const weights = initParams(p.module, 0);
  const { checkpoint, module } = loadCheckpointInto(a.checkpoint, p.module, weights, { weightsOnly: true });
  const bytes = writeExportAtomic(a.out, module, weights, checkpoint.preprocess);
  const ckptBytes = statSync(a.checkpoint).size;
  if (a.json) io.out(JSON.stringify({ network: module.name, out: a.out, bytes, checkpoint_bytes: ckptBytes }) + '\n');
  else io.out(`${module.name}: wrote ${a.out}, ${bytes.toLocaleString('en-US')} bytes (the checkpoint: ${ckptBytes.toLocaleString('en-US')} bytes, ${(ckptBytes / bytes).toFixed(1)}× larger)\n`);
  return 0;
}
