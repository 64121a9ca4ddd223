/** The IR printer: reads like the source, one node a line, with its inferred type and parameters. */
import { formatType, type Precision } from './dtype.ts';
import type { AttrValue, Module, Node } from './module.ts';

export function formatAttr(v: AttrValue): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object') {
    const p = v as Precision;
    return p.granularity === 'per_tensor' ? p.dtype : `${p.dtype} ${p.granularity}`;
  }
  return String(v);
}

function printNode(n: Node): string {
  if (n.op === 'input') return `  input ${n.id} : ${formatType({ dtype: n.attrs.dtype as never, shape: n.attrs.shape as number[] })}`;
  const args = [...n.inputs, ...Object.entries(n.attrs).map(([k, v]) => `${k} = ${formatAttr(v)}`)];
  let line = `  ${n.id} = ${n.op}(${args.join(', ')})`;
  const notes: string[] = [];
  if (n.type) notes.push(formatType(n.type));
  if (n.params) notes.push(...Object.entries(n.params).map(([k, t]) => `${k} ${formatType(t)}`));
  if (notes.length) line += `  # ${notes.join('  ')}`;
  return line;
}

export function printModule(m: Module): string {
  const params = Object.entries(m.params).map(([k, v]) => `${k} = ${v}`).join(', ');
  const lines = [`network ${m.name}${params ? `(${params})` : ''} {`];
  if (m.timesteps !== 1) lines.push(`  timesteps ${m.timesteps}`);
  for (const n of Object.values(m.nodes)) lines.push(printNode(n));
  lines.push(`  output ${m.outputs.join(', ')}`, '}');
  return lines.join('\n') + '\n';
}
