import { describe, it, expect } from 'vitest';
import { checkText, expectDiagnostics, net } from '../helpers/kiln.ts';

const mlp = net(['input x : f32[b, 4]', 'y = dense(x, 3) -> softmax', 'output y'], 'b = 8', 'mlp');

describe('train blocks', () => {
  it('reads every property of a train block', () => {
    const r = checkText(mlp + `train mlp {
  data mnist(train = 8000, test = 2000)
  epochs 5  batch 64  seed 0
  optimizer sgd(lr = 0.1, momentum = 0.9)
  loss cross_entropy  weight_decay 1e-4
  schedule step(every = 2, gamma = 0.5)
}
`);
    expect(r.diagnostics).toEqual([]);
    const t = r.trains.get('mlp')!;
    expect(t.network).toBe('mlp');
    expect(Object.fromEntries(Object.entries(t.props).map(([k, p]) => [k, p.value]))).toEqual({
      data: { call: 'mnist', args: { train: 8000, test: 2000 }, positional: [] },
      epochs: 5, batch: 64, seed: 0,
      optimizer: { call: 'sgd', args: { lr: 0.1, momentum: 0.9 }, positional: [] },
      loss: 'cross_entropy', weight_decay: 1e-4,
      schedule: { call: 'step', args: { every: 2, gamma: 0.5 }, positional: [] },
    });
    expect(t.props.epochs!.source).toEqual({ file: 'main.kiln', line: 8, col: 3, length: 6 });
  });

  it('keeps positional and word arguments of a call', () => {
    const r = checkText(mlp + 'train mlp { data sequence(100, kind = copy) }\n');
    expect(r.trains.get('mlp')!.props.data!.value).toEqual({ call: 'sequence', args: { kind: 'copy' }, positional: [100] });
  });

  it('trains a network named by `network` when the block has another name', () => {
    const r = checkText(mlp + 'train quick { network "mlp"  data iris  epochs 1 }\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.trains.get('quick')!.network).toBe('mlp');
    expect(r.trains.get('quick')!.props.data!.value).toEqual({ call: 'iris', args: {}, positional: [] });
  });

  it('reports a train block for no network, with a suggestion', () => {
    expectDiagnostics(checkText(mlp + 'train mpl { data mnist }\n').diagnostics, [
      { code: 'undefined-name', line: 6, col: 7, message: 'train block `mpl` names no network: there is no network `mpl`', hint: 'did you mean `mlp`?' },
    ]);
  });

  it('reports a train block without data', () => {
    expectDiagnostics(checkText(mlp + 'train mlp { epochs 2 }\n').diagnostics, [
      { code: 'missing-attr', line: 6, col: 7, message: 'train block `mlp` has no `data`', hint: 'data mnist(train = 8000, test = 2000)' },
    ]);
  });

  it('reports unknown data sets, optimizers and losses, and out-of-range integers, each once', () => {
    const diags = checkText(mlp + 'train mlp {\n  data cifar(train = 10)\n  optimizer rmsprop(lr = 1)\n  loss l2\n  epochs 0\n  seed -1\n  epoch 3\n}\n').diagnostics;
    expectDiagnostics(diags, [
      { code: 'property-value', line: 7, col: 8, message: '`data` must be one of mnist(…), mnist_masks(…), iris(…), sequence(…), sequential_mnist(…), psmnist(…), slow_signal(…), sotu(…), not `cifar`' },
      { code: 'property-value', line: 8, col: 13, message: '`optimizer` must be one of sgd(…), adam(…), ebp(…), coordinate_descent(…), not `rmsprop`' },
      { code: 'property-value', line: 9, col: 8, message: '`loss` must be one of cross_entropy, mse, not `l2`' },
      { code: 'property-value', line: 10, col: 10, message: '`epochs` expects an integer ≥ 1 but found `0`' },
      { code: 'property-value', line: 11, col: 8, message: '`seed` expects an integer ≥ 0 but found `-1`' },
      { code: 'unknown-property', line: 12, col: 3, message: 'unknown property `epoch` in a train block', hint: 'did you mean `epochs`?' },
    ]);
  });

  it('reports call arguments that are neither numbers nor words', () => {
    expectDiagnostics(checkText(mlp + 'train mlp { data mnist(train = [1, 2]) }\n').diagnostics, [
      { code: 'property-value', line: 6, col: 24, message: 'arguments of `mnist` are numbers or words' },
    ]);
  });
});
