import { describe, expect, it } from 'vitest';
import { renderMappingSvg } from '../../../targets/neuromorphic/map-svg.ts';
import { MAX_LINKS } from '../../../targets/neuromorphic/map-svg/links.ts';
import { type CoreMapping, type CoreUse, formatAddress, type Mapping } from '../../../targets/neuromorphic/mapping.ts';

// ---- a small XML reader: rejects anything not well-formed, so every test also checks that ----

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

function decode(raw: string): string {
  const bad = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(raw);
  if (bad) throw new Error(`bare & at ${bad.index} in ${JSON.stringify(raw.slice(0, 60))}`);
  return raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

function parseXml(src: string): El {
  const body = src.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<!--[\s\S]*?-->|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const root: El = { name: '#doc', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  while (token.lastIndex < body.length) {
    const at = token.lastIndex;
    const m = token.exec(body);
    if (!m) throw new Error(`not well-formed at ${at}: ${JSON.stringify(body.slice(at, at + 60))}`);
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) {
      if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2] !== undefined) {
      const el: El = { name: m[2], attrs: {}, children: [], text: '' };
      for (const a of m[3]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"/g)) {
        if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
        el.attrs[a[1]!] = decode(a[2]!);
      }
      top.children.push(el);
      if (m[4] !== '/') stack.push(el);
    } else if (m[5] !== undefined) {
      if (top === root && m[5].trim() !== '') throw new Error('text outside the root');
      top.text += decode(m[5]);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('expected one root element');
  return root.children[0]!;
}

const all = (el: El, pred: (e: El) => boolean): El[] => [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => all(c, pred))];
const classes = (e: El) => (e.attrs.class ?? '').split(/\s+/);
const byClass = (root: El, c: string) => all(root, (e) => classes(e).includes(c));
const title = (e: El) => e.children.find((c) => c.name === 'title')?.text ?? '';
const n = (e: El, a: string) => Number(e.attrs[a]);

// ---- test mappings ----

interface CoreSpec {
  chip: number;
  tile: number;
  core: number;
  ranges: [string, number, number][];
  use?: Partial<CoreUse>;
}

const LIMITS: CoreUse = { neurons: 1024, input_axons: 4096, output_axons: 4096, synapse_words: 16384 };

function buildMapping(o: { chipMesh: [number, number]; tileMesh?: [number, number]; coresPerTile?: number; layers: [string, number][]; cores: CoreSpec[]; links?: [number, number, number][] }): Mapping {
  const tileMesh = o.tileMesh ?? [2, 2];
  const coresPerTile = o.coresPerTile ?? 4;
  const cores: CoreMapping[] = [...o.cores]
    .sort((a, b) => a.chip - b.chip || a.tile - b.tile || a.core - b.core)
    .map((c) => {
      const neurons = c.ranges.reduce((s, [, f, t]) => s + t - f, 0);
      return {
        address: formatAddress(c.chip, c.tile, c.core),
        chip: c.chip,
        tile: c.tile,
        core: c.core,
        use: { neurons, input_axons: 2 * neurons, output_axons: neurons, synapse_words: 8 * neurons, ...c.use },
        ranges: c.ranges.map(([layer, from, to]) => ({ layer, from, to })),
      };
    });
  return {
    format: 'kiln-mapping',
    version: 1,
    source: 'net.onnx',
    network: 'net',
    target: 'loihi-test',
    board: { chip_mesh: o.chipMesh, tile_mesh: tileMesh, cores_per_tile: coresPerTile, cores_per_chip: tileMesh[0] * tileMesh[1] * coresPerTile },
    limits: LIMITS,
    cores,
    layers: o.layers.map(([name, neurons]) => ({ name, neurons, cores: cores.filter((c) => c.ranges.some((r) => r.layer === name)).map((c) => c.address) })),
    chip_links: (o.links ?? []).map(([from, to, m]) => ({ from, to, messages_per_timestep: m })),
  };
}

/** Layers laid out one after another, `perCore` neurons a core, never sharing a core, from chip `start` on. */
function sequential(layers: [string, number][], perCore: number, coresPerChip: number, coresPerTile: number, start = 0): CoreSpec[] {
  const out: CoreSpec[] = [];
  let slot = start * coresPerChip;
  for (const [name, neurons] of layers) {
    for (let from = 0; from < neurons; from += perCore, slot++) {
      const r = slot % coresPerChip;
      out.push({ chip: Math.floor(slot / coresPerChip), tile: Math.floor(r / coresPerTile), core: r % coresPerTile, ranges: [[name, from, Math.min(neurons, from + perCore)]] });
    }
  }
  return out;
}

const small = () =>
  buildMapping({
    chipMesh: [2, 1],
    layers: [['A', 3000], ['B', 2000], ['C', 500]],
    cores: sequential([['A', 3000], ['B', 2000], ['C', 500]], 1000, 16, 4),
    links: [[0, 1, 40]],
  });

const coreEls = (svg: El) => byClass(svg, 'core');
const fillOf = (core: El) => core.attrs.fill ?? '';

describe('renderMappingSvg', () => {
  it('writes a well-formed, self-contained SVG 1.1 document', () => {
    const text = renderMappingSvg(small());
    const svg = parseXml(text);
    expect(svg.name).toBe('svg');
    expect(svg.attrs.version).toBe('1.1');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg.attrs.viewBox).toBe(`0 0 ${svg.attrs.width} ${svg.attrs.height}`);
    expect(all(svg, (e) => ['script', 'image', 'foreignObject', 'style', 'use'].includes(e.name))).toEqual([]);
    expect(all(svg, (e) => Object.keys(e.attrs).some((a) => /href$/.test(a)))).toEqual([]);
    for (const m of text.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
    const ids = all(svg, (e) => e.attrs.id !== undefined).map((e) => e.attrs.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws one core per used core, at its tile and core position, coloured by its layer', () => {
    const m = small();
    const svg = parseXml(renderMappingSvg(m));
    const cores = coreEls(svg);
    expect(cores.map((c) => c.attrs.id)).toEqual(m.cores.map((c) => `core-${c.address}`));
    const fills = new Map<string, Set<string>>();
    m.cores.forEach((c, i) => {
      const layer = c.ranges[0]!.layer;
      fills.set(layer, (fills.get(layer) ?? new Set()).add(fillOf(cores[i]!)));
    });
    // Each layer one colour, every layer a different one, matching its legend swatch.
    expect([...fills.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    const colours = [...fills.values()].map((s) => [...s][0]!);
    expect(new Set(colours).size).toBe(3);
    for (const entry of byClass(svg, 'legend-layer')) {
      const swatch = all(entry, (e) => classes(e).includes('legend-swatch'))[0]!;
      expect([...fills.get(title(entry))!][0]).toBe(swatch.attrs.fill);
    }
  });

  it('places each core at its chip, tile and core position', () => {
    const spots: [number, number, number][] = [[0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 1, 0], [0, 2, 0], [0, 3, 3], [1, 0, 0]];
    const m = buildMapping({ chipMesh: [2, 1], layers: [['A', 70]], cores: spots.map(([chip, tile, core], i) => ({ chip, tile, core, ranges: [['A', 10 * i, 10 * i + 10]] })) });
    const cores = coreEls(parseXml(renderMappingSvg(m)));
    const at = (addr: string) => cores.find((c) => c.attrs.id === `core-${addr}`)!;
    // Tile 1 is right of tile 0, tile 2 below it; core 1 right of core 0, core 2 below; chip 1 right of chip 0.
    expect(n(at('0.0.1.0'), 'x')).toBeGreaterThan(n(at('0.0.0.1'), 'x'));
    expect(n(at('0.0.2.0'), 'y')).toBeGreaterThan(n(at('0.0.0.2'), 'y'));
    expect(n(at('0.0.2.0'), 'x')).toBe(n(at('0.0.0.0'), 'x'));
    expect(n(at('0.0.0.1'), 'x')).toBeGreaterThan(n(at('0.0.0.0'), 'x'));
    expect(n(at('0.0.0.2'), 'y')).toBeGreaterThan(n(at('0.0.0.0'), 'y'));
    expect(n(at('0.1.0.0'), 'x')).toBeGreaterThan(n(at('0.0.3.3'), 'x'));
  });

  it('gives layers their colours by their order in the layer list', () => {
    const m = small();
    const swapped = { ...m, layers: [m.layers[1]!, m.layers[0]!, m.layers[2]!] };
    const fillA = (x: Mapping) => fillOf(coreEls(parseXml(renderMappingSvg(x))).find((c) => c.attrs.id === 'core-0.0.0.0')!);
    const fillB = (x: Mapping) => fillOf(coreEls(parseXml(renderMappingSvg(x))).find((c) => c.attrs.id === 'core-0.0.0.3')!);
    expect(fillA(m)).not.toBe(fillB(m));
    expect(fillA(swapped)).toBe(fillB(m));
    expect(fillB(swapped)).toBe(fillA(m));
  });

  it('splits a core holding several layers into stripes proportional to their neurons', () => {
    const m = buildMapping({
      chipMesh: [1, 1],
      layers: [['A', 300], ['B', 100], ['C', 50]],
      cores: [
        { chip: 0, tile: 0, core: 0, ranges: [['B', 0, 100], ['A', 0, 300]] },
        { chip: 0, tile: 0, core: 1, ranges: [['C', 0, 50]] },
      ],
    });
    const svg = parseXml(renderMappingSvg(m));
    const [shared, single] = coreEls(svg);
    expect(shared!.name).toBe('g');
    const stripes = byClass(shared!, 'stripe');
    expect(stripes).toHaveLength(2);
    const [wa, wb] = stripes.map((s) => n(s, 'width'));
    expect(wa! / wb!).toBeCloseTo(3, 1);
    expect(wa! + wb!).toBeCloseTo(n(single!, 'width'), 5);
    expect(stripes[0]!.attrs.fill).not.toBe(stripes[1]!.attrs.fill);
    expect(title(shared!)).toContain('A: 300 neurons [0, 300)');
    expect(title(shared!)).toContain('B: 100 neurons [0, 100)');
  });

  it('puts each core\'s address, ranges and use of every limit in its tooltip, and flags overuse', () => {
    const m = buildMapping({
      chipMesh: [1, 1],
      layers: [['A', 1536]],
      cores: [
        { chip: 0, tile: 3, core: 2, ranges: [['A', 0, 512]], use: { input_axons: 1024, output_axons: 41 } },
        { chip: 0, tile: 3, core: 3, ranges: [['A', 512, 1536]], use: { synapse_words: 20000 } },
      ],
    });
    const [ok, over] = coreEls(parseXml(renderMappingSvg(m)));
    const tip = title(ok!);
    expect(tip).toContain('0.0.3.2');
    expect(tip).toContain('A: 512 neurons [0, 512)');
    expect(tip).toContain('neurons 512/1,024 (50%)');
    expect(tip).toContain('input axons 1,024/4,096 (25%)');
    expect(tip).toContain('output axons 41/4,096 (1.0%)');
    expect(tip).toContain('synapse words 4,096/16,384 (25%)');
    expect(tip).not.toContain('OVER');
    expect(ok!.attrs.stroke).toBeUndefined();
    expect(title(over!)).toContain('synapse words 20,000/16,384 (122%)');
    expect(title(over!)).toContain('OVER LIMIT: synapse words');
    expect(over!.attrs.stroke).toBeDefined();
  });

  it('draws one arrow per chip link, wider for more messages, and labels the busiest', () => {
    const links: [number, number, number][] = [[0, 1, 50], [1, 0, 5], [0, 3, 500], [4, 5, 5000], [2, 5, 1]];
    const m = buildMapping({ chipMesh: [3, 2], layers: [['A', 6000]], cores: sequential([['A', 6000]], 1000, 16, 4), links });
    const svg = parseXml(renderMappingSvg(m));
    const drawn = byClass(svg, 'link');
    expect(drawn).toHaveLength(links.length);
    const widthOf = (from: number, to: number) => {
      const g = drawn.find((d) => title(d).startsWith(`chip ${from} → chip ${to}:`))!;
      return n(g.children.find((c) => c.name === 'line')!, 'stroke-width');
    };
    const byMessages = [...links].sort((a, b) => a[2] - b[2]).map(([f, t]) => widthOf(f, t));
    for (let i = 1; i < byMessages.length; i++) expect(byMessages[i]!).toBeGreaterThan(byMessages[i - 1]!);
    expect(title(drawn.find((d) => title(d).startsWith('chip 4 → chip 5'))!)).toBe('chip 4 → chip 5: 5,000 messages/time step');
    expect(byClass(svg, 'link-label').flatMap((g) => g.children.map((t) => t.text))).toContain('5,000 msg/step');

    // Arrows point from sender to receiver, and 0→1 and 1→0 do not overlap.
    const line = (from: number, to: number) => drawn.find((d) => title(d).startsWith(`chip ${from} → chip ${to}:`))!.children.find((c) => c.name === 'line')!;
    expect(n(line(0, 1), 'x2')).toBeGreaterThan(n(line(0, 1), 'x1'));
    expect(n(line(1, 0), 'x2')).toBeLessThan(n(line(1, 0), 'x1'));
    expect(n(line(0, 1), 'y1')).not.toBe(n(line(1, 0), 'y1'));
    expect(n(line(0, 3), 'y2')).toBeGreaterThan(n(line(0, 3), 'y1'));
  });

  it('escapes layer names and titles', () => {
    const nasty = `<script>alert("x") & 'y'</script>\u0001`;
    const m = buildMapping({ chipMesh: [1, 1], layers: [[nasty, 10]], cores: [{ chip: 0, tile: 0, core: 0, ranges: [[nasty, 0, 10]] }] });
    const text = renderMappingSvg(m, { title: 'T <&> "q"' });
    expect(text).not.toContain('<script');
    const svg = parseXml(text);
    expect(all(svg, (e) => e.name === 'script')).toEqual([]);
    expect(byClass(svg, 'title')[0]!.text).toBe('T <&> "q"');
    const shown = nasty.replace('\u0001', '\uFFFD');
    expect(title(byClass(svg, 'legend-layer')[0]!)).toBe(shown);
    expect(title(coreEls(svg)[0]!)).toContain(`${shown}: 10 neurons [0, 10)`);
  });

  it('draws every chip of the mesh at its position, greying the unused ones', () => {
    const m = buildMapping({
      chipMesh: [3, 2],
      layers: [['A', 100]],
      cores: [
        { chip: 0, tile: 0, core: 0, ranges: [['A', 0, 50]] },
        { chip: 4, tile: 1, core: 0, ranges: [['A', 50, 100]] },
      ],
    });
    const svg = parseXml(renderMappingSvg(m));
    const chips = byClass(svg, 'chip');
    expect(chips.map((c) => c.attrs.id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `chip-${i}`));
    expect(chips.map((c) => classes(c).includes('used'))).toEqual([true, false, false, false, true, false]);
    const frame = (i: number) => byClass(chips[i]!, 'chip-frame')[0]!;
    const grey = (hex: string) => hex.length === 7 && hex.slice(1, 3) === hex.slice(3, 5) && hex.slice(3, 5) === hex.slice(5, 7) && hex !== '#ffffff';
    for (const i of [1, 2, 3, 5]) {
      expect(grey(frame(i).attrs.fill!)).toBe(true);
      expect(byClass(chips[i]!, 'core')).toEqual([]);
      expect(title(frame(i))).toContain('unused');
    }
    expect(frame(0).attrs.fill).not.toBe(frame(1).attrs.fill);
    // x = chip % 3, y = floor(chip / 3)
    expect(n(frame(1), 'x')).toBeGreaterThan(n(frame(0), 'x'));
    expect(n(frame(2), 'x')).toBeGreaterThan(n(frame(1), 'x'));
    expect(n(frame(3), 'x')).toBe(n(frame(0), 'x'));
    expect(n(frame(3), 'y')).toBeGreaterThan(n(frame(0), 'y'));
    expect(n(frame(4), 'x')).toBe(n(frame(1), 'x'));
  });

  it('states the totals in the caption and the per-layer counts in the legend', () => {
    const m = buildMapping({ chipMesh: [3, 2], layers: [['A', 6000], ['B', 700]], cores: sequential([['A', 6000], ['B', 700]], 1000, 16, 4), links: [[0, 1, 1200], [1, 0, 34]] });
    const svg = parseXml(renderMappingSvg(m));
    const used = new Set(m.cores.map((c) => c.chip)).size;
    expect(byClass(svg, 'caption')[0]!.text).toBe(`${used}/6 chips used · ${m.cores.length}/96 cores used · 1,234 inter-chip messages/time step on 2 links`);
    const legend = byClass(svg, 'legend-layer').map((e) => e.children.find((c) => c.name === 'text')!.text);
    expect(legend).toEqual(['A: 6,000 neurons, 6 cores', 'B: 700 neurons, 1 core']);
  });

  it('draws an empty board, and reports what it cannot place instead of failing', () => {
    const empty = parseXml(renderMappingSvg(buildMapping({ chipMesh: [2, 2], layers: [], cores: [] })));
    expect(byClass(empty, 'chip').filter((c) => classes(c).includes('unused'))).toHaveLength(4);
    expect(byClass(empty, 'caption')[0]!.text).toBe('0/4 chips used · 0/64 cores used · 0 inter-chip messages/time step on 0 links');

    const m = buildMapping({
      chipMesh: [2, 1],
      layers: [['A', 30]],
      cores: [
        { chip: 0, tile: 0, core: 0, ranges: [['A', 0, 10]] },
        { chip: 0, tile: 9, core: 0, ranges: [['A', 10, 20]] },
        { chip: 5, tile: 0, core: 0, ranges: [['A', 20, 30]] },
      ],
      links: [[0, 1, 10], [0, 0, 99], [0, 7, 5]],
    });
    const svg = parseXml(renderMappingSvg(m));
    expect(coreEls(svg)).toHaveLength(1);
    expect(byClass(svg, 'link')).toHaveLength(1);
    const notes = byClass(svg, 'note').map((e) => e.text);
    expect(notes).toContain('2 cores lie outside the 2×1 chip mesh or its tiles and are not drawn');
    expect(notes.join('\n')).toContain('1 of 3 links drawn');
  });

  it('is deterministic', () => {
    const m = small();
    const a = renderMappingSvg(m);
    expect(renderMappingSvg(structuredClone(m))).toBe(a);
    expect(renderMappingSvg(m)).toBe(a);
  });

  it('keeps a full 32-chip board of 128-core chips readable and under 2 MB', () => {
    const layers: [string, number][] = Array.from({ length: 24 }, (_, i) => [`block${i}/conv`, 1024 * (120 + ((i * 37) % 100))]);
    const total = layers.reduce((s, [, k]) => s + k, 0);
    layers.push(['head', 4096 * 1024 - total]);
    const links: [number, number, number][] = [];
    for (let c = 0; c < 32; c++) for (const d of [1, 8]) if (c + d < 32) links.push([c, c + d, 100 * (c + 1)], [c + d, c, 7 * (c + 1)]);
    const m = buildMapping({ chipMesh: [8, 4], tileMesh: [8, 4], coresPerTile: 4, layers, cores: sequential(layers, 1024, 128, 4), links });
    expect(m.cores).toHaveLength(4096);
    const text = renderMappingSvg(m);
    expect(text.length).toBeLessThan(2_000_000);
    const svg = parseXml(text);
    expect(coreEls(svg)).toHaveLength(4096);
    expect(byClass(svg, 'link')).toHaveLength(links.length);
    expect(new Set(byClass(svg, 'legend-swatch').slice(0, layers.length).map((s) => s.attrs.fill)).size).toBe(layers.length);
    // Cores stay big enough to see and hover.
    expect(n(coreEls(svg)[0]!, 'width')).toBeGreaterThanOrEqual(4);
  });

  it('falls back to one square per chip, coloured by its largest layer, on a 768-chip board', () => {
    const layers: [string, number][] = [['in', 300_000], ['hidden', 9_000_000], ['out', 1_000_000]];
    const cores = sequential(layers, 1000, 128, 4);
    const links: [number, number, number][] = [];
    for (let i = 0; i < 3000; i++) links.push([i % 768, (i * 7 + 1) % 768, (i % 97) + 1]);
    const m = buildMapping({ chipMesh: [32, 24], tileMesh: [8, 4], coresPerTile: 4, layers, cores, links });
    const text = renderMappingSvg(m);
    expect(text.length).toBeLessThan(1_000_000);
    const svg = parseXml(text);
    expect(coreEls(svg)).toEqual([]);
    const chips = byClass(svg, 'chip');
    expect(chips).toHaveLength(768);
    const neuronsOn = new Map<number, Map<string, number>>();
    for (const c of m.cores) {
      const per = neuronsOn.get(c.chip) ?? new Map<string, number>();
      for (const r of c.ranges) per.set(r.layer, (per.get(r.layer) ?? 0) + r.to - r.from);
      neuronsOn.set(c.chip, per);
    }
    const colourOf = new Map(byClass(svg, 'legend-layer').map((e) => [title(e), byClass(e, 'legend-swatch')[0]!.attrs.fill]));
    for (const chip of chips) {
      const id = Number(chip.attrs.id!.slice('chip-'.length));
      const per = neuronsOn.get(id);
      if (!per) {
        expect(classes(chip)).toContain('unused');
        continue;
      }
      const dominant = [...per].sort((a, b) => b[1] - a[1])[0]![0];
      expect(chip.attrs.fill).toBe(colourOf.get(dominant));
    }
    // Chip 2 holds 44 cores of "in" and 84 of "hidden".
    expect(chips[2]!.attrs.fill).toBe(colourOf.get('hidden'));
    expect(chips[0]!.attrs.fill).toBe(colourOf.get('in'));
    expect(chips.filter((c) => classes(c).includes('unused')).length).toBe(768 - neuronsOn.size);
    expect(byClass(svg, 'link')).toHaveLength(Math.min(MAX_LINKS, links.length));
    expect(byClass(svg, 'note').map((e) => e.text).join('\n')).toContain(`${MAX_LINKS.toLocaleString('en-US')} of 3,000 links drawn`);
  });

  it('can be asked for the compact view of a small board', () => {
    const m = buildMapping({
      chipMesh: [2, 1],
      layers: [['A', 400], ['B', 300]],
      cores: [
        { chip: 0, tile: 0, core: 0, ranges: [['A', 0, 100]] },
        { chip: 0, tile: 0, core: 1, ranges: [['B', 0, 300]] },
        { chip: 1, tile: 0, core: 0, ranges: [['A', 100, 400]] },
      ],
    });
    const detailed = parseXml(renderMappingSvg(m));
    const compact = parseXml(renderMappingSvg(m, { view: 'chips' }));
    const fill = (svg: El, layer: string) => byClass(svg, 'legend-layer').find((e) => title(e) === layer)!.children.find((c) => c.name === 'rect')!.attrs.fill;
    const chips = byClass(compact, 'chip');
    expect(chips.map((c) => c.attrs.fill)).toEqual([fill(compact, 'B'), fill(compact, 'A')]);
    expect(title(chips[0]!)).toContain('cores 2/16 (13%), 400 neurons\nA: 100 neurons on 1 core\nB: 300 neurons on 1 core');
    expect(coreEls(compact)).toEqual([]);
    expect(coreEls(detailed)).toHaveLength(3);
  });
});
