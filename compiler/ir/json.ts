/**
 * Canonical JSON for the IR. Keys are written in one fixed order so that compiling a module's own
 * JSON prints the same bytes (`kiln compile x.json --emit json`), and reading JSON verifies it,
 * since a file on disk may have been edited by hand.
 */
import type { Loc } from '../lang/ast.ts';
import { error, KilnError } from '../lang/diagnostics.ts';
import type { AttrValue, Module, Node } from './module.ts';
import { verifyModule } from './verify.ts';

function canonicalAttr(v: AttrValue): AttrValue {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { dtype: v.dtype, granularity: v.granularity };
  return v;
}

function canonicalNode(n: Node): Node {
  const out: Node = { id: n.id, op: n.op, inputs: [...n.inputs], attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, canonicalAttr(v)])) };
  if (n.type) out.type = { shape: [...n.type.shape], dtype: n.type.dtype };
  if (n.params) out.params = Object.fromEntries(Object.entries(n.params).map(([k, t]) => [k, { shape: [...t.shape], dtype: t.dtype }]));
  if (n.loc) out.loc = { file: n.loc.file, line: n.loc.line, col: n.loc.col, length: n.loc.length };
  return out;
}

export function moduleToJson(m: Module): string {
  const canonical: Module = {
    name: m.name,
    params: { ...m.params },
    timesteps: m.timesteps,
    inputs: [...m.inputs],
    outputs: [...m.outputs],
    nodes: Object.fromEntries(Object.values(m.nodes).map((n) => [n.id, canonicalNode(n)])),
  };
  return JSON.stringify({ kiln: 'module', version: 1, module: canonical }, null, 2) + '\n';
}

/** Whether `prefix` can still begin a JSON document (it parses, or fails only for ending early). */
function viablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (e) {
    // V8 reports a document cut short as "Unexpected end…" or as an error at its last offset.
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    return /Unexpected end of JSON input/.test(msg) || (at !== null && Number(at[1]) >= prefix.length);
  }
}

/**
 * Position of a JSON.parse failure: the offset V8 puts in some messages, else (for "Unexpected
 * token …", whose message quotes text but no offset) the end of the longest viable prefix.
 */
function jsonErrorLoc(text: string, message: string, file: string): Loc {
  const m = /position (\d+)/.exec(message);
  let offset = m ? Number(m[1]) : text.length;
  if (!m && !/Unexpected end of JSON input/.test(message)) {
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (viablePrefix(text.slice(0, mid))) lo = mid;
      else hi = mid - 1;
    }
    offset = lo;
  }
  const before = text.slice(0, offset).split('\n');
  return { file, line: before.length, col: before[before.length - 1]!.length + 1, length: 1 };
}

export function moduleFromJson(text: string, file: string): Module {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new KilnError(error('json', `invalid JSON: ${msg.replace(/ (in JSON )?at position \d+.*$/s, '').replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')}`, jsonErrorLoc(text, msg, file), 'the file should be the output of `kiln compile … --emit json`'));
  }
  const d = doc as { kiln?: unknown; version?: unknown; module?: Module };
  const at = { file, line: 1, col: 1, length: 1 };
  if (d?.kiln !== 'module' || !d.module) throw new KilnError(error('json', 'not a Kiln module: expected {"kiln": "module", "version": 1, "module": …}', at, 'write one with `kiln compile FILE.kiln --emit json`'));
  if (d.version !== 1) throw new KilnError(error('json', `unsupported module version ${JSON.stringify(d.version)}; this Kiln reads version 1`, at));
  const m = d.module;
  const problems = (() => {
    try {
      return verifyModule(m);
    } catch {
      return ['the module is malformed (missing or mistyped fields)'];
    }
  })();
  if (problems.length) throw new KilnError(problems.map((p) => error('verify', `invalid module: ${p}`, at)));
  return m;
}
