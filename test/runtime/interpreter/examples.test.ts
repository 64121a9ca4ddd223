/**
 * Every example network runs forward with random (initParams) weights and random inputs, in
 * inference and in training mode, giving finite outputs of the shapes infer-shapes inferred.
 * Batch 1 or 2 and a smaller image for VGG-11 and ResNet-18 keep each to a second or two.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { examplesDir, kilnFiles } from '../../helpers/paths.ts';
import { checkForward } from './forward-check.ts';

// At 224×224, their size in the examples, VGG-11 alone takes 15-40 s, three quarters of it drawing
// the 103 M initial weights of its 25088 × 4096 dense layer. Here the big image networks run on
// smaller images: every layer the same but the spatial size, and so that layer's fan-in.
// examples-full-size.slow.test.ts runs them at 224.
const SMALL: Readonly<Record<string, number>> = { vgg11: 32, resnet18: 64 };

const files = [...kilnFiles(examplesDir).map((f) => ({ spec: f, name: path.basename(f, '.kiln') })),
  ...['basic_block', 'down_block'].map((n) => ({ spec: `${path.join(examplesDir, 'blocks/residual.kiln')}:${n}`, name: n }))];

describe('examples run forward', () => {
  it('covers the example networks', () => {
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['lenet5', 'mlp', 'ptb_lstm', 'resnet18', 'spiking_cnn', 'unet_small', 'vgg11', 'binary_mlp']));
  });

  for (const { spec, name } of files) {
    it(name, { timeout: 180_000 }, () => {
      const size = SMALL[name];
      const m = compile(spec, { overrides: new Map(size ? [['batch', 1], ['size', size]] : [['batch', 2]]) }).module;
      checkForward(m, false);
      if (!size) checkForward(m, true);
    });
  }
});
