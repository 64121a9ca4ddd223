/** Small generated spiking networks that several partition tests share (generateSnn is seeded, so each call builds the same network). */
import { generateSnn } from '../../../../targets/neuromorphic/partition/snn-generator.ts';

/** A 2 × 24 × 24 input, a stride-2 convolution of 8 channels, 10 outputs. */
export const smallSnn = () => generateSnn({ name: 'small', layers: [{ kind: 'input', channels: 2, height: 24, width: 24 }, { kind: 'conv', channels: 8, stride: 2 }, { kind: 'dense', units: 10 }] });

/** A 2 × 16 × 16 input, a stride-2 convolution of 8 channels, then dense layers of 96 and 10 (nets of many pins). */
export const denseSnn = () => generateSnn({ name: 'dense', layers: [{ kind: 'input', channels: 2, height: 16, width: 16 }, { kind: 'conv', channels: 8, stride: 2 }, { kind: 'dense', units: 96 }, { kind: 'dense', units: 10 }] });
