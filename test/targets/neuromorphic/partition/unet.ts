/** The U-Net of the partition bench as its hypergraph, shared by the layer-hint and spectral-rule tests. */
import { compile } from '../../../../compiler/driver.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';
import { layeredHypergraph, neuronGraph } from '../../../../targets/neuromorphic/neuron-graph.ts';

/** The U-Net at `size` × `size` pixels, one neuron per vertex, every population a layer. */
export function unet(size: number): Hypergraph {
  const m = compile('bench/networks/unet_spiking.kiln', { overrides: new Map([['batch', 1], ['size', size]]) }).module;
  const g = neuronGraph(m, { maxNeurons: 1 });
  return layeredHypergraph(g, new Float64Array(g.nets.eptr.length - 1).fill(1));
}
