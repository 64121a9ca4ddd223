/** Generates a large, valid .kiln network for the front-end benchmark: residual conv stacks. */
export function generateNetwork(layers: number): string {
  const lines = ['network big(batch = 8, c = 16) {', '  input x : f32[batch, c, 32, 32]', '  l0 = conv2d(x, c, 3, pad = 1)'];
  // Four layers per block: conv, batchnorm, relu, residual add; every layer one line.
  for (let i = 1; i < layers; i++) {
    const prev = `l${i - 1}`;
    switch (i % 4) {
      case 1: lines.push(`  l${i} = conv2d(${prev}, filters = c, kernel = 3, pad = 1, weights = i8 per_channel)`); break;
      case 2: lines.push(`  l${i} = batchnorm(${prev})`); break;
      case 3: lines.push(`  l${i} = relu(${prev})`); break;
      default: lines.push(`  l${i} = add(${prev}, l${i - 4})`);
    }
  }
  lines.push(`  output l${layers - 1}`, '}');
  return lines.join('\n') + '\n';
}
