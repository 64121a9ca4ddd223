/**
 * VGG-11 and ResNet-18 forward at the 224×224 ImageNet size their examples declare, batch 1,
 * inference mode (examples.test.ts runs them on smaller images in `npm test`).
 */
import path from 'node:path';
import { describe, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { examplesDir } from '../../helpers/paths.ts';
import { checkForward } from './forward-check.ts';

describe('the big example networks run forward at full size', () => {
  for (const name of ['vgg11', 'resnet18']) {
    it(`${name} at 224×224`, { timeout: 180_000 }, () => {
      checkForward(compile(path.join(examplesDir, `${name}.kiln`), { overrides: new Map([['batch', 1]]) }).module, false);
    });
  }
});
