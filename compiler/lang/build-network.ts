/**
 * Builds a network declaration into the graph IR: resolves names, evaluates parameters, checks
 * every call against the op vocabulary (unknown ops and attributes, missing and ill-typed values,
 * input counts), inlines calls of other networks, and reports undefined names, duplicates,
 * use-before-definition and cycles. Shapes are left to the infer-shapes pass.
 */
import { findCyclesIn, graphOf } from '../ir/graph-view.ts';
import { AttrError, coerceAttr, describeType, type SourceValue } from '../ir/attrs.ts';
import { DTYPES, isDType } from '../ir/dtype.ts';
import type { AttrValue, Module, Node } from '../ir/module.ts';
import { OPS, opSpec, withDefaults, type OpSpec } from '../ir/ops.ts';
import type { Arg, Call, Loc, NetworkDecl, Statement } from './ast.ts';
import { didYouMean, error, type Diagnostic } from './diagnostics.ts';
import { EvalError, evaluate, evaluateDim, type Env } from './evaluate.ts';
import type { Program } from './load.ts';

export interface BuildResult {
  module?: Module;
  /**
   * When the build failed: the layers that did build (none of them uses a failed one), so their
   * own shape errors can be reported in the same run.
   */
  partial?: Module;
  diagnostics: Diagnostic[];
}

interface Scope {
  env: Map<string, number>;
  /** Source name → IR node id, for tensors already built. */
  values: Map<string, string>;
  /** Every tensor name the body defines, with its statement index, to tell "later" from "never". */
  defined: Map<string, { index: number; loc: Loc }>;
  /** Names whose definition failed: uses of them are not reported again. */
  poisoned: Set<string>;
  prefix: string;
}

