/**
 * Pricing by precision, shared by every target kind: which MAC class a layer actually runs at on
 * a target (its own, a wider one the target has, or — when the target has nothing that wide — an
 * assumed quantization, always warned about), and the energy of one MAC of each class: the
 * target's own figure, else one derived from a figure it does give (said so in the price's
 * source), else a built-in published default (warned about).
 */
import type { ConfigReader } from './config.ts';
import type { Price, PriceTable } from './stats.ts';
import type { DType } from '../compiler/ir/dtype.ts';

/** The MAC precision classes a target prices, widest first. */
export const MAC_CLASSES = ['f32', 'f16', 'i16', 'i8', 'ternary', 'binary'] as const;
export type MacClass = (typeof MAC_CLASSES)[number];

export function macClassOf(d: DType): MacClass {
  switch (d) {
    case 'f32': case 'i32': return 'f32';
    case 'f16': case 'bf16': return 'f16';
    case 'i16': return 'i16';
    case 'i8': return 'i8';
    case 'ternary': return 'ternary';
    case 'binary': case 'spike': return 'binary';
  }
}

/** A multiply is as cheap as the wider of its two operands allows. */
export function macClass(input: DType, weights: DType): MacClass {
  const a = MAC_CLASSES.indexOf(macClassOf(input));
  const b = MAC_CLASSES.indexOf(macClassOf(weights));
  return MAC_CLASSES[Math.min(a, b)]!;
}

export { weightDType } from '../compiler/ir/node-precision.ts';

const HOROWITZ = 'Horowitz, ISSCC 2014, 45 nm';

/** Built-in MAC energies: one multiply plus one add of the class, from published tables. */
export const MAC_ENERGY: Readonly<Record<MacClass, [number, string]>> = {
  f32: [4.6e-12, `${HOROWITZ}: fp32 mult 3.7 + add 0.9 pJ`],
  f16: [1.5e-12, `${HOROWITZ}: fp16 mult 1.1 + add 0.4 pJ`],
  i16: [0.92e-12, `derived: ${HOROWITZ} int8 MAC 0.23 pJ × (16/8)², a multiplier's energy growing with the square of its width (Horowitz's 8→32-bit mult: 0.2→3.1 pJ, ×15.5 ≈ 4²)`],
  i8: [0.23e-12, `${HOROWITZ}: int8 mult 0.2 + add 0.03 pJ`],
  ternary: [0.036e-12, 'derived: 2 × the binary MAC (a ternary product is two binary bit-plane products, sign and non-zero)'],
  binary: [0.018e-12, 'Aladdin (Shao et al., ISCA 2014): bitwise op 0.018 pJ (XNOR and a popcount bit)'],
};

/**
 * How a missing class is scaled from a class the target does price. Each factor is the ratio of
 * the published (or derived) built-in figures above, so the scaled price keeps the target's
 * technology and Horowitz's ratios between classes.
 */
const DERIVE_FROM: Partial<Record<MacClass, [MacClass, string]>> = {
  i16: ['i8', 'multiplier energy ∝ width²: × (16/8)²'],
  f16: ['f32', `${HOROWITZ} ratio fp16/fp32 MAC: × 1.5/4.6`],
  ternary: ['binary', 'two binary bit-plane MACs: × 2'],
};
const FACTOR: Partial<Record<MacClass, number>> = { i16: 4, f16: 1.5 / 4.6, ternary: 2 };

/**
 * The price of `mac.<cls>` (action name `action`, default the same): the target's own
 * `energy { mac.<cls> … }`, else derived from the class it is scaled from when the target prices
 * that one, else the built-in default (with the reader's usual warning).
 */
export function macPrice(r: ConfigReader, cls: MacClass, prices: PriceTable, action = `mac.${cls}`): Price {
  if (prices[action]) return prices[action]!;
  const from = DERIVE_FROM[cls];
  if (!r.has(`energy.mac.${cls}`) && from && r.has(`energy.mac.${from[0]}`)) {
    const base = macPrice(r, from[0], prices);
    const price: Price = { joules: base.joules * FACTOR[cls]!, category: 'compute', source: `derived by Kiln from energy.mac.${from[0]} (${base.source}): ${from[1]}` };
    prices[action] = price;
    return price;
  }
  const [j, src] = MAC_ENERGY[cls];
  return r.price(action, `mac.${cls}`, 'compute', j, src, prices);
}

export type Fit = 'native' | 'widened' | 'quantized';

export interface RunClass {
  /** The class the layer's MACs are computed (and priced) at. */
  cls: MacClass;
  fit: Fit;
}

const rank = (c: MacClass) => MAC_CLASSES.indexOf(c);

/**
 * The class a layer of class `want` runs at on a target that computes `has`: its own; else the
 * nearest wider class (exact: a binary or i8 value is also an i16 or f32 value); else, when the
 * target has nothing that wide, `quantizeTo` — an assumption about the model, not the hardware.
 */
export function runClass(want: MacClass, has: readonly MacClass[], quantizeTo: MacClass): RunClass {
  if (has.includes(want)) return { cls: want, fit: 'native' };
  for (let i = rank(want) - 1; i >= 0; i--) if (has.includes(MAC_CLASSES[i]!)) return { cls: MAC_CLASSES[i]!, fit: 'widened' };
  return { cls: has.includes(quantizeTo) ? quantizeTo : [...has].sort((a, b) => rank(a) - rank(b))[0]!, fit: 'quantized' };
}

/**
 * One warning per class a target could only run by assuming a quantization, naming the layers
 * and what Kiln assumed; `why` explains a quantization (where the assumed class comes from).
 */
export class FitWarnings {
  private readonly seen = new Map<string, { want: MacClass; run: RunClass; layers: string[] }>();
  constructor(private readonly target: string, private readonly has: readonly MacClass[], private readonly why: string) {}

  add(layer: string, want: MacClass, run: RunClass): string | undefined {
    if (run.fit === 'native') return undefined;
    const key = `${want}>${run.cls}`;
    const e = this.seen.get(key) ?? { want, run, layers: [] };
    // A layer priced in several pieces (a training step's two gradient GEMMs) is named once.
    if (!e.layers.includes(layer)) e.layers.push(layer);
    this.seen.set(key, e);
    return run.fit === 'widened'
      ? `${want} MACs run on the target's ${run.cls} MACs (no \`macs ${want}\`); priced as mac.${run.cls}`
      : `${want} MACs assumed quantized to ${run.cls}: the target has no ${want} MACs`;
  }

  /**
   * Only assumed quantizations are warnings: they change what the network computes. A class run
   * exactly on wider MACs is pricing, said in the layer's own notes by `add`.
   */
  get warnings(): string[] {
    const list = (ls: string[]) => ls.slice(0, 4).map((l) => `\`${l}\``).join(', ') + (ls.length > 4 ? ` and ${ls.length - 4} more` : '');
    return [...this.seen.values()].filter(({ run }) => run.fit === 'quantized').map(({ want, run, layers }) =>
      `${this.target}: cannot compute ${want} (it has ${this.has.join(', ')} MACs); Kiln ASSUMES ${want} layers (${list(layers)}) are quantized to ${run.cls}${this.why}; their accuracy at ${run.cls} is not checked — declare \`weights = ${run.cls}, activations = ${run.cls}\` on them to make it so`);
  }
}

/** Bits of one element of a MAC class as stored and moved. */
export const CLASS_BITS: Readonly<Record<MacClass, number>> = { f32: 32, f16: 16, i16: 16, i8: 8, ternary: 2, binary: 1 };
