/** A spiking network small enough to map and measure in well under a second, with a train block for --measure's data split. */
export const TINY_SNN = `network s(batch = 8) {
  timesteps 4
  input x : f32[batch, 1, 28, 28]
  f = flatten(x)
  h = dense(f, 32) -> lif
  y = dense(h, 10) -> lif
  output y
}
train s { data mnist(train = 64, test = 32)  epochs 1  batch 8  seed 1  optimizer adam(lr = 1e-3) }
`;
