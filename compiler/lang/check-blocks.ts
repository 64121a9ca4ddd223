/** Checks target and train blocks against their schemas and resolves `extends` chains. */
import type { TargetDescription, TrainDescription } from './description.ts';
import { TARGET_KINDS, TARGET_SCHEMAS, TRAIN_SCHEMA, type TargetKind } from './block-schema.ts';
import type { TargetDecl, TrainDecl } from './ast.ts';
import { didYouMean, error, type Diagnostic } from './diagnostics.ts';
import { readBlock } from './items.ts';
import type { Program } from './load.ts';

function kindOf(program: Program, decl: TargetDecl, diags: Diagnostic[], seen: string[]): { kind?: TargetKind; chain: TargetDecl[] } {
  if (decl.base.how === 'kind') {
    const k = decl.base.name.name;
    if ((TARGET_KINDS as readonly string[]).includes(k)) return { kind: k as TargetKind, chain: [decl] };
    const fix = `target ${decl.name.name} extends ${k}`;
    if (program.targets.has(k)) diags.push(error('unknown-kind', `\`${k}\` is a target, not a target kind`, decl.base.name.loc, `to build on it write \`${fix}\``));
    else diags.push(error('unknown-kind', `unknown target kind \`${k}\``, decl.base.name.loc, didYouMean(k, TARGET_KINDS) ?? `kinds are ${TARGET_KINDS.join(', ')}; to build on another target write \`target ${decl.name.name} extends NAME\``));
    return { chain: [decl] };
  }
  const baseName = decl.base.name.name;
  if (seen.includes(baseName)) {
    diags.push(error('cycle', `targets extend each other in a cycle: ${[...seen, baseName].join(' → ')}`, decl.base.name.loc));
    return { chain: [decl] };
  }
  const base = program.targets.get(baseName);
  if (!base) {
    diags.push(error('undefined-name', `undefined target \`${baseName}\``, decl.base.name.loc, didYouMean(baseName, program.targets.keys()) ?? 'import the file that defines it: `import "FILE.kiln"` (the kiln command finds shipped presets by name)'));
    return { chain: [decl] };
  }
  const r = kindOf(program, base, diags, [...seen, baseName]);
  return { kind: r.kind, chain: [decl, ...r.chain] };
}

export function checkTarget(program: Program, decl: TargetDecl, diags: Diagnostic[]): TargetDescription | undefined {
  const before = diags.length;
  const { kind, chain } = kindOf(program, decl, diags, [decl.name.name]);
  if (!kind) return undefined;
  const props: TargetDescription['props'] = {};
  // Base first, so the nearer target's properties override.
  for (const d of [...chain].reverse()) {
    const end = d.name.loc;
    // Only the declaration being checked reports its own errors; bases report theirs when checked.
    const sink = d === decl ? diags : [];
    for (const p of readBlock(d.items, TARGET_SCHEMAS[kind], end, sink)) props[p.key] = { value: p.value, unit: p.unit, source: p.loc };
  }
  if (diags.length > before) return undefined;
  return { name: decl.name.name, kind, extends: chain.slice(1).map((d) => d.name.name), props };
}

export function checkTrain(program: Program, decl: TrainDecl, diags: Diagnostic[]): TrainDescription | undefined {
  const before = diags.length;
  const list = readBlock(decl.items, TRAIN_SCHEMA, decl.name.loc, diags);
  const props = Object.fromEntries(list.map((p) => [p.key, { value: p.value, unit: p.unit, source: p.loc }]));
  const network = typeof props.network?.value === 'string' ? props.network.value : decl.name.name;
  if (!program.networks.has(network)) {
    diags.push(error('undefined-name', `train block \`${decl.name.name}\` names no network: there is no network \`${network}\``, decl.name.loc, didYouMean(network, program.networks.keys()) ?? 'name the train block after its network, or add `network "NAME"`'));
  }
  if (!props.data) diags.push(error('missing-attr', `train block \`${decl.name.name}\` has no \`data\``, decl.name.loc, 'add e.g. `data mnist(train = 8000, test = 2000)`'));
  if (diags.length > before) return undefined;
  return { name: decl.name.name, network, props };
}
