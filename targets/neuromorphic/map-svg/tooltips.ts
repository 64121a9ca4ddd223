/**
 * Tooltip texts (plain, unescaped; callers escape). Newlines become line breaks in browsers'
 * tooltips, so each fact gets its own line.
 */
import type { CoreMapping, CoreUse, Mapping } from '../mapping.ts';
import type { ChipInfo, CoreShare, Summary } from './summary.ts';
import { count, usePct } from './xml.ts';

const LIMITS: [keyof CoreUse, string][] = [
  ['neurons', 'neurons'],
  ['input_axons', 'input axons'],
  ['output_axons', 'output axons'],
  ['synapse_words', 'synapse words'],
];

/** The limits a core exceeds; a mapping should have none, so the picture flags any it finds. */
export function overLimits(use: CoreUse, limits: CoreUse): string[] {
  return LIMITS.filter(([k]) => limits[k] > 0 && use[k] > limits[k]).map(([, label]) => label);
}

export function coreTooltip(core: CoreMapping, shares: CoreShare[], s: Summary, limits: CoreUse): string {
  const tx = core.tile % s.tileCols;
  const ty = Math.floor(core.tile / s.tileCols);
  const lines = [`core ${core.address} (chip ${core.chip}, tile ${core.tile} at x ${tx} y ${ty}, core ${core.core})`];
  if (shares.length === 0) lines.push('no layer');
  for (const sh of shares) {
    const ranges = sh.ranges.map((r) => `[${r.from}, ${r.to})`).join(' ');
    lines.push(`${sh.layer.name}: ${count(sh.neurons)} neurons ${ranges}`);
  }
  for (const [k, label] of LIMITS) lines.push(`${label} ${usePct(core.use[k], limits[k])}`);
  const over = overLimits(core.use, limits);
  if (over.length > 0) lines.push(`OVER LIMIT: ${over.join(', ')}`);
  return lines.join('\n');
}

export function chipTooltip(chip: ChipInfo, s: Summary): string {
  const lines = [`chip ${chip.chip} (x ${chip.x}, y ${chip.y})`];
  if (chip.cores.length === 0) lines.push('unused');
  else lines.push(`cores ${usePct(chip.cores.length, s.coresPerChip)}, ${count(chip.neurons)} neurons`);
  const coresOf = new Map<number, number>();
  for (const core of chip.cores) for (const sh of s.shares(core)) coresOf.set(sh.layer.index, (coresOf.get(sh.layer.index) ?? 0) + 1);
  for (const [index, n] of [...chip.byLayer].sort((p, q) => p[0] - q[0])) {
    const layer = s.layers[index];
    const cores = coresOf.get(index) ?? 0;
    if (layer) lines.push(`${layer.name}: ${count(n)} neurons on ${count(cores)} core${cores === 1 ? '' : 's'}`);
  }
  if (chip.sentTo > 0) lines.push(`sends ${count(chip.sent)} messages/time step to ${chip.sentTo} chip${chip.sentTo === 1 ? '' : 's'}`);
  if (chip.receivedFrom > 0) lines.push(`receives ${count(chip.received)} messages/time step from ${chip.receivedFrom} chip${chip.receivedFrom === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** Default picture title: what was mapped onto what. */
export function defaultTitle(m: Mapping): string {
  const what = m.network ?? m.source;
  return m.target ? `${what} on ${m.target}` : what;
}
