/** Train blocks as training configurations: defaults, every optimizer and schedule, and errors at their position. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { trainConfig, type TrainConfig } from '../../../runtime/train.ts';
import { checkText, net } from '../../helpers/kiln.ts';

const mlp = net(['input x : f32[b, 4]', 'y = dense(x, 3) -> softmax', 'output y'], 'b = 8', 'mlp');

function config(body: string): TrainConfig {
  const r = checkText(mlp + `train mlp {\n${body}\n}\n`);
  expect(r.diagnostics).toEqual([]);
  return trainConfig(r.trains.get('mlp')!);
}

function failure(body: string): KilnError {
  try {
    config(body);
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError');
}

describe('train block → configuration', () => {
  it('fills defaults: adam(lr = 1e-3), cross-entropy, constant rate, seed 0, one epoch', () => {
    const c = config('data iris');
    expect(c).toMatchObject({ network: 'mlp', epochs: 1, seed: 0, loss: 'cross_entropy', schedule: { kind: 'constant' }, data: { name: 'iris', args: {} }, augment: { shift: 0 } });
    expect(c.optimizer).toMatchObject({ kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0, kahan: false });
    expect(c.batch).toBeUndefined();
  });

  it('reads every property', () => {
    const c = config('data mnist(train = 1000, test = 500, shift = 2)  epochs 7  batch 32  seed 3\n optimizer sgd(0.05, momentum = 0.9, kahan = true)\n loss mse  weight_decay 5e-4  schedule step(every = 2, gamma = 0.5)');
    expect(c).toMatchObject({
      epochs: 7, batch: 32, seed: 3, loss: 'mse', data: { name: 'mnist', args: { train: 1000, test: 500 } }, augment: { shift: 2 },
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, kahan: true, weightDecay: 5e-4 },
      schedule: { kind: 'step', every: 2, gamma: 0.5 },
    });
  });

  it('cosine decays over the block\'s epochs unless told otherwise', () => {
    expect(config('data iris  epochs 12  schedule cosine').schedule).toEqual({ kind: 'cosine', epochs: 12 });
    expect(config('data iris  epochs 12  schedule cosine(epochs = 4)').schedule).toEqual({ kind: 'cosine', epochs: 4 });
  });

  it('reports an unknown optimizer argument where it is written, with a suggestion', () => {
    const e = failure('data iris\n  optimizer adam(lr = 1e-3, betas = 0.9)');
    expect(e.diagnostics[0]!.message).toContain('has no argument `betas`');
    expect(e.diagnostics[0]!.hint).toContain('beta1');
    expect(e.diagnostics[0]!.pos).toMatchObject({ file: 'main.kiln', line: 8, col: 3 });
  });

  it('rejects bad values and missing required arguments', () => {
    expect(failure('data iris  optimizer sgd(lr = 0)').message).toContain('`lr` must be a positive number');
    expect(failure('data iris  optimizer sgd(lr = 0.1, momentum = 1.5)').message).toContain('momentum');
    expect(failure('data iris  schedule step(gamma = 0.5)').message).toContain('needs `every`');
    expect(failure('data iris(train = 100, shift = 1)').message).toContain('has no argument `shift`');
    expect(failure('data mnist(shift = 20)').message).toContain('0 to 8');
    expect(failure('data iris  optimizer adam(1e-3, 0.9)').message).toContain('at most 1 positional');
  });

  it('reads ebp and coordinate_descent, with their defaults', () => {
    expect(config('data iris  optimizer ebp').optimizer).toMatchObject({ kind: 'ebp', lr: 1 });
    expect(config('data iris  optimizer ebp(0.5)').optimizer).toMatchObject({ kind: 'ebp', lr: 0.5 });
    expect(config('data iris  optimizer coordinate_descent').optimizer).toMatchObject({ kind: 'coordinate_descent', lr: 1e-3, fraction: 1e-3, tries: 4, beta1: 0.9 });
    expect(config('data iris  optimizer coordinate_descent(lr = 1e-2, fraction = 0.02, tries = 2)').optimizer).toMatchObject({ lr: 1e-2, fraction: 0.02, tries: 2 });
  });

  it('reports bad ebp and coordinate_descent arguments where they are written, listing the allowed ones', () => {
    const e = failure('data iris\n  optimizer ebp(momentum = 0.9)');
    expect(e.diagnostics[0]!.message).toContain('optimizer ebp(…) has no argument `momentum`');
    expect(e.diagnostics[0]!.hint).toContain('its arguments are: lr');
    expect(e.diagnostics[0]!.pos).toMatchObject({ line: 8, col: 3 });
    expect(failure('data iris  optimizer coordinate_descent(fraction = 2)').message).toContain('`fraction` must be a share of the weights in (0, 1], not 2');
    expect(failure('data iris  optimizer coordinate_descent(tries = 0.5)').message).toContain('`tries` must be a whole number ≥ 1');
    expect(failure('data iris  optimizer coordinate_descent(values = 3)').diagnostics[0]!.hint).toContain('lr, fraction, tries');
  });
});
