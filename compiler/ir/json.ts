/**
 * Canonical JSON for the IR. Keys are written in one fixed order so that compiling a module's own
 * JSON prints the same bytes (`kiln compile x.json --emit json`), and reading JSON verifies it,
 * since a file on disk may have been edited by hand.
 */
import { error, KilnError } from '../lang/diagnostics.ts';
import type { AttrValue, Module, Node } from './module.ts';
import { verifyModule } from './verify.ts';
import { parseJsonLocated } from '../io/json-located.ts';

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

export function moduleFromJson(text: string, file: string): Module {
  const doc = parseJsonLocated(text, file, 'the file should be the output of `kiln compile … --emit json`');
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
