/**
 * What a `target` block of each kind may say, and what a `train` block may say. The language
 * checks blocks against these schemas; the cost model (targets/*) gives the properties meaning.
 */
import type { BlockSchema, PropSchema, Slot } from './items.ts';

export const TARGET_KINDS = ['simd_cpu', 'systolic', 'neuromorphic'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

const q = (dimensions: string[], example: string): Slot => ({ kind: 'quantity', dimensions, example });
const int: Slot = { kind: 'int', min: 1 };
const prop = (doc: string, ...slots: Slot[]): PropSchema => ({ slots, doc });
const keyed = (doc: string, values: readonly string[], ...slots: Slot[]): PropSchema => ({ slots: [{ kind: 'word', values }, ...slots], keyed: true, doc });

const NUMERIC_DTYPES = ['f32', 'f16', 'bf16', 'i32', 'i16', 'i8', 'ternary', 'binary'] as const;
const PER_EVENT = ['energy', 'energy/word', 'energy/bit', 'energy/byte', 'energy/access', 'energy/op', 'energy/mac', 'energy/spike', 'energy/hop', 'energy/event', 'energy/update', 'energy/instr'];

/** `energy { mac.i8 0.2 pJ  sram.read 5 pJ/word }`: any dotted event name, one energy each. */
const energyBlock: BlockSchema = { what: 'an energy table', props: {}, anyKey: prop('an energy per event, e.g. `mac.i8 0.2 pJ` or `dram.read 640 pJ/word`', q(PER_EVENT, '0.2 pJ')) };
const latencyBlock: BlockSchema = { what: 'a latency table', props: {}, anyKey: prop('a latency per event, e.g. `synop 3.5 ns`', q(['time'], '3.5 ns')) };
const energy = prop('energy per event; cite the source of each number in a comment', { kind: 'block', schema: energyBlock });
/** Hardware that avoids products with a zero input; priced by measured activity (docs/cost-model.md, "Activity"). */
const zeroSkip: Record<string, PropSchema> = {
  zero_skipping: prop('whether the hardware avoids products whose input is an exact zero: `none` (default), `gate` (the MAC is not toggled: saves its energy, not its cycle) or `skip` (not issued: saves energy and time; not on a systolic array)', { kind: 'word', values: ['none', 'gate', 'skip'] }),
  zero_skip_fraction: prop('share in [0, 1] of the zero-input products `zero_skipping` avoids (default 1)', { kind: 'number' }),
  zero_skip_overhead: prop('extra work in [0, 1] for finding the zeros, as a fraction of the dense MACs (default 0)', { kind: 'number' }),
};
const common: Record<string, PropSchema> = {
  clock: prop('clock frequency, e.g. `700 MHz`', q(['frequency'], '700 MHz')),
  energy,
  static_power: prop('power drawn regardless of activity, e.g. `104 mW`', q(['power'], '104 mW')),
};

export const TARGET_SCHEMAS: Readonly<Record<TargetKind, BlockSchema>> = {
  systolic: {
    what: 'a systolic target',
    props: {
      ...common,
      ...zeroSkip,
      array: prop('processing-element array rows x columns, e.g. `array 256 x 256`', int, { kind: 'literal', word: 'x' }, int),
      dataflow: prop('os (output stationary), ws (weight stationary) or is (input stationary)', { kind: 'word', values: ['os', 'ws', 'is'] }),
      word: prop('operand element type, e.g. `word i8`', { kind: 'word', values: NUMERIC_DTYPES }),
      accumulator: prop('accumulator element type, e.g. `accumulator i32`', { kind: 'word', values: NUMERIC_DTYPES }),
      sram: keyed('on-chip buffer per operand, e.g. `sram ifmap 12 MiB`', ['ifmap', 'filter', 'ofmap'], q(['bytes'], '12 MiB')),
      dram: prop('off-chip bandwidth, e.g. `dram 34 GB/s`; without it (and without `bandwidth`) DRAM never stalls the array, as in SCALE-Sim\'s CALC mode', q(['bandwidth'], '34 GB/s')),
      bandwidth: prop('DRAM words per cycle, as SCALE-Sim\'s `Bandwidth` in USER mode (an alternative to `dram`)', { kind: 'number' }),
      dram_model: prop('how a fixed DRAM bandwidth stalls the array: `kiln` (default; a double-buffered scratchpad) or `scalesim` (SCALE-Sim v2\'s USER mode, exactly); see docs/cost-model.md', { kind: 'word', values: ['kiln', 'scalesim'] }),
      dram_sharing: prop('for `dram_model kiln`: the ifmap, filter and ofmap transfers share one bandwidth (`shared`, default) or each has all of it (`per_interface`)', { kind: 'word', values: ['shared', 'per_interface'] }),
      vector: prop('lanes of the vector unit that runs what the array cannot (pooling, activations)', int),
      macs: keyed('MACs per PE per cycle for a precision, e.g. `macs i8 1`, `macs binary 8` (packed into one word), `macs i16 0.25` (TPU v1: quarter speed); a precision not listed runs on a wider one, or is assumed quantized (warned). Without any `macs`, SCALE-Sim\'s model: one MAC per PE per cycle and one `word` per operand whatever the precision', NUMERIC_DTYPES, { kind: 'number' }),
    },
  },
  simd_cpu: {
    what: 'a simd_cpu target',
    props: {
      ...common,
      ...zeroSkip,
      cores: prop('cores used', int),
      macs: keyed('multiply-accumulates per cycle per core for a dtype, e.g. `macs f32 16` (AVX2: two 8-lane FMA ports)', NUMERIC_DTYPES, { kind: 'number' }),
      lanes: keyed('MACs per vector instruction for a dtype, averaged over the instruction sequence that does them, e.g. `lanes i8 10.67` (AVX2: vpmaddubsw + vpmaddwd + vpaddd, 32 MACs in 3 instructions)', NUMERIC_DTYPES, { kind: 'number' }),
      cache: keyed('a cache level: size and bandwidth per core, e.g. `cache l1 32 KiB 64 B/cycle`', ['l1', 'l2', 'l3'], q(['bytes'], '32 KiB'), q(['bytes/cycle'], '64 B/cycle')),
      dram: prop('memory bandwidth, e.g. `dram 51 GB/s`', q(['bandwidth'], '51 GB/s')),
    },
  },
  neuromorphic: {
    what: 'a neuromorphic target',
    props: {
      ...common,
      chips: prop('chips on the board', int),
      chip_mesh: prop('chips as a mesh, e.g. `chip_mesh 4 x 8`', int, { kind: 'literal', word: 'x' }, int),
      cores_per_chip: prop('neuromorphic cores per chip', int),
      tile_mesh: prop('tiles on a chip as a mesh, e.g. `tile_mesh 8 x 4`', int, { kind: 'literal', word: 'x' }, int),
      cores_per_tile: prop('cores per tile', int),
      limit: keyed('a per-core limit, e.g. `limit neurons 1024`; synapse_memory counts 64-bit words (`limit synapse_memory 16384` = 128 KB, as on Loihi)', ['neurons', 'input_axons', 'output_axons', 'synapse_memory'], { kind: 'number' }),
      weight_bits: prop('synaptic weight bits (1-9 on Loihi)', int),
      latency: prop('latency per event', { kind: 'block', schema: latencyBlock }),
      timestep: prop('minimum duration of one time step (barrier synchronisation), e.g. `timestep 465 ns`', q(['time'], '465 ns')),
    },
  },
};

export const DATASETS = ['mnist', 'mnist_masks', 'iris', 'sequence', 'sequential_mnist', 'psmnist', 'slow_signal', 'sotu'] as const;

export const TRAIN_SCHEMA: BlockSchema = {
  what: 'a train block',
  props: {
    data: prop('data set and split, e.g. `data mnist(train = 8000, test = 2000)`', { kind: 'call', values: DATASETS }),
    epochs: prop('passes over the training data', int),
    batch: prop('minibatch size', int),
    optimizer: prop('e.g. `optimizer adam(lr = 1e-3)`, `optimizer sgd(lr = 0.1, momentum = 0.9)`, `optimizer ebp` (binary-weight MLPs) or `optimizer coordinate_descent(fraction = 0.001)` (ternary weights)', { kind: 'call', values: ['sgd', 'adam', 'ebp', 'coordinate_descent'] }),
    loss: prop('cross_entropy or mse', { kind: 'word', values: ['cross_entropy', 'mse'] }),
    weight_decay: prop('L2 penalty', { kind: 'number' }),
    spiking_anneal: prop('epochs over which sigma-delta units move from non-spiking to spiking, linearly per minibatch (docs/lmu.md); 0 or absent: spiking from the start', { kind: 'number', min: 0 }),
    delta_anneal: prop('epochs over which every `delta =` layer\'s θ rises linearly from 0 to its own, per minibatch (docs/delta-networks.md); 0 or absent: the full θ from the start', { kind: 'number', min: 0 }),
    delta_l1: prop('weight of the L1 cost on the changes of `delta =` layers (docs/delta-networks.md); 0 or absent: no cost', { kind: 'number', min: 0 }),
    regularize: prop('`regularize rate_band(low = 0, high = 1, percentile = 99.9, weight = 1e-3)`: keep each relu layer\'s activation percentile in [low, high] (an ANN meant for kiln convert)', { kind: 'call', values: ['rate_band'] }),
    schedule: prop('learning-rate schedule, e.g. `schedule step(every = 2, gamma = 0.5)`', { kind: 'call', values: ['constant', 'step', 'cosine'] }),
    seed: prop('random seed (same seed, same weights)', { kind: 'int', min: 0 }),
    precision: prop('arithmetic of dense and conv2d layers while training: f32 (default) or dfp16 (int16 dynamic fixed point, int32 sums)', { kind: 'word', values: ['f32', 'dfp16'] }),
    network: prop('the network to train when it is not named like the train block', { kind: 'string' }),
  },
};
