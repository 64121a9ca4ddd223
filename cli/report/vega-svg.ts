/**
 * Vega-Lite spec → SVG text, synchronously. Vega's own `view.toSVG()` returns a promise, but the
 * `kiln` command runs synchronously from argument parsing to exit status (cli/main.ts), and the
 * report's charts have inline data only, so nothing needs to wait: `view.run()` evaluates the
 * dataflow and the SVG string renderer draws the scenegraph exactly as toSVG does
 * (test/cli/report.test.ts checks the two agree byte for byte).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * What the report uses of a view beyond vega's published types: the laid-out size (plot plus axes
 * and legends) vega keeps in fields it does not expose, and padding, which a compiled Vega-Lite
 * spec always gives as four sides.
 */
interface LaidOut {
  _viewWidth: number;
  _viewHeight: number;
  padding(): { left: number; right: number; top: number; bottom: number };
  origin(): [number, number];
  background(): string;
  scenegraph(): { root: unknown };
}

/** vega exports its string renderer at run time; its type declarations leave it out. */
interface SvgStringRenderer {
  initialize(el: null, width: number, height: number, origin: [number, number]): SvgStringRenderer;
  background(color: string): SvgStringRenderer;
  render(scene: unknown): SvgStringRenderer;
  svg(): string;
}
const SVGStringRenderer = (vega as unknown as { SVGStringRenderer: new () => SvgStringRenderer }).SVGStringRenderer;

export function vegaLiteToSvg(spec: TopLevelSpec): string {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  // Vega logs to the console; a malformed spec is Kiln's bug and surfaces as a thrown error instead.
  view.logLevel(vega.Error);
  view.run();
  const v = view as unknown as LaidOut;
  const pad = v.padding();
  const origin = v.origin();
  const svg = new SVGStringRenderer()
    .initialize(null, v._viewWidth + pad.left + pad.right, v._viewHeight + pad.top + pad.bottom, [pad.left + origin[0], pad.top + origin[1]])
    .background(v.background())
    .render(v.scenegraph().root)
    .svg();
  view.finalize();
  return svg;
}
