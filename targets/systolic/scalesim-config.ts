/**
 * SCALE-Sim's .cfg files (scale_config.read_conf_file), read the way Python's configparser reads
 * them: `[section]` headers, `key = value` or `key: value`, keys case-insensitive, values
 * trimmed, whole-line `#` / `;` comments. We are a little more lenient (section names and the
 * Dataflow / InterfaceBandwidth values are case-insensitive, trailing ` # comments` are dropped,
 * offsets, MemoryBanks and InterfaceBandwidth have SCALE-Sim's defaults) and stricter where
 * SCALE-Sim would crash later (SRAM sizes must be at least 1 kB).
 */

import {
  closest,
  error,
  KilnError,
  type Diagnostic,
  type SourcePos,
} from '../../compiler/lang/diagnostics.ts';
import type { Dataflow } from './gemm-model.ts';
import { LIMIT_HINT, SCALESIM_LIMITS as LIMITS } from './scalesim-limits.ts';

export interface ScaleSimConfig {
  runName: string;
  arrayRows: number;
  arrayCols: number;
  ifmapSramKb: number;
  filterSramKb: number;
  ofmapSramKb: number;
  ifmapOffset: number;
  filterOffset: number;
  ofmapOffset: number;
  dataflow: Dataflow;
  /** DRAM words per cycle per bank; only used by SCALE-Sim in USER mode. */
  bandwidth: number[];
  memoryBanks: number;
  interfaceBandwidth: 'CALC' | 'USER';
  /** [network_presets] TopologyCsvLoc, if given. */
  topologyCsv?: string;
  /** Where each setting was read from, so later errors can point at it. */
  positions?: Partial<Record<ConfigField, SourcePos>>;
}

type ConfigField = Exclude<keyof ScaleSimConfig, 'positions'>;

/** SCALE-Sim's shipped scale.cfg, as a starting point for programmatic configs. */
export function scaleSimConfig(overrides: Partial<ScaleSimConfig> = {}): ScaleSimConfig {
  return {
    runName: 'scale_run',
    arrayRows: 32,
    arrayCols: 32,
    ifmapSramKb: 64,
    filterSramKb: 64,
    ofmapSramKb: 64,
    ifmapOffset: 0,
    filterOffset: 10000000,
    ofmapOffset: 20000000,
    dataflow: 'os',
    bandwidth: [10],
    memoryBanks: 1,
    interfaceBandwidth: 'CALC',
    ...overrides,
  };
}

interface Entry {
  section: string;
  key: string;
  rawKey: string;
  value: string;
  keyPos: SourcePos;
  valuePos: SourcePos;
}

const INT_KEYS: Record<string, { field: ConfigField; min: number; max: number; required: boolean }> = {
  arrayheight: { field: 'arrayRows', min: 1, max: LIMITS.arraySide, required: true },
  arraywidth: { field: 'arrayCols', min: 1, max: LIMITS.arraySide, required: true },
  ifmapsramszkb: { field: 'ifmapSramKb', min: 1, max: LIMITS.sramKb, required: true },
  filtersramszkb: { field: 'filterSramKb', min: 1, max: LIMITS.sramKb, required: true },
  ofmapsramszkb: { field: 'ofmapSramKb', min: 1, max: LIMITS.sramKb, required: true },
  ifmapoffset: { field: 'ifmapOffset', min: 0, max: Number.MAX_SAFE_INTEGER, required: false },
  filteroffset: { field: 'filterOffset', min: 0, max: Number.MAX_SAFE_INTEGER, required: false },
  ofmapoffset: { field: 'ofmapOffset', min: 0, max: Number.MAX_SAFE_INTEGER, required: false },
  memorybanks: { field: 'memoryBanks', min: 1, max: LIMITS.memoryBanks, required: false },
};

