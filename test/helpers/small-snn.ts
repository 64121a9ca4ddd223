/** A spiking network small enough to map on a Loihi preset, and to measure, in well under a second. */
export const SMALL_SNN = `network s(batch = 8) {
  timesteps 4
  input x : f32[batch, 1, 28, 28]
  f = flatten(x)
  h = dense(f, 32) -> lif
  y = dense(h, 10) -> lif
  output y
}
`;
