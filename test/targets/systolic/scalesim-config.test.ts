import { describe, expect, it } from 'vitest';
import { KilnError, type Diagnostic } from '../../../compiler/lang/diagnostics.ts';
import { parseScaleSimConfig } from '../../../targets/systolic/scalesim-config.ts';
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

const MINIMAL = `[general]
run_name = t

[architecture_presets]
ArrayHeight:    8
ArrayWidth:     16
IfmapSramSzkB:   32
FilterSramSzkB:  16
OfmapSramSzkB:   8
Dataflow : ws

[run_presets]
InterfaceBandwidth: CALC
`;

describe('parseScaleSimConfig', () => {
  it('reads every shipped config (SCALE-Sim scale.cfg with array size, dataflow and bandwidth mode changed)', () => {
    const files = referenceFiles('configs', '.cfg');
    expect(files).toHaveLength(6);
    for (const file of files) {
      const cfg = parseScaleSimConfig(readReference(file), file);
      const [, dataflow, userBw] = /_(os|ws|is)(_userbw10)?\.cfg$/.exec(file)!;
      expect(cfg).toMatchObject({
        runName: `scale_32x32_${dataflow}${userBw ?? ''}`,
        arrayRows: 32,
        arrayCols: 32,
        ifmapSramKb: 64,
        filterSramKb: 64,
        ofmapSramKb: 64,
        ifmapOffset: 0,
        filterOffset: 10000000,
        ofmapOffset: 20000000,
        dataflow,
        bandwidth: [10],
        memoryBanks: 1,
        interfaceBandwidth: userBw ? 'USER' : 'CALC',
      });
      // Positions point at the values, for diagnostics further down the line.
      expect(cfg.positions?.arrayRows).toMatchObject({ file, line: 5, col: 17 });
    }
  });

  it('is lenient like configparser on key case, spacing and delimiters, and defaults the rest', () => {
    const cfg = parseScaleSimConfig(
      '# comment\n[General]\nRUN_NAME=x\n[ARCHITECTURE_PRESETS]\n  arrayheight=4\narraywidth : 2 ; trailing\n' +
        'ifmapsramszkb=1\nfiltersramszkb=1\nofmapsramszkb=1\ndataflow = IS\nSomeNewKey = 3\n',
      'x.cfg',
    );
    expect(cfg).toMatchObject({ runName: 'x', arrayRows: 4, arrayCols: 2, dataflow: 'is', interfaceBandwidth: 'CALC', filterOffset: 10000000 });
  });

  it('reads USER bandwidth mode and its per-bank bandwidths', () => {
    const cfg = parseScaleSimConfig(MINIMAL.replace('CALC', 'USER').replace('Dataflow : ws', 'Dataflow : ws\nBandwidth : 20'), 'u.cfg');
    expect([cfg.interfaceBandwidth, cfg.bandwidth]).toEqual(['USER', [20]]);
  });

  it('reports a missing setting at its section header', () => {
    const d = diagnosticsOf(() => parseScaleSimConfig(MINIMAL.replace('ArrayWidth:     16\n', ''), 'm.cfg'));
    expect(d[0]).toMatchObject({ code: 'scalesim-config-missing', pos: { file: 'm.cfg', line: 4, col: 1 } });
    expect(d[0]!.message).toContain('ArrayWidth');
  });

  it('suggests the setting a misspelt key was meant to be', () => {
    const d = diagnosticsOf(() => parseScaleSimConfig(MINIMAL.replace('ArrayWidth', 'ArrayWdith'), 'm.cfg'));
    expect(d[0]).toMatchObject({ code: 'scalesim-config-unknown-key', pos: { line: 6, col: 1 }, hint: 'did you mean `ArrayWidth`?' });
  });

  it('reports bad values at the value, all at once', () => {
    const text = MINIMAL.replace('ArrayHeight:    8', 'ArrayHeight:    8.5').replace('OfmapSramSzkB:   8', 'OfmapSramSzkB:   0').replace('Dataflow : ws', 'Dataflow : wz');
    const d = diagnosticsOf(() => parseScaleSimConfig(text, 'v.cfg'));
    expect(d.map((x) => [x.pos?.line, x.pos?.col])).toEqual([
      [5, 17],
      [9, 18],
      [10, 12],
    ]);
    expect(d[0]!.message).toContain('integer');
    expect(d[1]!.message).toContain('at least 1');
    expect(d[2]!.hint).toContain('`ws`');
  });

  it('rejects lines that are not settings, settings outside a section, duplicates', () => {
    expect(diagnosticsOf(() => parseScaleSimConfig('[general]\nrun_name\n', 's.cfg'))[0]).toMatchObject({ code: 'scalesim-config-syntax', pos: { line: 2, col: 1 } });
    expect(diagnosticsOf(() => parseScaleSimConfig('ArrayHeight: 4\n', 's.cfg'))[0]).toMatchObject({ code: 'scalesim-config-syntax', pos: { line: 1 } });
    expect(diagnosticsOf(() => parseScaleSimConfig(MINIMAL + 'InterfaceBandwidth: USER\n', 'd.cfg'))[0]).toMatchObject({
      code: 'scalesim-config-duplicate-key',
      pos: { line: 14, col: 1 },
    });
    expect(diagnosticsOf(() => parseScaleSimConfig(MINIMAL + '[general]\n', 'd.cfg'))[0]).toMatchObject({ code: 'scalesim-config-duplicate-section', pos: { line: 14 } });
  });

  it('requires one Bandwidth per memory bank in USER mode', () => {
    const d = diagnosticsOf(() => parseScaleSimConfig(MINIMAL.replace('CALC', 'USER').replace('Dataflow : ws', 'Dataflow : ws\nBandwidth : 10,20'), 'b.cfg'));
    expect(d[0]!.message).toContain('one Bandwidth per memory bank');
  });
});
