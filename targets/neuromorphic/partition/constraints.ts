/**
 * Turns partition options into the engine's constraint matrix: one dimension per balance
 * constraint (limit (1+ε)·ceil(total/k), as the brief and gpmetis -ufactor define it) and one per
 * capacity resource. Obvious infeasibility is reported here, naming the limit, before any work.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import type { PartitionOptions } from './types.ts';

export interface Constraints {
  readonly dims: readonly string[];
  readonly d: number;
  /** nv × d vertex weights. */
  readonly w: Float64Array;
  /** k × d limits. */
  readonly limits: Float64Array;
}

const fmt = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(6));

const INFEASIBLE = 'partition-infeasible';

/** Each part's load per dimension (k × d), from the nv × d vertex weights `w`. */
export function partLoads(part: Int32Array, w: Float64Array, d: number, k: number): Float64Array {
  const loads = new Float64Array(k * d);
  for (let v = 0; v < part.length; v++) for (let j = 0; j < d; j++) loads[part[v]! * d + j]! += w[v * d + j]!;
  return loads;
}

/**
 * A refusal to fit the limits, under the one code `isInfeasible` recognises: a refusal written
 * with another code would escape the callers' fallbacks (more parts, a flat partition, an even
 * split) and reach the user while another way to fit was left untried.
 */
export function infeasible(message: string, hint: string): KilnError {
  return new KilnError(error(INFEASIBLE, message, undefined, hint));
}

function fail(message: string, hint: string): never {
  throw infeasible(message, hint);
}

/**
 * Whether `e` is a refusal to fit the limits — a vertex or part heavier than a core's or chip's
 * limit, here or where the engine or the chip repair gives up — which callers answer with another
 * way to fit (more parts, a flat fallback, an even split) rather than passing it on.
 */
export function isInfeasible(e: unknown): boolean {
  return e instanceof KilnError && e.diagnostics.some((x) => x.code === INFEASIBLE);
}

function badOption(message: string, hint: string): never {
  throw new KilnError(error('partition-options', message, undefined, hint));
}

/** `vwgt` is nv × ncon (absent: unit weights). */
export function resolveConstraints(nv: number, opts: PartitionOptions, vwgt: Float64Array | undefined, ncon: number): Constraints {
  const k = opts.k;
  if (!Number.isInteger(k) || k < 1) badOption(`k must be a positive integer, got ${k}`, 'k is the number of parts (cores)');
  const eps = opts.epsilon ?? 0.03;
  if (!(eps >= 0) || !Number.isFinite(eps)) badOption(`epsilon must be a non-negative number, got ${eps}`, 'ε = 0.03 allows parts 3% above the average, like gpmetis -ufactor=30');
  const cap = opts.capacity;
  const balance = opts.balance ?? !cap;
  const dc = cap ? cap.names.length : 0;
  if (cap) {
    if (dc === 0) badOption('the capacity spec names no resource', 'give names such as ["neurons", "synapse words"]');
    if (cap.perVertex.length !== nv * dc) badOption(`capacity.perVertex holds ${cap.perVertex.length} values, expected ${nv} vertices × ${dc} resources = ${nv * dc}`, 'store the resources of vertex v at perVertex[v * names.length + j]');
    if (cap.limits.length !== dc && cap.limits.length !== k * dc) badOption(`capacity.limits holds ${cap.limits.length} values, expected ${dc} (one per resource) or k × ${dc} = ${k * dc}`, 'give the limits of every part alike, or part by part');
  }
  const nb = balance ? ncon : 0;
  const d = nb + dc;
  if (d === 0) badOption('nothing constrains the parts', 'enable balance or give a capacity spec');
  const dims: string[] = [];
  for (let c = 0; c < nb; c++) dims.push(ncon === 1 ? 'weight' : `weight ${c + 1}`);
  for (let j = 0; j < dc; j++) dims.push(cap!.names[j]!);
  const w = new Float64Array(nv * d);
  for (let v = 0; v < nv; v++) {
    for (let c = 0; c < nb; c++) w[v * d + c] = vwgt ? vwgt[v * ncon + c]! : 1;
    for (let j = 0; j < dc; j++) w[v * d + nb + j] = cap!.perVertex[v * dc + j]!;
  }
  for (let i = 0; i < w.length; i++) {
    const x = w[i]!;
    if (!(x >= 0) || !Number.isFinite(x)) badOption(`vertex ${Math.floor(i / d)} has ${dims[i % d]} = ${x}`, 'weights and resources must be finite and non-negative');
  }
  const limits = new Float64Array(k * d);
  for (let c = 0; c < nb; c++) {
    let total = 0;
    for (let v = 0; v < nv; v++) total += w[v * d + c]!;
    const lim = (1 + eps) * Math.ceil(total / k);
    for (let p = 0; p < k; p++) limits[p * d + c] = lim;
  }
  for (let j = 0; j < dc; j++) {
    for (let p = 0; p < k; p++) {
      const x = cap!.limits.length === dc ? cap!.limits[j]! : cap!.limits[p * dc + j]!;
      if (!(x >= 0)) badOption(`the ${dims[nb + j]} limit of part ${p} is ${x}`, 'limits must be non-negative numbers');
      limits[p * d + nb + j] = x;
    }
  }
  checkFeasible(nv, k, d, dims, w, limits);
  return { dims, d, w, limits };
}

function checkFeasible(nv: number, k: number, d: number, dims: readonly string[], w: Float64Array, limits: Float64Array): void {
  for (let j = 0; j < d; j++) {
    let maxLimit = 0;
    let capSum = 0;
    for (let p = 0; p < k; p++) {
      maxLimit = Math.max(maxLimit, limits[p * d + j]!);
      capSum += limits[p * d + j]!;
    }
    let total = 0;
    let heaviest = 0;
    let heavy = -1;
    for (let v = 0; v < nv; v++) {
      const x = w[v * d + j]!;
      total += x;
      if (x > heaviest) (heaviest = x), (heavy = v);
    }
    if (heaviest > maxLimit) {
      fail(`vertex ${heavy} needs ${fmt(heaviest)} ${dims[j]}, more than any part's limit of ${fmt(maxLimit)}`, `split that neuron group or raise the ${dims[j]} limit`);
    }
    if (total > capSum * (1 + 1e-12)) {
      fail(`the vertices need ${fmt(total)} ${dims[j]} in total but ${k} parts hold at most ${fmt(capSum)}`, `use at least ${Math.ceil((total / capSum) * k)} parts or raise the ${dims[j]} limit`);
    }
  }
}
