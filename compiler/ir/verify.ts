/**
 * The IR verifier: structural invariants every pass must keep. It runs after every pass in tests
 * and with `--verify-each`, and on every JSON module read from disk, since that may be hand-edited.
 */
import { isDType, type TensorType } from './dtype.ts';
import { findCycles } from './graph-view.ts';
import { isReservedName, NODE_ID_PATTERN, type Module } from './module.ts';
import { LIMITS, numberProblem, shapeProblem } from './limits.ts';
import { opSpec } from './ops.ts';
import { attrValueProblem } from './attrs.ts';

export interface VerifyOptions {
  /** After infer-shapes every node must carry a type. */
  requireTypes?: boolean;
}

function checkType(t: unknown): string | undefined {
  const tt = t as TensorType;
  if (!tt || !Array.isArray(tt.shape) || !tt.shape.every((d) => Number.isInteger(d) && d > 0)) return 'shape must be a list of positive integers';
  if (!isDType(tt.dtype)) return `unknown dtype ${JSON.stringify(tt.dtype)}`;
  return shapeProblem(tt.shape);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStringList = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/**
 * The fields' own types, checked first: a module read from JSON may hold anything, and the
 * invariants below (and every pass) assume lists are lists and attributes are records.
 */
function structureProblems(m: Module): string[] {
  const problems: string[] = [];
  // Keys first: a JSON key `__proto__` or `constructor` must be refused before any code indexes a record with it.
  const reserved = (what: string, r: unknown) => {
    if (isObject(r)) for (const k of Object.keys(r)) if (isReservedName(k)) problems.push(`${what} "${k}" is a reserved name (JavaScript objects already have it)`);
  };
  reserved('node id', m.nodes);
  reserved('parameter', m.params);
  for (const n of Object.values(m.nodes)) {
    if (!isObject(n)) continue;
    reserved(`node ${String(n.id)}: attribute`, n.attrs);
    reserved(`node ${String(n.id)}: parameter`, n.params);
  }
  if (problems.length) return problems;
  if (!isObject(m.params) || !Object.values(m.params).every((v) => typeof v === 'number' && !numberProblem(v))) problems.push('params must map names to numbers of at most 2^53 − 1');
  if (!isStringList(m.inputs)) problems.push('inputs must be a list of node ids');
  if (!isStringList(m.outputs)) problems.push('outputs must be a list of node ids');
  for (const [key, n] of Object.entries(m.nodes)) {
    if (!isObject(n)) {
      problems.push(`node ${key} is not an object`);
      continue;
    }
    if (typeof n.op !== 'string') problems.push(`node ${key}: op must be a string`);
    if (!isStringList(n.inputs)) problems.push(`node ${key}: inputs must be a list of node ids`);
    if (!isObject(n.attrs)) problems.push(`node ${key}: attrs must be an object`);
    if (n.params !== undefined && (!isObject(n.params) || Object.values(n.params).some((t) => checkType(t)))) problems.push(`node ${key}: params must map names to tensor types`);
    const l = n.loc as unknown as Record<string, unknown> | undefined;
    if (l !== undefined && (!isObject(l) || typeof l.file !== 'string' || !Number.isInteger(l.line) || !Number.isInteger(l.col))) problems.push(`node ${key}: loc must be {file, line, col}`);
  }
  return problems;
}

/** Returns the list of violations; empty when the module is well-formed. */
export function verifyModule(m: Module, opts: VerifyOptions = {}): string[] {
  if (typeof m.name !== 'string' || !isObject(m.nodes)) return ['a module needs a name and a nodes object'];
  const problems = structureProblems(m);
  if (problems.length) return problems;
  if (!Number.isInteger(m.timesteps) || m.timesteps < 1 || m.timesteps > LIMITS.maxDim) problems.push(`timesteps must be a positive integer of at most 2^31 − 1, not ${m.timesteps}`);
  const seen = new Set<string>();
  for (const [key, n] of Object.entries(m.nodes)) {
    if (n.id !== key) problems.push(`node stored under "${key}" has id "${n.id}"`);
    if (!NODE_ID_PATTERN.test(key)) problems.push(`node id "${key}" is not a name`);
    if (n.op === 'input') {
      if (n.inputs.length) problems.push(`input ${key} has inputs`);
      if (checkType({ shape: n.attrs.shape, dtype: n.attrs.dtype })) problems.push(`input ${key}: ${checkType({ shape: n.attrs.shape, dtype: n.attrs.dtype })}`);
    } else {
      const spec = opSpec(n.op);
      if (!spec) problems.push(`node ${key}: unknown op "${n.op}"`);
      else {
        const [min, max] = spec.inputs;
        if (n.inputs.length < min || n.inputs.length > max) problems.push(`node ${key}: ${n.op} takes ${min}..${max} inputs, has ${n.inputs.length}`);
        for (const a of Object.keys(n.attrs)) if (!spec.attrs.some((s) => s.name === a)) problems.push(`node ${key}: ${n.op} has no attribute "${a}"`);
        for (const s of spec.attrs) {
          if (!(s.name in n.attrs)) { if (!s.optional) problems.push(`node ${key}: attribute "${s.name}" is missing`); }
          else {
            const why = attrValueProblem(s.type, n.attrs[s.name]);
            if (why) problems.push(`node ${key}: attribute "${s.name}" ${why}`);
          }
        }
      }
    }
    for (const i of n.inputs) {
      if (!Object.hasOwn(m.nodes, i)) problems.push(`node ${key}: input "${i}" does not exist`);
      else if (!seen.has(i)) problems.push(`node ${key}: input "${i}" comes later (nodes must be in topological order)`);
    }
    if (n.type !== undefined && checkType(n.type)) problems.push(`node ${key}: ${checkType(n.type)}`);
    if (opts.requireTypes && n.type === undefined) problems.push(`node ${key} has no type (did infer-shapes run?)`);
    seen.add(key);
  }
  for (const id of m.inputs) if (!Object.hasOwn(m.nodes, id) || m.nodes[id]!.op !== 'input') problems.push(`module input "${id}" is not an input node`);
  for (const id of m.outputs) if (!Object.hasOwn(m.nodes, id)) problems.push(`module output "${id}" does not exist`);
  if (m.outputs.length === 0) problems.push('the module has no outputs');
  for (const c of findCycles(m)) problems.push(`cycle: ${c.join(' → ')}`);
  return problems;
}
