/**
 * The playground's computation, in Node: what the page shows for a text must be what the command
 * line says for the same text. The browser test (playground.browser.test.ts) drives the page itself.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.ts';
import { presets } from '../../targets/resolve.ts';
import { graphSvg } from '../../cli/playground/graph-svg.ts';
import { highlightSpans } from '../../cli/playground/highlight.ts';
import { presetTexts } from '../../cli/playground/page.ts';
import { Playground, SOURCE_FILE } from '../../cli/playground/session.ts';
import { TINY_SNN } from '../helpers/tiny-snn.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const playground = new Playground(presetTexts());

describe('the playground session', () => {
  it('loads every preset as the command line does', () => {
    expect([...playground.presets.keys()]).toEqual([...presets().keys()]);
    // Checked descriptions carry locations; the numbers and names must agree, not the file paths.
    const strip = (m: Map<string, unknown>) => JSON.parse(JSON.stringify([...m], (k, v: unknown) => (k === 'loc' || k === 'file' ? undefined : v))) as unknown;
    expect(strip(playground.presets)).toEqual(strip(presets()));
  });

  it('prices a text exactly as `kiln estimate --json`, n/a entries and partition maps included', () => {
    const targets = ['avx2_laptop', 'loihi_1chip', 'systolic_32x32'];
    const a = playground.analyse(TINY_SNN, targets);
    const file = path.join(tempFiles({ 's.kiln': TINY_SNN }), 's.kiln');
    const cli = runMain(['estimate', file, ...targets.flatMap((t) => ['--target', t]), '--json']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(JSON.stringify(a.estimate))).toEqual(JSON.parse(cli.out));
    expect(a.maps.map((m) => m.target)).toEqual(['loihi_1chip']);
    expect(a.maps[0]!.svg).toContain('<svg');
  });

  it('a target extending a preset by name resolves against the presets it holds', () => {
    const text = `${TINY_SNN}target fast extends loihi_1chip { clock 1 GHz }\n`;
    expect(playground.analyse(text, []).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('reports a mistake where it is, with the words of the command line', () => {
    const bad = TINY_SNN.replace('-> lif\n  y', '-> lfi\n  y');
    const a = playground.analyse(bad, ['avx2_laptop']);
    expect(a.module).toBeUndefined();
    const err = a.diagnostics.find((d) => d.severity === 'error')!;
    expect(err.pos).toMatchObject({ file: SOURCE_FILE, line: 5, col: 23 });
    const file = path.join(tempFiles({ 's.kiln': bad }), 's.kiln');
    const cli = runMain(['check', file]);
    expect(cli.code).toBe(1);
    expect(cli.err).toContain(`${file}:5:23: error: ${err.message}`);
  });

  it('an import the page does not hold is missing, at the import', () => {
    const a = playground.analyse(`import "mine.kiln"\n${TINY_SNN}`, []);
    expect(a.diagnostics[0]).toMatchObject({ severity: 'error', code: 'import', pos: { file: SOURCE_FILE, line: 1 } });
    expect(a.diagnostics[0]!.message).toBe('cannot read `mine.kiln`: no such file');
  });
});

describe('graph and colours', () => {
  it('draws one box per IR node and one arrow per input', () => {
    const m = compile(path.join(tempFiles({ 's.kiln': TINY_SNN }), 's.kiln')).module;
    const svg = graphSvg(m);
    const boxes = [...svg.matchAll(/data-node="([^"]+)"/g)].map((x) => x[1]);
    expect(boxes).toEqual(Object.keys(m.nodes));
    const edges = Object.values(m.nodes).reduce((n, node) => n + node.inputs.filter((i) => i in m.nodes).length, 0);
    expect(edges).toBeGreaterThan(3);
    expect(svg.match(/<polyline /g)).toHaveLength(edges);
  });

  it('colours tokens by their type in Kiln\'s lexer, comments from the gaps', () => {
    const text = 'network n { # note\n  y = dense(x, 10 MHz) -> relu\n}\ntrain n { data mnist(train = 8) }';
    const spans = highlightSpans(text).map(([a, b, c]) => `${text.slice(a, b)}:${c}`);
    expect(spans).toEqual([
      'network:kiln-keyword', 'n:kiln-name', '# note:kiln-comment', 'y:kiln-name', 'dense:kiln-op', 'x:kiln-name', '10:kiln-number', 'MHz:kiln-unit', '->:kiln-arrow', 'relu:kiln-name',
      'train:kiln-keyword', 'n:kiln-name', 'data:kiln-name', 'mnist:kiln-op', 'train:kiln-name', '8:kiln-number',
    ]);
  });
});

describe('kiln serve on the command line', () => {
  it('a port that is no number is a usage error', () => {
    const r = runMain(['serve', '--port', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("kiln serve: --port takes a whole number ≥ 0, not 'x'");
  });
  it('a target that is no preset is a usage error naming the presets', () => {
    const r = runMain(['serve', '--target', 'tpu_v1_lik']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown target 'tpu_v1_lik'\n {2}hint: did you mean `tpu_v1_like`\? presets: avx2_laptop, /);
    expect(runMain(['serve', '--target', 'mine.kiln:t']).code).toBe(2);
  });
  it('a file that cannot be read is an error in the input', () => {
    const r = runMain(['serve', '/nonexistent/n.kiln']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('/nonexistent/n.kiln');
  });
});
