/**
 * Activity in the price of a CPU or array layer. Two things scale a GEMM:
 * - a delta or sigma-delta layer sends only the input changes that cross its threshold, so its
 *   products are done per transmitted event, on every target (a property of the algorithm): a
 *   delta layer's GEMM is priced over delta_fraction of its K columns (fewer MACs, cycles and
 *   operand traffic); a product reading sigma-delta units (a dense layer after them, an lmu's own
 *   recurrence) over events_per_activation of the columns they feed (lmu-work.ts);
 * - a target that declares `zero_skipping` avoids products whose input is an exact zero: `gate`
 *   (the multiplier is not toggled, as in Eyeriss's data gating: energy only) or `skip` (the work
 *   is not issued: energy and time), for `zero_skip_fraction` of the zeros, at `zero_skip_overhead`
 *   (a fraction of the dense MACs) for finding them.
 * Every layer records the activity it was priced with and where it came from (ActivityUsed).
 */
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import type { Node } from '../compiler/ir/module.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import { ACTIVITY_KEYS, type Activity, type ActivityUsed } from './activity.ts';
import { eventColumns, isSigmaDelta } from './lmu-work.ts';
import type { GemmWork, LayerWork } from './workload.ts';

export interface ZeroSkipping {
  mode: 'gate' | 'skip';
  /** Share of the zero-input products the hardware avoids. */
  fraction: number;
  /** Extra work for finding the zeros, as a fraction of the dense MACs. */
  overhead: number;
}

/** The target's zero-skipping, or undefined when it has none (the default: every product is done). */
export function zeroSkipping(desc: TargetDescription): ZeroSkipping | undefined {
  const mode = desc.props.zero_skipping?.value ?? 'none';
  const fraction = (key: string, fallback: number): number => {
    const p = desc.props[key];
    if (!p) return fallback;
    const v = p.value as number;
    if (!(v >= 0 && v <= 1)) throw new KilnError(error('property-value', `\`${key}\` of \`${desc.name}\` must be a fraction in [0, 1], not ${v}`, p.source, 'e.g. `zero_skip_fraction 0.9`'));
    if (mode === 'none') throw new KilnError(error('property-value', `\`${key}\` of \`${desc.name}\` needs \`zero_skipping gate\` or \`zero_skipping skip\``, p.source));
    return v;
  };
  const f = fraction('zero_skip_fraction', 1), o = fraction('zero_skip_overhead', 0);
  if (mode === 'skip' && desc.kind === 'systolic') {
    throw new KilnError(error('property-value', `\`${desc.name}\` is a systolic array, which advances in lockstep: a zero product still takes its cycle`, desc.props.zero_skipping!.source, 'write `zero_skipping gate` (the MAC is not toggled: energy, not time)'));
  }
  return mode === 'none' ? undefined : { mode: mode as 'gate' | 'skip', fraction: f, overhead: o };
}

/** Is a layer event-driven by its algorithm: `delta = θ` (rnn, gru, lstm, dense) or a sigma-delta op. */
export const isDeltaLayer = (n: Node): boolean => n.attrs.delta !== undefined || n.op === 'sigma_delta';

/** Share of a GEMM's K columns fed by the node's first input (recurrent cells also multiply their state). */
function inputShare(node: Node, g: GemmWork): number {
  if (node.op === 'rnn' || node.op === 'lstm' || node.op === 'gru') return Math.max(0, g.k - (node.attrs.hidden as number)) / g.k;
  return 1;
}

/** `layers` with their activity applied (new objects; the inputs are not changed). */
export function priceActivity(layers: LayerWork[], activity: Activity | undefined, skip: ZeroSkipping | undefined): LayerWork[] {
  const own = (id: string) => (activity && Object.hasOwn(activity.layers, id) ? activity.layers[id] : undefined);
  const nodes = new Map(layers.map((l) => [l.name, l.node]));
  return layers.map((l) => {
    const mine = own(l.name);
    const inputId = l.node.inputs[0];
    const inZero = inputId !== undefined ? own(inputId)?.zero_fraction : undefined;
    const value: ActivityUsed['value'] = {};
    for (const k of ACTIVITY_KEYS) if (mine?.[k] !== undefined) value[k] = mine[k];
    if (l.work.kind === 'gemm' && inZero !== undefined) value.input_zero_fraction = inZero;
    const sdInput = l.node.op === 'dense' && inputId !== undefined && nodes.has(inputId) && isSigmaDelta(nodes.get(inputId)!);
    const inEvents = sdInput ? own(inputId!)?.events_per_activation : undefined;
    if (inEvents !== undefined) value.input_events_per_activation = inEvents;
    const known = Object.keys(value).length > 0;
    const used: ActivityUsed = { value, source: known ? (activity!.source === 'measured' ? 'measured' : 'file') : 'default', priced_by: null };
    if (l.work.kind !== 'gemm') return { ...l, activity: used };
    const g: GemmWork = { ...l.work };
    const notes = [...(l.notes ?? [])];
    if (isDeltaLayer(l.node)) {
      const f = mine?.delta_fraction;
      if (f === undefined) notes.push(`${l.op} is a delta layer: priced dense, its transmitted fraction not measured (give --measure DATA or --activity FILE)`);
      else {
        const k = g.k;
        g.k = Math.max(1, Math.round(k * f));
        used.priced_by = 'delta_fraction';
        notes.push(`priced per transmitted event: ${g.k} of ${k} product columns (delta_fraction ${f.toFixed(3)})`);
      }
    } else if (sdInput || (l.node.op === 'lmu' && isSigmaDelta(l.node))) {
      // A dense layer's K columns all come from the sigma-delta input; an lmu's recurrent product reads its own hidden units.
      const k = sdInput ? g.k : (l.node.attrs.hidden as number);
      const e = sdInput ? inEvents : mine?.events_per_activation;
      const from = sdInput ? `its input \`${inputId}\`` : 'its own recurrence';
      if (e === undefined) notes.push(`${from} is sigma-delta: priced dense, its events per unit and step not measured (give --measure DATA or --activity FILE)`);
      else {
        const cols = eventColumns(k, e);
        g.k += cols - k;
        used.priced_by = sdInput ? 'input_events_per_activation' : 'events_per_activation';
        notes.push(`priced per transmitted event: ${from} feeds ${cols} of ${k} product columns (${e.toFixed(3)} events per unit and step)`);
      }
    } else if (skip && inZero !== undefined) {
      const z = inZero * inputShare(l.node, g);
      g.performed = 1 - skip.fraction * z + skip.overhead;
      g.skipsTime = skip.mode === 'skip';
      used.priced_by = 'input_zero_fraction';
      notes.push(`zero-skipping (${skip.mode}): ${(100 * g.performed).toFixed(1)}% of the dense MACs, the input \`${inputId}\` ${(100 * inZero).toFixed(1)}% zeros`);
    }
    return { ...l, work: g, macs: g.m * g.n * g.k * g.repeat, activity: used, ...(notes.length ? { notes } : {}) };
  });
}