class NetworkBuilder {
  readonly nodes: Record<string, Node> = {};
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly program: Program) {}

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  /** Evaluate the parameter list with defaults and overrides, reporting unknown overrides. */
  paramEnv(decl: NetworkDecl, overrides: Map<string, { value: number; loc?: Loc }>, callLoc?: Loc): Map<string, number> {
    const env = new Map<string, number>();
    const seen = new Set<string>();
    for (const p of decl.params) {
      if (seen.has(p.name.name)) this.report(error('duplicate-name', `duplicate parameter \`${p.name.name}\``, p.name.loc));
      seen.add(p.name.name);
      const o = overrides.get(p.name.name);
      if (o) env.set(p.name.name, o.value);
      else if (p.default) {
        try {
          const v = evaluate(p.default, env, true);
          if (v.kind === 'number') env.set(p.name.name, v.value);
        } catch (e) {
          if (e instanceof EvalError) this.report(e.diagnostic);
          else throw e;
        }
      } else {
        this.report(error('missing-attr', `parameter \`${p.name.name}\` of network \`${decl.name.name}\` has no default and no value`, callLoc ?? p.name.loc, callLoc ? `pass it: \`${decl.name.name}(…, ${p.name.name} = …)\`` : `give it a default: \`${p.name.name} = 1\`, or set it with --set ${p.name.name}=N`));
      }
    }
    for (const [name, o] of overrides) {
      if (!seen.has(name)) this.report(error('unknown-attr', `network \`${decl.name.name}\` has no parameter \`${name}\``, o.loc ?? callLoc, didYouMean(name, seen)));
    }
    return env;
  }

  /**
   * Build a network body into `this.nodes`. `bindings` maps the network's inputs to existing node
   * ids when it is inlined; returns the output ids.
   */
  buildBody(decl: NetworkDecl, env: Map<string, number>, prefix: string, bindings: string[] | undefined, stack: string[]): { inputs: string[]; outputs: string[]; timesteps?: number } {
    const scope: Scope = { env, values: new Map(), defined: new Map(), poisoned: new Set(), prefix };
    this.collectDefinitions(decl.body, scope);
    this.checkOrder(decl.body, scope);
    const inputs: string[] = [];
    const outputs: string[] = [];
    let timesteps: number | undefined;
    let inputIndex = 0;
    decl.body.forEach((st) => {
      switch (st.kind) {
        case 'input': {
          if (bindings) {
            const bound = bindings[inputIndex++];
            if (bound !== undefined) scope.values.set(st.name.name, bound);
            else scope.poisoned.add(st.name.name);
            return;
          }
          const id = prefix + st.name.name;
          if (!isDType(st.dtype.name)) {
            this.report(error('bad-dtype', `unknown element type \`${st.dtype.name}\``, st.dtype.loc, didYouMean(st.dtype.name, DTYPES) ?? `element types are ${DTYPES.join(', ')}`));
            scope.poisoned.add(st.name.name);
            return;
          }
          try {
            const shape = st.dims.map((d) => evaluateDim(d, env, 'a dimension'));
            this.nodes[id] = { id, op: 'input', inputs: [], attrs: { dtype: st.dtype.name, shape }, loc: st.name.loc };
            scope.values.set(st.name.name, id);
            inputs.push(id);
          } catch (e) {
            this.rethrowUnlessEval(e);
            scope.poisoned.add(st.name.name);
          }
          return;
        }
        case 'timesteps':
          if (timesteps !== undefined) this.report(error('duplicate-name', 'a network declares `timesteps` once', st.loc));
          try {
            timesteps = evaluateDim(st.value, env, '`timesteps`');
          } catch (e) {
            this.rethrowUnlessEval(e);
          }
          return;
        case 'output':
          for (const n of st.names) {
            const id = scope.values.get(n.name);
            if (id !== undefined) outputs.push(id);
            else if (!scope.poisoned.has(n.name) && !scope.defined.has(n.name)) this.report(this.undefinedName(n.name, n.loc, scope));
          }
          return;
        case 'assign':
          this.buildAssign(st, scope, stack);
      }
    });
    if (outputs.length === 0 && !decl.body.some((s) => s.kind === 'output')) {
      this.report(error('missing-output', `network \`${decl.name.name}\` has no \`output\``, decl.name.loc, 'add a line `output NAME` naming the result'));
    }
    return { inputs, outputs, timesteps };
  }

  private rethrowUnlessEval(e: unknown): void {
    if (e instanceof EvalError) this.report(e.diagnostic);
    else throw e;
  }

  private collectDefinitions(body: Statement[], scope: Scope): void {
    body.forEach((st, index) => {
      if (st.kind !== 'input' && st.kind !== 'assign') return;
      const name = st.name;
      const prev = scope.defined.get(name.name);
      if (prev) {
        this.report(error('duplicate-name', `\`${name.name}\` is defined twice`, name.loc, `the first definition is at line ${prev.loc.line}; rename one`));
      } else if (scope.env.has(name.name)) {
        this.report(error('duplicate-name', `\`${name.name}\` is both a parameter and a layer`, name.loc, 'rename the layer'));
      } else {
        scope.defined.set(name.name, { index, loc: name.loc });
      }
    });
  }

  /** Tensor names a call refers to, with where. */
  private references(call: Call, scope: Scope, isHead: boolean): { name: string; loc: Loc }[] {
    const refs: { name: string; loc: Loc }[] = [];
    if (isHead && !call.hasParens && scope.defined.has(call.name)) refs.push(call);
    for (const a of call.args) {
      if (!a.name && a.value.kind === 'name' && scope.defined.has(a.value.name)) refs.push({ name: a.value.name, loc: a.value.loc });
    }
    return refs;
  }

  /** Report forward references: as cycles when they close one, else as use before definition. */
  private checkOrder(body: Statement[], scope: Scope): void {
    const forward: { from: string; to: string; loc: Loc }[] = [];
    body.forEach((st, index) => {
      if (st.kind !== 'assign') return;
      st.chain.forEach((call, i) => {
        for (const r of this.references(call, scope, i === 0)) {
          if (scope.defined.get(r.name)!.index >= index) forward.push({ from: st.name.name, to: r.name, loc: r.loc });
        }
      });
    });
    // Only a forward reference can close a cycle, so the graph is built only when one exists.
    if (forward.length === 0) return;
    const assigns = body.filter((st) => st.kind === 'assign');
    const g = graphOf(assigns.map((st) => st.name.name), assigns.flatMap((st) => st.chain.flatMap((call, i) => this.references(call, scope, i === 0).map((r) => [r.name, st.name.name] as const))));
    const inCycle = new Set<string>();
    for (const cycle of findCyclesIn(g)) {
      const names = [...cycle].reverse();
      names.forEach((n) => inCycle.add(n));
      const first = forward.find((f) => names.includes(f.from) && names.includes(f.to));
      this.report(error('cycle', `layers form a cycle: ${[...names, names[0]].join(' → ')}`, first?.loc ?? scope.defined.get(names[0]!)!.loc, 'a network is a directed acyclic graph; recurrence is written with rnn, lstm or gru'));
    }
    for (const f of forward) {
      if (inCycle.has(f.from) && inCycle.has(f.to)) continue;
      const def = scope.defined.get(f.to)!;
      this.report(error('use-before-definition', `\`${f.to}\` is used before its definition at line ${def.loc.line}`, f.loc, 'move this line below the definition'));
    }
    for (const n of inCycle) scope.poisoned.add(n);
    for (const f of forward) scope.poisoned.add(f.from);
  }

  /** "Did you mean" hints still to give: each compares against every name, so thousands of undefined names would cost names × errors. */
  private hintsLeft = 100;

  private undefinedName(name: string, loc: Loc, scope: Scope): Diagnostic {
    const hint = this.hintsLeft-- > 0 ? didYouMean(name, [...scope.defined.keys(), ...scope.env.keys()]) : undefined;
    return error('undefined-name', `undefined name \`${name}\``, loc, hint);
  }

  /**
   * A chain whose input failed (or whose own call failed) is still read to its end in check-only
   * mode: its unknown ops and attributes are independent mistakes and are reported, but nothing is
   * built and nothing that needs the failed value (input counts, shapes) is checked.
   */
  private buildAssign(st: Extract<Statement, { kind: 'assign' }>, scope: Scope, stack: string[]): void {
    let failed = scope.poisoned.has(st.name.name);
    let prev: string | undefined;
    const used = new Set<string>();
    const nextSuffix = new Map<string, number>();
    for (let i = 0; i < st.chain.length; i++) {
      const call = st.chain[i]!;
      const last = i === st.chain.length - 1;
      if (i === 0 && !call.hasParens && (scope.defined.has(call.name) || scope.poisoned.has(call.name))) {
        prev = scope.values.get(call.name);
        if (prev === undefined) failed = true;
        else if (last && !failed) {
          // `b = a` is an alias: no node, the name refers to the same value.
          scope.values.set(st.name.name, prev);
        }
        continue;
      }
      let id = scope.prefix + st.name.name;
      if (!last) {
        // `y = x -> relu -> relu` names its steps y.relu, y.relu2, …; the next number to try is
        // remembered per base name, or a chain of N equal ops would probe 1 + 2 + … + N names.
        const base = `${id}.${call.name}`;
        let k = nextSuffix.get(base) ?? 1;
        id = k === 1 ? base : base + k;
        while (used.has(id) || Object.hasOwn(this.nodes, id)) id = base + ++k;
        nextSuffix.set(base, k + 1);
      }
      const built = this.buildCall(call, failed ? undefined : prev, id, scope, stack, failed);
      // Only ids that made no node need remembering (`nodes` has the rest): a 262,144-step chain
      // would otherwise keep a second set of every id alive until the chain ends.
      if (!Object.hasOwn(this.nodes, id)) used.add(id);
      if (built === undefined) failed = true;
      prev = built;
    }
    if (!failed && prev !== undefined) scope.values.set(st.name.name, prev);
    else scope.poisoned.add(st.name.name);
  }

  /**
   * Split a call's arguments into tensor inputs and attribute values. An undefined name keeps its
   * place among the positional values (as `undefined`), so the values after it are not shifted
   * onto the wrong attributes and its attribute is not also reported missing.
   */
  private splitArgs(call: Call, prev: string | undefined, scope: Scope): { inputs: string[]; positional: (Arg | undefined)[]; named: Arg[]; ok: boolean } {
    const inputs = prev !== undefined ? [prev] : [];
    const positional: (Arg | undefined)[] = [];
    const named: Arg[] = [];
    let ok = true;
    for (const a of call.args) {
      if (a.name) named.push(a);
      else if (a.value.kind === 'name' && (scope.defined.has(a.value.name) || scope.poisoned.has(a.value.name))) {
        const id = scope.values.get(a.value.name);
        if (id === undefined) ok = false;
        else inputs.push(id);
      } else if (a.value.kind === 'name' && !scope.env.has(a.value.name)) {
        this.report(this.undefinedName(a.value.name, a.value.loc, scope));
        positional.push(undefined);
        ok = false;
      } else positional.push(a);
    }
    return { inputs, positional, named, ok };
  }

  /** Build one call as node `id`; with `checkOnly` (its input failed) only check the op and its attributes. */
  private buildCall(call: Call, prev: string | undefined, id: string, scope: Scope, stack: string[], checkOnly = false): string | undefined {
    const name = call.name;
    if (scope.defined.has(name)) {
      this.report(error('unknown-op', `\`${name}\` is a layer, not an op`, call.loc, `to feed it forward write \`${name} -> op\``));
      return undefined;
    }
    const { inputs, positional, named, ok } = this.splitArgs(call, prev, scope);
    const sub = this.program.networks.get(name);
    const spec = opSpec(name);
    if (!spec && sub) return ok && !checkOnly ? this.inlineNetwork(call, sub, inputs, positional, named, id, scope, stack) : undefined;
    if (!spec) {
      this.report(error('unknown-op', `unknown op \`${name}\``, call.loc, didYouMean(name, [...OPS.keys(), ...this.program.networks.keys()]) ?? 'see docs/language.md for the op vocabulary'));
      return undefined;
    }
    const attrs = this.attrsFor(spec, call, positional, named, scope.env);
    if (!attrs || !ok || checkOnly) return undefined;
    const [min, max] = spec.inputs;
    if (inputs.length < min || inputs.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      this.report(error('arity', `${name} takes ${want} input${want === '1' ? '' : 's'} but got ${inputs.length}`, call.loc, inputs.length < min ? (min === 2 ? `write \`${name}(a, b)\` or \`a -> ${name}(b)\`` : `write \`${name}(x, …)\` or \`x -> ${name}\``) : undefined));
      return undefined;
    }
    this.nodes[id] = { id, op: name, inputs, attrs, loc: call.loc };
    return id;
  }

  private attrsFor(spec: OpSpec, call: Call, positional: (Arg | undefined)[], named: Arg[], env: Env): Record<string, AttrValue> | undefined {
    const given: Record<string, AttrValue> = {};
    /** Attributes whose value is an undefined name: already reported, so not missing too. */
    const unresolved = new Set<string>();
    let ok = true;
    const assign = (attrName: string, a: Arg) => {
      const attr = spec.attrs.find((s) => s.name === attrName)!;
      if (attrName in given) {
        this.report(error('duplicate-attr', `\`${attrName}\` is given twice`, a.loc));
        ok = false;
        return;
      }
      try {
        const v: SourceValue = evaluate(a.value, env);
        given[attrName] = coerceAttr(attr, v, a.qualifier?.name);
      } catch (e) {
        ok = false;
        if (e instanceof EvalError) this.report(e.diagnostic);
        else if (e instanceof AttrError) this.report(error(attr.type.kind === 'precision' ? 'bad-precision' : 'attr-type', `${spec.name}: ${e.message}`, a.value.loc, e.hint ?? (attr.type.kind === 'enum' ? didYouMean(a.value.kind === 'name' ? a.value.name : '', attr.type.values) : undefined)));
        else throw e;
      }
    };
    positional.forEach((a, i) => {
      const attrName = spec.positional[i];
      if (a === undefined) {
        if (attrName !== undefined) unresolved.add(attrName);
      } else if (attrName === undefined) {
        this.report(error('arity', `${spec.name} takes ${spec.positional.length === 0 ? 'no' : 'at most ' + spec.positional.length} positional value${spec.positional.length === 1 ? '' : 's'}${spec.positional.length ? ' (' + spec.positional.join(', ') + ')' : ''}`, a.loc, 'name the attribute: `name = value`'));
        ok = false;
      } else assign(attrName, a);
    });
    for (const a of named) {
      const n = a.name!;
      if (!spec.attrs.some((s) => s.name === n.name)) {
        this.report(error('unknown-attr', `${spec.name} has no attribute \`${n.name}\``, n.loc, didYouMean(n.name, spec.attrs.map((s) => s.name)) ?? `its attributes are ${spec.attrs.map((s) => s.name).join(', ') || 'none'}`));
        ok = false;
      } else assign(n.name, a);
    }
    for (const s of spec.attrs) {
      if (s.default === undefined && !s.optional && !(s.name in given) && !unresolved.has(s.name) && ok) {
        this.report(error('missing-attr', `${spec.name} needs \`${s.name}\` (${describeType(s.type)}: ${s.doc})`, call.loc, `write \`${spec.name}(${[...spec.positional.slice(0, spec.positional.indexOf(s.name) + 1)].map((p) => p === s.name ? '…' : p).join(', ') || s.name + ' = …'})\` or \`${s.name} = …\``));
        ok = false;
      }
    }
    return ok ? withDefaults(spec, given) : undefined;
  }

  private inlineNetwork(call: Call, sub: NetworkDecl, inputs: string[], positional: (Arg | undefined)[], named: Arg[], id: string, scope: Scope, stack: string[]): string | undefined {
    if (stack.includes(sub.name.name)) {
      this.report(error('cycle', `network \`${sub.name.name}\` calls itself: ${[...stack, sub.name.name].join(' → ')}`, call.loc, 'networks may call other networks, but not recursively'));
      return undefined;
    }
    if (positional.length > 0) {
      this.report(error('arity', `network \`${sub.name.name}\` takes its parameters by name`, positional[0]!.loc, `write \`${sub.name.name}(x, ${sub.params[0]?.name.name ?? 'p'} = …)\``));
      return undefined;
    }
    const declared = sub.body.filter((s) => s.kind === 'input').length;
    if (inputs.length !== declared) {
      this.report(error('arity', `network \`${sub.name.name}\` takes ${declared} input${declared === 1 ? '' : 's'} but got ${inputs.length}`, call.loc));
      return undefined;
    }
    const overrides = new Map<string, { value: number; loc?: Loc }>();
    for (const a of named) {
      try {
        const v = evaluate(a.value, scope.env, true);
        if (v.kind === 'number') overrides.set(a.name!.name, { value: v.value, loc: a.name!.loc });
      } catch (e) {
        this.rethrowUnlessEval(e);
        return undefined;
      }
    }
    const before = this.diagnostics.length;
    const env = this.paramEnv(sub, overrides, call.loc);
    // Without all its parameters the body would only repeat the error as undefined names.
    if (this.diagnostics.length > before) return undefined;
    const { outputs } = this.buildBody(sub, env, id + '.', inputs, [...stack, sub.name.name]);
    if (this.diagnostics.length > before) return undefined;
    if (outputs.length !== 1) {
      this.report(error('arity', `network \`${sub.name.name}\` is called as a layer, so it needs exactly one output (it has ${outputs.length})`, call.loc));
      return undefined;
    }
    return outputs[0];
  }
}