/** The spelling used in SCALE-Sim's own configs, for messages. */
const DISPLAY: Record<string, string> = {
  arrayheight: 'ArrayHeight',
  arraywidth: 'ArrayWidth',
  ifmapsramszkb: 'IfmapSramSzkB',
  filtersramszkb: 'FilterSramSzkB',
  ofmapsramszkb: 'OfmapSramSzkB',
  ifmapoffset: 'IfmapOffset',
  filteroffset: 'FilterOffset',
  ofmapoffset: 'OfmapOffset',
  memorybanks: 'MemoryBanks',
  bandwidth: 'Bandwidth',
  dataflow: 'Dataflow',
  interfacebandwidth: 'InterfaceBandwidth',
  run_name: 'run_name',
  topologycsvloc: 'TopologyCsvLoc',
};

const SECTION_OF: Record<string, string> = {
  run_name: 'general',
  interfacebandwidth: 'run_presets',
  topologycsvloc: 'network_presets',
  dataflow: 'architecture_presets',
  bandwidth: 'architecture_presets',
  ...Object.fromEntries(Object.keys(INT_KEYS).map((k) => [k, 'architecture_presets'])),
};

function splitEntries(text: string, file: string): { entries: Entry[]; sections: Map<string, SourcePos> } {
  const entries: Entry[] = [];
  const sections = new Map<string, SourcePos>();
  let section: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const col = raw.indexOf(trimmed) + 1;
    const header = /^\[(.*)\]$/.exec(trimmed);
    if (header) {
      const name = header[1]!.trim().toLowerCase();
      const pos = { file, line, col, length: trimmed.length };
      if (sections.has(name)) {
        throw new KilnError(error('scalesim-config-duplicate-section', `section [${header[1]!.trim()}] appears twice`, pos,
          'configparser rejects repeated sections; merge them'));
      }
      sections.set(name, pos);
      section = name;
      return;
    }
    const delim = trimmed.search(/[=:]/);
    if (delim <= 0) {
      throw new KilnError(error('scalesim-config-syntax', `expected \`key = value\` or \`key: value\`, got \`${trimmed}\``,
        { file, line, col, length: trimmed.length }, 'each setting is one key, then = or :, then its value'));
    }
    if (section === undefined) {
      throw new KilnError(error('scalesim-config-syntax', 'setting before any [section] header',
        { file, line, col, length: trimmed.length }, 'start the file with [general], [architecture_presets] or [run_presets]'));
    }
    const rawKey = trimmed.slice(0, delim).trim();
    const afterDelim = trimmed.slice(delim + 1);
    const value = afterDelim.replace(/\s[#;].*$/, '').trim();
    const valueCol = col + delim + 1 + (afterDelim.length - afterDelim.trimStart().length);
    const key = rawKey.toLowerCase();
    const keyPos = { file, line, col, length: rawKey.length };
    const dup = entries.find((e) => e.section === section && e.key === key);
    if (dup) {
      throw new KilnError(error('scalesim-config-duplicate-key', `\`${rawKey}\` is set twice in [${section}]`, keyPos,
        `the first setting is at line ${dup.keyPos.line}; keep one`));
    }
    entries.push({ section, key, rawKey, value, keyPos, valuePos: { file, line, col: valueCol, length: Math.max(1, value.length) } });
  });
  return { entries, sections };
}

function missing(key: string, file: string, entries: Entry[], sections: Map<string, SourcePos>): KilnError {
  const want = DISPLAY[key] ?? key;
  const section = SECTION_OF[key] ?? 'architecture_presets';
  const known = new Set(Object.keys(SECTION_OF));
  const typo = entries.find((e) => !known.has(e.key) && closest(e.key, [key]) !== undefined);
  if (typo) {
    return new KilnError(error('scalesim-config-unknown-key', `unknown setting \`${typo.rawKey}\``, typo.keyPos,
      `did you mean \`${want}\`?`));
  }
  const pos = sections.get(section) ?? { file, line: 1, col: 1 };
  return new KilnError(error('scalesim-config-missing', `missing required setting \`${want}\` in [${section}]`, pos,
    `add a line \`${want}: <value>\` under [${section}]`));
}

