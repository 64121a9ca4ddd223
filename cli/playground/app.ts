/// <reference lib="dom" />
/**
 * The playground page's script (bundled for the browser by cli/playground/page.ts): a CodeMirror
 * editor whose text is compiled and priced on every pause in typing, in a Web Worker (worker.ts),
 * so the editor keeps taking keystrokes while a large network is mapped. Diagnostics are drawn
 * inline at the positions Kiln's errors carry; the graph, the estimate table (the rows `kiln
 * estimate --json` prints, shown in full below it) and the neuromorphic partition maps are redrawn
 * from the same analysis.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { EditorState, type Text } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { forceLinting, lintGutter, linter, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import type { Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { fmtJ } from '../../targets/config.ts';
import { fmtN, fmtS } from '../../targets/report/format.ts';
import { esc } from '../../targets/neuromorphic/map-svg/xml.ts';
import { succeeded, type EstimateJson } from '../report/report-data.ts';
import { mapSection } from '../report/map-section.ts';
import { kilnHighlight } from './highlight.ts';
import { SOURCE_FILE, type PresetFiles } from './session.ts';
import type { Drawn, FromWorker, ToWorker } from './worker.ts';

/** What the server puts in the page (cli/playground/page.ts). */
interface PageData {
  presets: PresetFiles;
  text: string;
  targets: string[];
}

const byId = (id: string) => document.getElementById(id)!;
const data = JSON.parse(byId('kiln-page-data').textContent!) as PageData;
// The server accepts only preset names for --target (serve.ts), so every one has a box.
const chosen = new Set(data.targets);

/** A Kiln position (1-based line and column, a length) as a range of the editor's document. */
function range(doc: Text, d: Diagnostic): { from: number; to: number } {
  const p = d.pos!;
  const line = doc.line(Math.min(Math.max(p.line, 1), doc.lines));
  const from = Math.min(line.from + p.col - 1, line.to);
  return { from, to: Math.min(from + Math.max(p.length ?? 1, 1), doc.length) };
}

const where = (d: Diagnostic) => (d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}: ` : '');

function showProblems(ds: readonly Diagnostic[]): void {
  byId('problems').innerHTML = ds.map((d) => `<li class="${d.severity}">${esc(`${where(d)}${d.severity}: ${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`)}</li>`).join('');
}

function showEstimate(est: EstimateJson | undefined): void {
  const rows = (est?.results ?? []).map((r) =>
    succeeded(r)
      ? `<tr data-target="${esc(r.target)}"><td>${esc(r.target)}</td><td>${esc(r.kind)}</td><td class="n">${fmtS(r.summary.per_inference?.latency_s ?? r.summary.latency_s)}</td><td class="n">${fmtJ(r.summary.per_inference?.energy_j ?? r.summary.energy_j)}</td><td class="n">${fmtN(r.summary.macs)}</td><td class="n">${r.summary.batch ?? 1}</td></tr>`
      : `<tr data-target="${esc(r.target)}"><td>${esc(r.target)}</td><td>${esc(r.kind)}</td><td colspan="4" class="err">n/a: ${esc(r.error)}</td></tr>`,
  );
  byId('estimates').innerHTML = rows.length ? `<table><thead><tr><th>target</th><th>kind</th><th>latency / inference</th><th>energy / inference</th><th>MACs</th><th>batch</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>Pick a target above.</p>';
  byId('estimate-json').textContent = est ? JSON.stringify(est, null, 2) : '';
}

function show(a: Drawn): void {
  showProblems(a.diagnostics);
  document.body.dataset.state = a.graph ? 'ok' : 'error';
  if (!a.graph) return; // keep the last good graph and estimates on screen while the text is broken
  byId('graph').innerHTML = a.graph;
  showEstimate(a.estimate);
  byId('maps').innerHTML = a.maps.map((m) => mapSection(m, 'h3')).join('');
}

/**
 * The worker and the one analysis it may be running. A newer text makes the running one worthless,
 * and a worker cannot be interrupted mid-task, so it is replaced: the new one starts at once
 * instead of after a mapping nobody will look at (loading the presets again takes milliseconds).
 */
