import { describe, expect, it } from 'vitest';
import { KilnError, type Diagnostic } from '../../../compiler/lang/diagnostics.ts';
import { detectTopologyFormat, parseTopologyCsv } from '../../../targets/systolic/scalesim-topology.ts';
import { readReference, referenceFiles } from './scalesim-paths.ts';

function diagnosticsOf(f: () => unknown): Diagnostic[] {
  try {
    f();
  } catch (e) {
    if (e instanceof KilnError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a KilnError');
}

const CONV_HEADER = 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n';

describe('parseTopologyCsv on SCALE-Sim\'s shipped topologies', () => {
  // Two shipped files hold the same broken row `FC, 1, 1, 1, ,1 2, 2, 1,` (filter width empty,
  // channels "1 2"); SCALE-Sim itself fails on it (int('')). Everything else must parse.
  const BROKEN: Record<string, { line: number; col: number }> = {
    'topologies/mlperf/MLPERF.csv': { line: 219, col: 14 },
    'topologies/mlperf/Sentimental_seqLSTM.csv': { line: 29, col: 14 },
  };
  const files = referenceFiles('topologies', '.csv');

  it('finds all 39 files', () => {
    expect(files).toHaveLength(39);
  });

  for (const file of files) {
    it(file, () => {
      const text = readReference(file);
      const broken = BROKEN[file];
      if (broken) {
        const d = diagnosticsOf(() => parseTopologyCsv(text, file));
        expect(d).toHaveLength(1);
        expect(d[0]).toMatchObject({ code: 'scalesim-topology-value', message: 'missing filter width', pos: { file, ...broken } });
        return;
      }
      const layers = parseTopologyCsv(text, file);
      expect(layers.length).toBeGreaterThan(0);
      expect(layers[0]!.format).toBe(file.includes('GEMM_mnk') ? 'gemm' : 'conv');
      for (const l of layers) {
        for (const v of [l.ifmapH, l.ifmapW, l.filterH, l.filterW, l.channels, l.numFilters, l.strideH, l.strideW]) {
          expect(Number.isInteger(v) && v >= 1).toBe(true);
        }
        expect(l.filterH <= l.ifmapH && l.filterW <= l.ifmapW).toBe(true);
      }
    });
  }

  it('reads AlexNet exactly (padded fields, trailing commas)', () => {
    const layers = parseTopologyCsv(readReference('topologies/conv_nets/alexnet.csv'), 'alexnet.csv');
    expect(layers.map((l) => [l.name, l.ifmapH, l.ifmapW, l.filterH, l.filterW, l.channels, l.numFilters, l.strideH, l.strideW, l.line])).toEqual([
      ['Conv1', 224, 224, 11, 11, 3, 96, 4, 4, 2],
      ['Conv2', 27, 27, 5, 5, 96, 256, 1, 1, 3],
      ['Conv3', 13, 13, 3, 3, 256, 384, 1, 1, 4],
      ['Conv4', 13, 13, 3, 3, 384, 384, 1, 1, 5],
      ['Conv5', 13, 13, 3, 3, 384, 256, 1, 1, 6],
    ]);
  });

  it('turns GEMM rows into SCALE-Sim\'s 1 x K conv and keeps (M, N, K)', () => {
    const [l] = parseTopologyCsv(readReference('topologies/GEMM_mnk/test_mnk_input.csv'), 'mnk.csv');
    expect(l).toMatchObject({ name: 'Test 1', format: 'gemm', gemm: { M: 128, N: 64, K: 256 }, ifmapH: 128, ifmapW: 256, filterH: 1, filterW: 256, channels: 1, numFilters: 64 });
  });

  it('handles the quirks of the shipped files: BOM, tabs, #dw comments, title rows, annotation columns', () => {
    expect(parseTopologyCsv(readReference('topologies/conv_nets/UNet_2d.csv'), 'u')[0]!.name).toBe('Conv1a');
    expect(parseTopologyCsv(readReference('topologies/conv_nets/UNet_maestro.csv'), 'u')[0]).toMatchObject({ name: 'Conv1_1', ifmapH: 572, numFilters: 64 });
    const dw = parseTopologyCsv(readReference('topologies/conv_nets/mobilnet_paper.csv'), 'm').find((l) => l.name === 'Conv2_dw')!;
    expect([dw.channels, dw.numFilters, dw.strideH]).toEqual([1, 1, 1]);
    const notes: Diagnostic[] = [];
    const ncf = parseTopologyCsv(readReference('topologies/mlperf/NCF_recommendation.csv'), 'n.csv', undefined, notes);
    expect(ncf[0]!.name).toBe('MF_Embedding_user');
    expect(notes).toMatchObject([{ severity: 'note', code: 'scalesim-topology-title', pos: { line: 3 } }]);
    const r50 = parseTopologyCsv(readReference('topologies/conv_nets/Resnet50.csv'), 'r.csv');
    expect(r50[0]).toMatchObject({ name: 'Conv1', ifmapH: 224, strideH: 2, strideW: 2 });
  });
});

describe('parseTopologyCsv', () => {
  it('accepts rows without a trailing comma, a column stride, and an N:M sparsity column', () => {
    const layers = parseTopologyCsv(CONV_HEADER + 'a,10,12,3,3,4,8,1\nb,10,12,3,3,4,8,2,3,\nc,10,12,3,3,4,8,1,2:4,\n', 't.csv');
    expect(layers.map((l) => [l.name, l.strideH, l.strideW])).toEqual([
      ['a', 1, 1],
      ['b', 2, 3],
      ['c', 1, 1],
    ]);
  });

  it('splits layers whose name contains DP into one single-channel layer per channel', () => {
    const layers = parseTopologyCsv(CONV_HEADER + 'ConvDP,8,8,3,3,3,1,1,\n', 't.csv');
    expect(layers.map((l) => [l.name, l.channels])).toEqual([
      ['ConvDPChannel_0', 1],
      ['ConvDPChannel_1', 1],
      ['ConvDPChannel_2', 1],
    ]);
  });

  it('detects the format from the header, else from the first row', () => {
    expect(detectTopologyFormat('Layer, M, N, K,\nx,1,2,3,\n')).toBe('gemm');
    expect(detectTopologyFormat(CONV_HEADER)).toBe('conv');
    expect(detectTopologyFormat('name,a,b\nx,1,2,3,\n')).toBe('gemm');
    expect(detectTopologyFormat('name\nx,1,2,3,4,5,6,7,\n')).toBe('conv');
    expect(detectTopologyFormat('name\nx,1,2,\n')).toBeUndefined();
    expect(diagnosticsOf(() => parseTopologyCsv('name\nx,1,2,\n', 'f.csv'))[0]).toMatchObject({ code: 'scalesim-topology-format', pos: { file: 'f.csv', line: 1, col: 1 } });
  });

  it('reports bad values at their line and column, one per bad row', () => {
    const text = CONV_HEADER + 'ok,8,8,3,3,1,1,1,\nx, 8, eight, 3,3,1,1,1,\ny,8,8,3,3,1,1,0,\nz,8,8,9,3,1,1,1,\nw,8,8,3,3,1,1,1,1,7\nv,8,8,3,3,1,1,1,abc\n';
    const d = diagnosticsOf(() => parseTopologyCsv(text, 'bad.csv'));
    expect(d.map((x) => [x.pos?.line, x.pos?.col, x.message])).toEqual([
      [3, 7, 'IFMAP width must be a positive integer, got `eight`'],
      [4, 15, 'stride must be a positive integer, got `0`'],
      [5, 7, 'filter 9x3 is larger than the 8x8 ifmap'],
      [6, 19, 'unexpected extra value `7`'],
      [7, 17, 'unexpected value `abc`'],
    ]);
  });

  it('reports a short GEMM row', () => {
    const d = diagnosticsOf(() => parseTopologyCsv('Layer,M,N,K,\nq,4,5,\n', 'g.csv', 'gemm'));
    expect(d[0]).toMatchObject({ message: 'missing K', pos: { line: 2, col: 7 } });
  });
});
