/// <reference lib="webworker" />
/**
 * The playground's analysis off the page's main thread (bundled as /worker.js by page.ts):
 * compiling, pricing and mapping a large spiking network takes seconds, and on the main thread
 * the editor would not take a keystroke until it was done. The page sends the shipped presets
 * once, then the text and ticked targets of every pause in typing; the worker answers each with
 * what the page draws, as plain data (strings and JSON), so nothing but the result crosses over.
 */
import type { Diagnostic } from '../../compiler/lang/diagnostics.ts';
import type { EstimateJson } from '../report/report-data.ts';
import { graphSvg } from './graph-svg.ts';
import { Playground, type PresetFiles } from './session.ts';

export type ToWorker = { kind: 'presets'; presets: PresetFiles } | { kind: 'analyse'; id: number; text: string; targets: string[] };

/** What the page draws from one analysis: `graph` is absent while the text has errors. */
export interface Drawn {
  diagnostics: Diagnostic[];
  graph?: string;
  estimate?: EstimateJson;
  maps: { target: string; svg: string }[];
}

export type FromWorker = { kind: 'presets'; presets: { name: string; kind: string }[] } | { kind: 'analysed'; id: number; drawn: Drawn };

/** One analysis as the page draws it; a crash is a Kiln bug, said on the page rather than freezing the last result. */
export function analyse(playground: Playground, text: string, targets: readonly string[]): Drawn {
  try {
    const a = playground.analyse(text, targets);
    return { diagnostics: a.diagnostics, maps: a.maps, ...(a.module ? { graph: graphSvg(a.module), estimate: a.estimate } : {}) };
  } catch (e) {
    return { diagnostics: [{ severity: 'error', code: 'internal', message: `internal error (a bug in Kiln): ${(e as Error).message}` }], maps: [] };
  }
}

// Only in a worker: tests import analyse() in Node, where there is no worker scope.
if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  let playground: Playground | undefined;
  const post = (m: FromWorker) => self.postMessage(m);
  self.onmessage = (e: MessageEvent<ToWorker>) => {
    const m = e.data;
    if (m.kind === 'presets') {
      playground = new Playground(m.presets);
      post({ kind: 'presets', presets: [...playground.presets.values()].map((t) => ({ name: t.name, kind: t.kind })) });
    } else {
      post({ kind: 'analysed', id: m.id, drawn: analyse(playground!, m.text, m.targets) });
    }
  };
}
