/** Typed neuromorphic target configuration, with every default it relies on warned about. */
import { ConfigReader } from '../config.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';

export interface CoreLimits {
  neurons: number;
  inputAxons: number;
  outputAxons: number;
  /** 64-bit words of synapse memory. */
  synapseWords: number;
}

export interface NeuromorphicConfig {
  name: string;
  chips: number;
  chipMesh: [number, number];
  coresPerChip: number;
  tileMesh: [number, number];
  coresPerTile: number;
  limits: CoreLimits;
  weightBits: number;
  /** Minimum time step (barrier), seconds. */
  barrierS: number;
  staticPowerW: number;
  latency: Record<string, number>;
}

export function neuromorphicConfig(desc: TargetDescription): { config: NeuromorphicConfig; reader: ConfigReader } {
  const r = new ConfigReader(desc);
  const loihi = 'Loihi (Davies et al. 2018)';
  const chips = r.number('chips', 1, '1 chip');
  const config: NeuromorphicConfig = {
    name: desc.name,
    chips,
    chipMesh: r.pair('chip_mesh', [1, chips], `chips in a row: 1 x ${chips}`),
    coresPerChip: r.number('cores_per_chip', 128, `128 cores per chip, as on ${loihi}`),
    tileMesh: r.pair('tile_mesh', [8, 4], 'an 8 x 4 tile mesh (SANA-FE\'s Loihi model)'),
    coresPerTile: r.number('cores_per_tile', 4, '4 cores per tile (SANA-FE\'s Loihi model)'),
    limits: {
      neurons: r.number('limit.neurons', 1024, `1,024 neurons per core (${loihi})`),
      inputAxons: r.number('limit.input_axons', 4096, `4,096 input axons per core (${loihi})`),
      outputAxons: r.number('limit.output_axons', 4096, `4,096 output axons per core (${loihi})`),
      synapseWords: r.number('limit.synapse_memory', 16384, `16,384 64-bit words of synapse memory per core (${loihi})`),
    },
    weightBits: r.number('weight_bits', 8, '8-bit weights'),
    barrierS: r.number('timestep', 465e-9, `a 465 ns barrier per time step (${loihi}, Table 2)`),
    staticPowerW: r.optional('static_power', 'static power (no `static_power`)') ?? 0,
    latency: {},
  };
  const lat: [string, number][] = [['synop', 3.5e-9], ['neuron.active', 8.4e-9], ['neuron.inactive', 5.3e-9], ['spike.tile', 2.1e-9], ['hop.ew', 4.1e-9], ['hop.ns', 6.5e-9]];
  for (const [k, d] of lat) config.latency[k] = r.number(`latency.${k}`, d, `${d * 1e9} ns per ${k} (${loihi}, Table 2)`);
  return { config, reader: r };
}