let worker: Worker;
let pending: { id: number; resolve: (d: Drawn) => void } | undefined;
let nextId = 0;
/**
 * The preset list, from whichever worker answers first: a worker that fails before answering is
 * replaced, and the checkboxes must still come from its successor.
 */
let presetsAnswered!: (presets: { name: string; kind: string }[]) => void;
const presetsReady = new Promise<{ name: string; kind: string }[]>((resolve) => (presetsAnswered = resolve));
/** The worker threw past its own catch (or never loaded): the next analysis needs a new one. */
let failed = false;

/**
 * An exception the worker did not catch ends the analysis it was running without an answer; the
 * page would say "busy" for ever. It is a Kiln bug, so it is shown as one, where the diagnostics
 * go, and the worker is replaced at the next analysis rather than at once (one that fails to load
 * would fail again in a loop).
 */
function workerFailed(e: ErrorEvent): void {
  e.preventDefault();
  failed = true;
  const drawn: Drawn = { diagnostics: [{ severity: 'error', code: 'internal', message: `internal error (a bug in Kiln): the analysis worker failed: ${e.message || 'no message (the worker script may not have loaded)'}` }], maps: [] };
  if (!settle(drawn)) show(drawn);
}

/** Answers the analysis waiting for one, if any, and leaves the busy state; false when none waited. */
function settle(drawn: Drawn): boolean {
  const p = pending;
  pending = undefined;
  delete document.body.dataset.busy;
  p?.resolve(drawn);
  return p !== undefined;
}

function startWorker(): void {
  failed = false;
  const w = new Worker('/worker.js', { type: 'module' });
  worker = w;
  // A replaced worker's late error or answer is about an analysis nobody waits for any more.
  w.onerror = (e) => (w === worker ? workerFailed(e) : e.preventDefault());
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.kind === 'presets') presetsAnswered(m.presets);
    else if (w === worker && pending?.id === m.id) settle(m.drawn);
  };
  w.postMessage({ kind: 'presets', presets: data.presets } satisfies ToWorker);
}

function analyse(text: string): Promise<Drawn> {
  if (pending || failed) {
    worker.terminate();
    startWorker();
  }
  document.body.dataset.busy = '1';
  const id = ++nextId;
  // The superseded request's promise is left unresolved: CodeMirror drops a stale result anyway.
  return new Promise((resolve) => {
    pending = { id, resolve };
    worker.postMessage({ kind: 'analyse', id, text, targets: [...chosen] } satisfies ToWorker);
  });
}

/** The linter is the debounced analysis: CodeMirror runs it once typing pauses for `delay` ms. */
const kilnLinter = linter(
  async (view) => {
    const doc = view.state.doc;
    const a = await analyse(doc.toString());
    show(a);
    document.body.dataset.analysed = String(Number(document.body.dataset.analysed ?? 0) + 1);
    return a.diagnostics.filter((d) => d.pos?.file === SOURCE_FILE).map((d): CmDiagnostic => ({
      ...range(doc, d),
      severity: d.severity === 'note' ? 'info' : d.severity,
      source: 'kiln',
      message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    }));
  },
  { delay: 300 },
);

startWorker();
const view = new EditorView({
  parent: byId('editor'),
  state: EditorState.create({
    doc: data.text,
    extensions: [lineNumbers(), history(), keymap.of([...defaultKeymap, ...historyKeymap]), kilnHighlight, kilnLinter, lintGutter()],
  }),
});

void presetsReady.then((presets) => {
  byId('presets').innerHTML = presets.map((t) =>
    `<label><input type="checkbox" value="${esc(t.name)}"${chosen.has(t.name) ? ' checked' : ''}> ${esc(t.name)} <small>(${esc(t.kind)})</small></label>`).join(' ');
});
byId('presets').addEventListener('change', (e) => {
  const box = e.target as HTMLInputElement;
  if (box.checked) chosen.add(box.value);
  else chosen.delete(box.value);
  forceLinting(view);
});
