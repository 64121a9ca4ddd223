/**
 * The report's Vega-Lite charts. Each builder returns undefined when its data has nothing to draw
 * (e.g. no target gives per-layer latency), so the page leaves the chart out rather than showing
 * empty axes.
 */
import type { TopLevelSpec } from 'vega-lite';
import { succeeded, type EstimateJson, type ExploreRow } from './report-data.ts';

const WIDTH = 560;

/** Accuracy against energy per inference; energy spans decades across targets, hence the log axis. */
export function paretoSpec(rows: readonly ExploreRow[]): TopLevelSpec | undefined {
  const values = rows.filter((r) => r.energy_j !== null && r.energy_j > 0 && Number.isFinite(r.accuracy));
  if (values.length === 0) return undefined;
  return {
    title: 'Accuracy vs energy per inference',
    width: WIDTH,
    height: 320,
    data: { values: values.map((r) => ({ ...r })) },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: 'energy_j', type: 'quantitative', scale: { type: 'log' }, title: 'energy per inference (J, log scale)' },
      y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
      color: { field: 'target', type: 'nominal', title: 'target', legend: { labelLimit: 0 } },
      shape: { field: 'pareto', type: 'nominal', title: 'on the Pareto front' },
      tooltip: [{ field: 'variant' }, { field: 'target' }, { field: 'accuracy' }, { field: 'energy_j' }],
    },
  };
}

/** Each layer's energy split by the target's own breakdown categories (compute, SRAM, DRAM, network, static …). */
export function energySpec(est: EstimateJson): TopLevelSpec | undefined {
  const values = est.results.filter(succeeded).flatMap((r) =>
    r.layers.flatMap((l, i) => Object.entries(l.breakdown_j).map(([component, j]) => ({ target: r.target, layer: l.name, order: i, component, energy_j: j }))),
  );
  if (values.length === 0) return undefined;
  // Targets name up to a dozen components between them; the default ten colours would repeat.
  return perLayerBars('Energy per layer by component (whole batch)', values, { field: 'energy_j', type: 'quantitative', aggregate: 'sum', title: 'energy (J)' }, {
    field: 'component', type: 'nominal', title: 'component', scale: { scheme: 'category20' }, legend: { labelLimit: 0 },
  });
}

/**
 * Each layer's latency. CPU and array layers report cycles; at the target's clock (the summary's
 * latency over its cycles) that is seconds. Neuromorphic layers run concurrently within a time
 * step and report no latency of their own, so those targets are left out of this chart.
 */
export function latencySpec(est: EstimateJson): TopLevelSpec | undefined {
  const values = est.results.filter(succeeded).flatMap((r) => {
    const secondsPerCycle = r.summary.cycles ? r.summary.latency_s / r.summary.cycles : undefined;
    return r.layers.flatMap((l, i) => {
      const s = l.latency_s ?? (l.cycles !== undefined && secondsPerCycle !== undefined ? l.cycles * secondsPerCycle : undefined);
      return s === undefined ? [] : [{ target: r.target, layer: l.name, order: i, latency_s: s }];
    });
  });
  if (values.length === 0) return undefined;
  return perLayerBars('Latency per layer (whole batch)', values, { field: 'latency_s', type: 'quantitative', title: 'latency (s)' }, { field: 'target', type: 'nominal', legend: null });
}

/** Horizontal bars, one per layer in network order, one panel per target (each with its own scale). */
function perLayerBars(title: string, values: object[], x: Record<string, unknown>, color: Record<string, unknown>): TopLevelSpec {
  return {
    title,
    data: { values },
    facet: { row: { field: 'target', type: 'nominal', title: null } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: { width: WIDTH, mark: 'bar', encoding: { y: { field: 'layer', type: 'nominal', sort: { field: 'order' }, title: null }, x, color } },
  } as TopLevelSpec;
}
