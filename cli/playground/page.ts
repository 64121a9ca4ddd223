/**
 * The playground's resources: the page (HTML, with the preset files and the starting text
 * embedded as JSON) and its two scripts, cli/playground/app.ts and the analysis worker
 * cli/playground/worker.ts, bundled for the browser by esbuild when the server starts, so a fresh
 * clone needs no build step. The bundles refuse node: modules: the
 * compiler and cost model reach files only through a SourceHost (docs/playground.md), and a
 * module that slipped a node: import back in fails here, at `kiln serve`, not silently in a page.
 */
import { nodeHost } from '../../compiler/io/node-host.ts';
import { packagePath } from '../../compiler/io/package-root.ts';
import { baseName } from '../../compiler/lang/source-host.ts';
import { PRESET_DIR } from '../../targets/resolve.ts';
import { embedJson } from '../report/report-data.ts';
import type { PresetFiles } from './session.ts';

/** Every shipped preset file, as the browser's in-memory host holds them. */
export function presetTexts(): PresetFiles {
  const host = nodeHost();
  return { dir: PRESET_DIR, files: Object.fromEntries(host.kilnFiles(PRESET_DIR).map((f) => [baseName(f), host.readFile(f)])) };
}

/** The page's two scripts: app.ts (the editor, /app.js) and worker.ts (the analysis, /worker.js). */
export interface PlaygroundScripts {
  app: string;
  worker: string;
}

export async function bundlePlayground(): Promise<PlaygroundScripts> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: { app: packagePath('cli', 'playground', 'app.ts'), worker: packagePath('cli', 'playground', 'worker.ts') },
    bundle: true, write: false, outdir: 'out', format: 'esm', platform: 'browser', target: 'es2022', minify: true, logLevel: 'silent',
    plugins: [{
      name: 'no-node-builtins',
      setup(b) {
        b.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.importer} imports ${a.path}: the playground runs in a browser; reach files through a SourceHost (compiler/lang/source-host.ts)` }] }));
      },
    }],
  });
  const text = (name: string) => r.outputFiles.find((f) => f.path.endsWith(`${name}.js`))!.text;
  return { app: text('app'), worker: text('worker') };
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{padding:0.5em 1em;border-bottom:1px solid #ddd}header h1{font-size:1.2em;margin:0 0 0.3em}
#presets label{margin-right:0.8em;white-space:nowrap}
main{display:grid;grid-template-columns:minmax(28em,1fr) 1fr;gap:1em;padding:1em}
#editor .cm-editor{border:1px solid #ccc;height:70vh}#editor .cm-scroller{font-family:monospace}
#problems{font-family:monospace;font-size:0.9em;padding-left:1.2em}#problems .error{color:#a00}#problems .warning{color:#a60}
table{border-collapse:collapse}th,td{padding:0.2em 0.6em;border-bottom:1px solid #ddd}td.n{text-align:right;font-variant-numeric:tabular-nums}.err{color:#a00}
#graph,.map{overflow:auto;max-height:40em;border:1px solid #ddd}h2{font-size:1.1em}
.kiln-keyword{color:#708;font-weight:bold}.kiln-op{color:#05a}.kiln-number{color:#164}.kiln-unit{color:#164;font-style:italic}
.kiln-string{color:#a11}.kiln-comment{color:#888;font-style:italic}.kiln-arrow{color:#708}`;

export function playgroundPage(data: { presets: PresetFiles; text: string; targets: string[] }): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Kiln playground</title><style>${STYLE}</style></head>
<body>
<header><h1>Kiln playground</h1><div id="presets"></div></header>
<main>
<section><div id="editor"></div><ul id="problems"></ul></section>
<section>
<h2>Estimates</h2><div id="estimates"></div>
<details><summary>as <code>kiln estimate --json</code></summary><pre id="estimate-json"></pre></details>
<h2>Graph</h2><div id="graph"></div>
<div id="maps"></div>
</section>
</main>
<script type="application/json" id="kiln-page-data">${embedJson(data)}</script>
<script type="module" src="/app.js"></script>
</body></html>
`;
}