export function parseScaleSimConfig(text: string, file: string): ScaleSimConfig {
  const { entries, sections } = splitEntries(text, file);
  const get = (key: string): Entry | undefined => entries.find((e) => e.key === key && e.section === SECTION_OF[key])
    ?? entries.find((e) => e.key === key);
  const cfg = scaleSimConfig();
  const positions: Partial<Record<ConfigField, SourcePos>> = {};
  const diags: Diagnostic[] = [];

  for (const [key, spec] of Object.entries(INT_KEYS)) {
    const e = get(key);
    if (!e) {
      if (spec.required) throw missing(key, file, entries, sections);
      continue;
    }
    if (!/^[+-]?\d+$/.test(e.value)) {
      diags.push(error('scalesim-config-value', `${DISPLAY[key]} must be an integer, got \`${e.value}\``, e.valuePos));
      continue;
    }
    const v = Number(e.value);
    if (v < spec.min) {
      diags.push(error('scalesim-config-value', `${DISPLAY[key]} must be at least ${spec.min}, got ${v}`, e.valuePos,
        spec.min === 1 ? 'SCALE-Sim needs at least one row/column, bank and kB of SRAM' : undefined));
      continue;
    }
    if (v > spec.max) {
      diags.push(error('scalesim-config-value', `${DISPLAY[key]} must be at most ${spec.max.toLocaleString('en-US')}, got ${e.value}`, e.valuePos, LIMIT_HINT));
      continue;
    }
    (cfg as unknown as Record<string, number>)[spec.field] = v;
    positions[spec.field] = e.valuePos;
  }

  const df = get('dataflow');
  if (!df) throw missing('dataflow', file, entries, sections);
  const dfValue = df.value.toLowerCase();
  if (dfValue === 'os' || dfValue === 'ws' || dfValue === 'is') {
    cfg.dataflow = dfValue;
    positions.dataflow = df.valuePos;
  } else {
    const guess = closest(dfValue, ['os', 'ws', 'is']);
    diags.push(error('scalesim-config-value', `unknown Dataflow \`${df.value}\``, df.valuePos,
      guess ? `did you mean \`${guess}\`? (os, ws or is)` : 'use os, ws or is'));
  }

  const ib = get('interfacebandwidth');
  if (ib) {
    const mode = ib.value.toUpperCase();
    if (mode === 'CALC' || mode === 'USER') {
      cfg.interfaceBandwidth = mode;
      positions.interfaceBandwidth = ib.valuePos;
    } else {
      diags.push(error('scalesim-config-value', `InterfaceBandwidth must be CALC or USER, got \`${ib.value}\``, ib.valuePos));
    }
  }

  const bw = get('bandwidth');
  if (bw) {
    const parts = bw.value.split(',').map((s) => s.trim());
    if (parts.every((p) => /^\d+$/.test(p) && Number.isSafeInteger(Number(p)))) {
      cfg.bandwidth = parts.map(Number);
      positions.bandwidth = bw.valuePos;
    } else if (cfg.interfaceBandwidth === 'USER') {
      diags.push(error('scalesim-config-value', `Bandwidth must be a comma-separated list of integers, got \`${bw.value}\``, bw.valuePos));
    }
  }
  if (cfg.interfaceBandwidth === 'USER' && cfg.bandwidth.length !== cfg.memoryBanks) {
    diags.push(error('scalesim-config-value', `USER mode needs one Bandwidth per memory bank (${cfg.memoryBanks})`,
      bw?.valuePos ?? positions.interfaceBandwidth));
  }

  const run = get('run_name');
  if (run) cfg.runName = run.value;
  const topo = get('topologycsvloc');
  if (topo) cfg.topologyCsv = topo.value.replace(/^"(.*)"$/, '$1');
  if (diags.length > 0) throw new KilnError(diags);
  cfg.positions = positions;
  return cfg;
}