export interface BuildOptions {
  /** Parameter overrides, e.g. from `--set batch=1`. */
  overrides?: Map<string, number>;
}

/**
 * A membrane readout never spikes: it is what a loss reads, not what a chip sends on. Feeding it to
 * another layer would make a non-spiking layer inside a spiking network, which the neuromorphic
 * mapping and cost models do not describe.
 */
function membraneReadoutsFeedingLayers(nodes: Record<string, Node>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const n of Object.values(nodes)) {
    for (const id of n.inputs) {
      const from = nodes[id];
      if (from?.op !== 'lif' || from.attrs.readout !== 'membrane') continue;
      out.push(error('attr-type', `\`${from.id}\` reads out its membrane potential (readout = membrane) but feeds \`${n.id}\``, from.loc,
        'only a network output may use `readout = membrane`; make it the output, or keep spikes for a hidden layer'));
    }
  }
  return out;
}

export function buildNetwork(program: Program, decl: NetworkDecl, opts: BuildOptions = {}): BuildResult {
  const b = new NetworkBuilder(program);
  const overrides = new Map([...(opts.overrides ?? new Map<string, number>())].map(([k, v]) => [k, { value: v }]));
  const env = b.paramEnv(decl, overrides);
  if (b.diagnostics.length > 0) return { diagnostics: b.diagnostics };
  const { inputs, outputs, timesteps } = b.buildBody(decl, env, '', undefined, [decl.name.name]);
  const spiking = Object.values(b.nodes).find((n) => n.op === 'lif');
  // A `timesteps` line whose value failed is already reported; do not also call it missing.
  if (spiking && timesteps === undefined && !decl.body.some((s) => s.kind === 'timesteps')) {
    b.diagnostics.push(error('missing-attr', `network \`${decl.name.name}\` has spiking layers (\`${spiking.id}\`) but no \`timesteps\``, decl.name.loc, 'add a line `timesteps 25` (how many steps one inference runs)'));
  }
  b.diagnostics.push(...membraneReadoutsFeedingLayers(b.nodes));
  const module: Module = { name: decl.name.name, params: Object.fromEntries(env), timesteps: timesteps ?? 1, inputs, outputs, nodes: b.nodes };
  if (b.diagnostics.some((d) => d.severity === 'error')) return { partial: module, diagnostics: b.diagnostics };
  return { module, diagnostics: b.diagnostics };
}
