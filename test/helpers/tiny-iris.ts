/** A rate-coded classifier small enough to train, quantize, convert to spiking and price in well under a second. */
export const TINY_IRIS = `network tiny(batch = 10) {
  input x : f32[batch, 4]
  h = dense(x, 8) -> relu
  y = dense(h, 3) -> softmax
  output y
}
train tiny { data iris(train = 120, test = 30)  epochs 2  batch 10  seed 1  optimizer adam(lr = 1e-2) }
`;
