/**
 * The activity file: what `--save-activity FILE` writes and `--activity FILE` reads back.
 *
 *   {"kiln": "activity", "version": 1, "network": "mlp",
 *    "measured": {"data": "mnist:test", "samples": 64, "checkpoint": "mlp.ckpt" | null},
 *    "layers": {"x": {"zero_fraction": 0.81}, "h": {"zero_fraction": 0.47}, …}}
 *
 * A layer may give any of the ACTIVITY_KEYS (fractions in [0, 1]; a sigma-delta layer's
 * events_per_activation and bits_per_activation, counts ≥ 0) and, for a spiking population,
 * `neuron_rates` (one rate per neuron of a sample), so that a saved measurement prices exactly as
 * the measurement did. Every value is checked on reading, and an error points at its key.
 */
import { didYouMean, error, KilnError } from '../compiler/lang/diagnostics.ts';
import { jsonKeyLoc, parseJsonLocated } from '../compiler/io/json-located.ts';
import { numElements } from '../compiler/ir/dtype.ts';
import type { Module } from '../compiler/ir/module.ts';
import { isSigmaDelta } from './lmu-work.ts';
import { ACTIVITY_KEYS, COUNT_KEYS, type Activity, type ActivityKey, type LayerActivity } from './activity.ts';

export const ACTIVITY_VERSION = 1;
const SHAPE = '{"kiln": "activity", "version": 1, "layers": {"LAYER": {"zero_fraction": 0.5}, …}}';
const HINT = `an activity file is JSON ${SHAPE}; kiln estimate --measure DATA --save-activity FILE writes one`;

export interface MeasuredOn {
  data: string;
  samples: number;
  checkpoint: string | null;
}

export function activityFileText(network: string, measured: MeasuredOn, a: Activity): string {
  const layers = Object.fromEntries(Object.entries(a.layers).map(([id, l]) => [id, { ...l, ...(l.neuron_rates ? { neuron_rates: [...l.neuron_rates] } : {}) }]));
  return JSON.stringify({ kiln: 'activity', version: ACTIVITY_VERSION, network, measured, layers }, null, 2) + '\n';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The activity in `text` (the file `file`), checked against the network it will price. */
export function readActivityText(text: string, file: string, m: Module): Activity {
  const doc = parseJsonLocated(text, file, HINT);
  const at = (...path: string[]) => jsonKeyLoc(text, file, path);
  const fail = (message: string, loc = at(), hint = HINT): never => { throw new KilnError(error('activity', message, loc, hint)); };
  if (!isObject(doc) || doc.kiln !== 'activity') fail(`\`${file}\` is not an activity file: expected ${SHAPE}`);
  const d = doc as Record<string, unknown>;
  if (d.version !== ACTIVITY_VERSION) fail(`activity file version ${JSON.stringify(d.version)} is not one this Kiln reads (version ${ACTIVITY_VERSION})`, at('version'), 'measure again with kiln estimate --measure DATA --save-activity FILE');
  if (!isObject(d.layers)) fail('`layers` must be an object {"LAYER": {…}, …}', at('layers'));
  const names = Object.keys(m.nodes);
  // No prototype: a layer named like an Object.prototype member is just a key here.
  const layers: Record<string, LayerActivity> = Object.create(null) as Record<string, LayerActivity>;
  for (const [id, v] of Object.entries(d.layers as Record<string, unknown>)) {
    const node = m.nodes[id];
    if (!Object.hasOwn(m.nodes, id) || !node) {
      const dym = didYouMean(id, names);
      fail(`the activity file names \`${id}\`, which is not a layer of \`${m.name}\``, at('layers', id), `${dym ? dym + '; ' : ''}layers are node ids as kiln compile prints them (e.g. ${names.slice(0, 4).join(', ')})`);
    }
    if (!isObject(v)) fail(`the activity of \`${id}\` must be an object such as {"zero_fraction": 0.5}, not ${JSON.stringify(v)}`, at('layers', id));
    const l: LayerActivity = {};
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      if ((key === 'firing_rate' || key === 'neuron_rates') && node!.op !== 'lif' && node!.op !== 'input') {
        fail(`\`${id}\` is a ${node!.op} layer, which does not spike: it has no \`${key}\``, at('layers', id, key), 'firing rates belong to lif layers and to the input of a spiking network');
      }
      if (key === 'neuron_rates') {
        const want = numElements(node!.type!.shape.slice(1));
        if (!Array.isArray(x) || x.length !== want || x.some((r) => typeof r !== 'number' || !(r >= 0 && r <= 1))) {
          fail(`\`${id}.neuron_rates\` must be ${want} rates in [0, 1], one per neuron of a sample`, at('layers', id, key), 'leave it out to price the layer by its firing_rate');
        }
        l.neuron_rates = Float64Array.from(x as number[]);
      } else if (COUNT_KEYS.has(key as ActivityKey)) {
        if (!isSigmaDelta(node!)) fail(`\`${id}\` (op ${node!.op}) has no sigma-delta units, so no \`${key}\``, at('layers', id, key), 'events and bits per activation belong to sigma_delta layers and lmu layers with `sigma_delta =`');
        if (typeof x !== 'number' || !(x >= 0 && Number.isFinite(x))) fail(`\`${id}.${key}\` must be a number ≥ 0, not ${JSON.stringify(x)}`, at('layers', id, key));
        l[key as ActivityKey] = x as number;
      } else if ((ACTIVITY_KEYS as readonly string[]).includes(key)) {
        if (typeof x !== 'number' || !(x >= 0 && x <= 1)) fail(`\`${id}.${key}\` must be a fraction in [0, 1], not ${JSON.stringify(x)}`, at('layers', id, key));
        l[key as ActivityKey] = x as number;
      } else {
        const dym = didYouMean(key, [...ACTIVITY_KEYS, 'neuron_rates']);
        fail(`\`${id}\` has an unknown activity \`${key}\``, at('layers', id, key), `${dym ? dym + '; ' : ''}a layer may give ${ACTIVITY_KEYS.join(', ')} and neuron_rates`);
      }
    }
    layers[id] = l;
  }
  return { layers, source: 'file' };
}
