/**
 * SCALE-Sim topology CSVs (topology_utils.load_arrays_conv / load_arrays_gemm).
 *
 * conv: `name, H, W, Fh, Fw, C, Nf, stride[, stride_w | N:M],` one header row.
 * gemm: `name, M, N, K[, N:M],` one header row; a row becomes SCALE-Sim's conv row
 *       H=M, W=K, Fh=1, Fw=K, C=1, Nf=N, stride 1.
 *
 * SCALE-Sim drops the last field of every row (it expects a trailing comma) and crashes on
 * anything unexpected; its own shipped files contain blank rows, `,,,,` rows, title rows such as
 * `AlphaGoZero,`, `#dw` comments, a BOM, a tab-separated file and annotation columns. We accept
 * all of those (trailing comma optional, `#` starts a comment, title and empty rows skipped,
 * extra columns allowed when the header names them) and report anything else as an error at its
 * file:line:col. A name containing "DP" is split into one C=1 layer per channel, as SCALE-Sim
 * does for depthwise layers. An `N:M` sparsity column is accepted and ignored (v2 only uses it
 * when sparsity is enabled in the config).
 */

import { error, KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { convFromGemm, type ConvShape, type GemmShape } from './gemm-model.ts';
import { convBreach, gemmBreach, LIMIT_HINT, SCALESIM_LIMITS } from './scalesim-limits.ts';

export type TopologyFormat = 'conv' | 'gemm';

export interface TopologyLayer extends ConvShape {
  name: string;
  /** The row's format; GEMM rows also keep their (M, N, K). */
  format: TopologyFormat;
  gemm?: GemmShape;
  /** 1-based line of the row in its file. */
  line: number;
}

const CONV_COLUMNS = ['IFMAP height', 'IFMAP width', 'filter height', 'filter width', 'channels', 'number of filters', 'stride'];
const GEMM_COLUMNS = ['M', 'N', 'K'];
/** The shape field each column fills, to point a limit error at its column. */
const CONV_FIELDS: (keyof ConvShape)[] = ['ifmapH', 'ifmapW', 'filterH', 'filterW', 'channels', 'numFilters', 'strideH'];
const GEMM_FIELDS = ['M', 'N', 'K'];

interface Field {
  text: string;
  col: number;
}

function splitRow(raw: string, delimiter: string): Field[] {
  const fields: Field[] = [];
  let start = 0;
  for (;;) {
    const end = raw.indexOf(delimiter, start);
    const piece = end < 0 ? raw.slice(start) : raw.slice(start, end);
    const lead = piece.length - piece.trimStart().length;
    fields.push({ text: piece.trim(), col: start + lead + 1 });
    if (end < 0) break;
    start = end + delimiter.length;
  }
  while (fields.length > 0 && fields[fields.length - 1]!.text === '') fields.pop();
  return fields;
}

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

function delimiterOf(header: string): string {
  return !header.includes(',') && header.includes('\t') ? '\t' : ',';
}

function stripComment(raw: string): string {
  const hash = raw.indexOf('#');
  return hash < 0 ? raw : raw.slice(0, hash);
}

/** The format named by the header (`..., M, N, K` is gemm), else guessed from the first row. */
export function detectTopologyFormat(text: string): TopologyFormat | undefined {
  const all = lines(text);
  const header = all[0] ?? '';
  const delim = delimiterOf(header);
  const names = splitRow(header, delim).map((f) => f.text.toLowerCase());
  if (names.length >= 4 && names[1] === 'm' && names[2] === 'n' && names[3] === 'k') return 'gemm';
  if (names.length >= 8) return 'conv';
  for (const raw of all.slice(1)) {
    const nums = splitRow(stripComment(raw), delim).slice(1).filter((f) => f.text !== '');
    if (nums.length === 0) continue;
    if (nums.length === 3) return 'gemm';
    if (nums.length >= 7) return 'conv';
    return undefined;
  }
  return undefined;
}

export function parseTopologyCsv(
  text: string,
  file: string,
  format?: TopologyFormat,
  notes?: Diagnostic[],
): TopologyLayer[] {
  const all = lines(text);
  const fmt = format ?? detectTopologyFormat(text);
  if (!fmt) {
    throw new KilnError(error('scalesim-topology-format', 'cannot tell whether this is a conv or a GEMM topology',
      { file, line: 1, col: 1 },
      'use the header `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,` or `Layer, M, N, K,`'));
  }
  const delim = delimiterOf(all[0] ?? '');
  const headerCols = splitRow(all[0] ?? '', delim);
  const needed = fmt === 'conv' ? 7 : 3;
  const optional = 1; // stride_w or N:M for conv, N:M for gemm
  const diags: Diagnostic[] = [];
  const layers: TopologyLayer[] = [];
  for (let i = 1; i < all.length; i++) {
    const line = i + 1;
    const fields = splitRow(stripComment(all[i]!), delim);
    if (fields.length === 0 || fields.every((f) => f.text === '')) continue;
    const values = fields.slice(1);
    if (values.every((f) => f.text === '')) {
      notes?.push({ severity: 'note', code: 'scalesim-topology-title', message: `skipped title row \`${fields[0]!.text}\``, pos: { file, line, col: 1 } });
      continue;
    }
    const name = fields[0]!.text;
    const pos = (f: Field | undefined) => ({ file, line, col: f?.col ?? all[i]!.length + 1, length: Math.max(1, f?.text.length ?? 1) });
    const nums: number[] = [];
    let bad = false;
    for (let j = 0; j < needed; j++) {
      const f = values[j];
      if (!f || !/^\+?\d+$/.test(f.text) || Number(f.text) < 1) {
        const what = (fmt === 'conv' ? CONV_COLUMNS : GEMM_COLUMNS)[j]!;
        diags.push(error('scalesim-topology-value',
          f && f.text !== '' ? `${what} must be a positive integer, got \`${f.text}\`` : `missing ${what}`,
          pos(f), fmt === 'conv' ? 'conv rows are: name, H, W, Fh, Fw, C, Nf, stride' : 'GEMM rows are: name, M, N, K'));
        bad = true;
        break;
      }
      nums.push(Number(f.text));
    }
    if (bad) continue;
    let strideW: number | undefined;
    const opt = values[needed];
    if (opt && opt.text !== '') {
      if (fmt === 'conv' && /^\+?\d+$/.test(opt.text) && Number(opt.text) >= 1) strideW = Number(opt.text);
      else if (!/^\d+\s*:\s*\d+$/.test(opt.text)) {
        diags.push(error('scalesim-topology-value', `unexpected value \`${opt.text}\``, pos(opt),
          fmt === 'conv' ? 'the ninth column may hold the column stride or an N:M sparsity ratio' : 'the fifth column may hold an N:M sparsity ratio'));
        continue;
      }
    }
    const extra = values.slice(needed + optional).find((f, j) => f.text !== '' && (headerCols[needed + optional + 1 + j]?.text ?? '') === '');
    if (extra) {
      diags.push(error('scalesim-topology-value', `unexpected extra value \`${extra.text}\``, pos(extra),
        'extra columns are only allowed under a named header column'));
      continue;
    }
    if (fmt === 'gemm') {
      const [M, N, K] = nums as [number, number, number];
      const breach = gemmBreach({ M, N, K });
      if (breach) {
        diags.push(error('scalesim-too-large', breach.message, pos(values[GEMM_FIELDS.indexOf(breach.field)]), LIMIT_HINT));
        continue;
      }
      layers.push({ name, format: 'gemm', gemm: { M, N, K }, line, ...convFromGemm({ M, N, K }) });
      continue;
    }
    const [H, W, Fh, Fw, C, Nf, S] = nums as [number, number, number, number, number, number, number];
    if (Fh > H || Fw > W) {
      diags.push(error('scalesim-topology-value', `filter ${Fh}x${Fw} is larger than the ${H}x${W} ifmap`,
        pos(values[Fh > H ? 2 : 3]), 'SCALE-Sim does not pad: the ifmap must be at least the filter size'));
      continue;
    }
    const conv = { ifmapH: H, ifmapW: W, filterH: Fh, filterW: Fw, channels: C, numFilters: Nf, strideH: S, strideW: strideW ?? S };
    const breach = convBreach(conv);
    if (breach) {
      diags.push(error('scalesim-too-large', breach.message, pos(breach.field === 'strideW' ? opt : values[CONV_FIELDS.indexOf(breach.field as keyof ConvShape)]), LIMIT_HINT));
      continue;
    }
    if (layers.length + (name.includes('DP') ? C : 1) > SCALESIM_LIMITS.layers) {
      diags.push(error('scalesim-too-large', `more than ${SCALESIM_LIMITS.layers.toLocaleString('en-US')} layers${name.includes('DP') ? ` (a depthwise \`DP\` row becomes one layer per channel: ${C.toLocaleString('en-US')})` : ''}`,
        pos(name.includes('DP') ? values[4] : fields[0]), LIMIT_HINT));
      break;
    }
    if (name.includes('DP')) {
      for (let ch = 0; ch < C; ch++) layers.push({ name: `${name}Channel_${ch}`, format: 'conv', line, ...conv, channels: 1 });
    } else layers.push({ name, format: 'conv', line, ...conv });
  }
  if (diags.length > 0) throw new KilnError(diags);
  if (layers.length === 0) {
    throw new KilnError(error('scalesim-topology-empty', 'the topology has no layers', { file, line: 1, col: 1 },
      fmt === 'conv' ? 'add one row per layer under the header: name, H, W, Fh, Fw, C, Nf, stride,' : 'add one row per layer under the header: name, M, N, K,'));
  }
  return layers;
}
