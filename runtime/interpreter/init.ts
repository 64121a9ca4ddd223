/**
 * Seeded parameter initialization for every parameter a typed module declares (node.params):
 *   dense / conv2d weights  He normal (He et al. 2015) when the layer feeds a ReLU-family
 *                           activation (through batchnorm, dropout or pooling), else Glorot
 *                           uniform (Glorot & Bengio 2010), suited to tanh, sigmoid, softmax, LIF
 *   recurrent w_ih, w_hh    Glorot uniform; biases 0 except the LSTM forget gate, 1
 *                           (Jozefowicz et al. 2015)
 *   embedding table         N(0, 1) (PyTorch's nn.Embedding)
 *   batchnorm               γ = 1, β = 0, running mean 0, running variance 1
 *   prelu slope             0.25 (He et al. 2015)
 *   param                   N(0, 0.02²), as learned positional embeddings (BERT, ViT)
 *   biases                  0
 * Each parameter draws from its own stream (seed, node id, name), so adding a layer does not
 * change the others' values.
 */
import { type Module, type Node, readersOf } from '../../compiler/ir/module.ts';
import { type Tensor, full, glorotUniform, heNormal, mulberry32, randomNormal, zeros } from '../tensor.ts';
import { streamSeed } from './seed.ts';
import type { Weights } from './types.ts';

const RELU_FAMILY = new Set(['relu', 'leaky_relu', 'prelu']);
const PASS_THROUGH = new Set(['batchnorm', 'dropout', 'maxpool2d', 'avgpool2d', 'flatten', 'reshape']);

/** Does this node's value reach a ReLU-family activation through shape-preserving layers only? */
function feedsRelu(m: Module, consumers: Map<string, Node[]>, id: string): boolean {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const cur = stack.pop()!;
    for (const c of consumers.get(cur) ?? []) {
      if (RELU_FAMILY.has(c.op)) return true;
      if (PASS_THROUGH.has(c.op) && !seen.has(c.id)) { seen.add(c.id); stack.push(c.id); }
    }
  }
  return false;
}

function initOne(node: Node, name: string, shape: number[], relu: boolean, rng: () => number): Tensor {
  const op = node.op;
  if (op === 'batchnorm') return name === 'gamma' || name === 'running_var' ? full(shape, 1) : zeros(shape);
  if (op === 'prelu') return full(shape, 0.25);
  if (op === 'embedding') return randomNormal(shape, rng);
  if (op === 'param') return randomNormal(shape, rng, 0, 0.02);
  // Quantization parameters come from the model that was quantized; 1 and 0 leave values unscaled.
  if (op === 'quantize') return name === 'scale' ? full(shape, 1) : zeros(shape);
  if (op === 'rnn' || op === 'lstm' || op === 'gru') {
    if (name.startsWith('b')) {
      const b = zeros(shape);
      // LSTM gate blocks are i, f, g, o: the second block is the forget gate.
      if (op === 'lstm') b.data.fill(1, shape[0]! / 4, shape[0]! / 2);
      return b;
    }
    return glorotUniform(shape, rng);
  }
  if (name === 'bias') return zeros(shape);
  return relu ? heNormal(shape, rng) : glorotUniform(shape, rng);
}

export function initParams(m: Module, seed = 0): Weights {
  const consumers = readersOf(m);
  const out: Weights = {};
  for (const node of Object.values(m.nodes)) {
    if (!node.params) continue;
    const relu = feedsRelu(m, consumers, node.id);
    out[node.id] = Object.fromEntries(Object.entries(node.params).map(([name, t]) =>
      [name, initOne(node, name, t.shape, relu, mulberry32(streamSeed(seed, `${node.id}/${name}`)))]));
  }
  return out;
}

/**
 * Zero-filled parameters of every shape initParams makes, for a checkpoint to fill: drawing
 * millions of random initial weights that loading overwrites showed in kiln run's profile.
 */
export function emptyParams(m: Module): Weights {
  const out: Weights = {};
  for (const node of Object.values(m.nodes)) {
    if (!node.params) continue;
    out[node.id] = Object.fromEntries(Object.entries(node.params).map(([name, t]) => [name, zeros(t.shape)]));
  }
  return out;
}
