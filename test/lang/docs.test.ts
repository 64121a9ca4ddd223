/** docs/language.md promises its op reference lists every op and attribute; this keeps it honest. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OPS } from '../../compiler/ir/ops.ts';
import { TARGET_SCHEMAS, TRAIN_SCHEMA } from '../../compiler/lang/block-schema.ts';
import { repoRoot } from '../helpers/paths.ts';

const doc = readFileSync(path.join(repoRoot, 'docs/language.md'), 'utf8');

/** The text of the `### \`name\`` section, up to the next heading. */
function section(name: string): string | undefined {
  const start = doc.indexOf(`### \`${name}\``);
  if (start < 0) return undefined;
  const end = doc.indexOf('\n#', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('docs/language.md', () => {
  for (const spec of OPS.values()) {
    it(`documents ${spec.name} and each of its attributes`, () => {
      const s = section(spec.name);
      expect(s, `no section for ${spec.name}`).toBeDefined();
      expect(s).toContain(spec.doc);
      for (const a of spec.attrs) expect(s, `${spec.name}.${a.name}`).toContain(`| \`${a.name}\` |`);
    });
  }

  it('documents every target property of each kind and every train property', () => {
    for (const [kind, schema] of Object.entries(TARGET_SCHEMAS)) {
      const s = section(kind)!;
      expect(s, kind).toBeDefined();
      for (const prop of Object.keys(schema.props)) expect(s, `${kind}.${prop}`).toContain(`| \`${prop}\` |`);
    }
    const train = doc.slice(doc.indexOf('## Train blocks'), doc.indexOf('## Diagnostics'));
    for (const prop of Object.keys(TRAIN_SCHEMA.props)) expect(train, prop).toContain(`| \`${prop}\` |`);
  });
});
