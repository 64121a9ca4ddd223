/**
 * Upsample and Resize → Kiln's upsample2d, which scales H and W by integers: nearest picks
 * source floor(dst / s); bilinear uses half-pixel centres clamped at the border (PyTorch's
 * align_corners = false). An ONNX node maps only when its coordinate transformation and rounding
 * pick the same sources; that is checked position by position rather than assumed.
 */
import { Unsupported, type Builder } from './builder.ts';
import { Attrs } from './attrs.ts';
import type { Converter } from './convert-util.ts';
import type { OnnxNode } from './proto.ts';

type Coord = (o: number, scale: number, inLen: number, outLen: number) => number;

const COORDS: Readonly<Record<string, Coord>> = {
  half_pixel: (o, s) => (o + 0.5) / s - 0.5,
  pytorch_half_pixel: (o, s, _i, out) => (out > 1 ? (o + 0.5) / s - 0.5 : 0),
  align_corners: (o, _s, inLen, out) => (out === 1 ? 0 : (o * (inLen - 1)) / (out - 1)),
  asymmetric: (o, s) => o / s,
  tf_half_pixel_for_nn: (o, s) => (o + 0.5) / s,
};

const ROUND: Readonly<Record<string, (x: number) => number>> = {
  round_prefer_floor: (x) => (x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x)),
  round_prefer_ceil: (x) => (x - Math.floor(x) === 0.5 ? Math.ceil(x) : Math.round(x)),
  floor: Math.floor,
  ceil: Math.ceil,
};

function sameNearest(inLen: number, s: number, coord: Coord, round: (x: number) => number): boolean {
  for (let o = 0; o < inLen * s; o++) {
    const src = Math.min(inLen - 1, Math.max(0, round(coord(o, s, inLen, inLen * s))));
    if (src !== Math.floor(o / s)) return false;
  }
  return true;
}

function sameLinear(inLen: number, s: number, coord: Coord): boolean {
  for (let o = 0; o < inLen * s; o++) {
    if (Math.abs(coord(o, s, inLen, inLen * s) - ((o + 0.5) / s - 0.5)) > 1e-9) return false;
  }
  return true;
}

interface ResizeSpec { scales: number[]; mode: string; coord: string; nearest: string }

function emitUpsample(n: OnnxNode, b: Builder, spec: ResizeSpec): void {
  const x = b.data(n.inputs[0]!);
  const xs = x.type.shape;
  if (xs.length !== 4 || spec.scales.length !== 4) throw new Unsupported(`${n.opType} of a ${xs.length}-D tensor: Kiln's upsample2d scales NCHW images`);
  const [sn, sc, sh, sw] = spec.scales as [number, number, number, number];
  if (sn !== 1 || sc !== 1) throw new Unsupported(`${n.opType} scales batch or channels`);
  if (![sh, sw].every((s) => Number.isInteger(s) && s >= 1)) throw new Unsupported(`${n.opType} by [${sh}, ${sw}]: Kiln's upsample2d scales by whole numbers`);
  const coord = COORDS[spec.coord];
  if (!coord) throw new Unsupported(`${n.opType} coordinate_transformation_mode ${spec.coord} is not supported`);
  const axes: [number, number][] = [[xs[2]!, sh], [xs[3]!, sw]];
  let mode: 'nearest' | 'bilinear';
  if (spec.mode === 'nearest') {
    const round = ROUND[spec.nearest];
    if (!round || !axes.every(([len, s]) => sameNearest(len, s, coord, round))) {
      throw new Unsupported(`${n.opType} nearest with ${spec.coord} / ${spec.nearest} picks other pixels than Kiln's floor(dst / scale)`);
    }
    mode = 'nearest';
  } else if (spec.mode === 'linear' || spec.mode === 'bilinear') {
    if (!axes.every(([len, s]) => sameLinear(len, s, coord))) throw new Unsupported(`${n.opType} linear with ${spec.coord} coordinates differs from Kiln's half-pixel bilinear`);
    mode = 'bilinear';
  } else {
    throw new Unsupported(`${n.opType} mode ${spec.mode} is not supported (Kiln has nearest and bilinear)`);
  }
  b.bindValue(n.outputs[0]!, b.emit('upsample2d', [x], { scale: [sh, sw], mode }, n.outputs[0]!));
}

/** Upsample (opsets 7–9): asymmetric coordinates, nearest rounds down. */
function upsample(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('mode', 'scales', 'height_scale', 'width_scale');
  const scales = opset < 9 ? a.floats('scales') : [...b.constant(n.inputs[1]!, 'Upsample scales').values];
  if (!scales) throw new Unsupported('Upsample without scales');
  emitUpsample(n, b, { scales, mode: a.str('mode', 'nearest'), coord: 'asymmetric', nearest: 'floor' });
}

/** Resize: opset 10 behaves like Upsample; from 11 on, roi/scales/sizes inputs and coordinate modes. */
function resize(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'keep_aspect_ratio_policy', 'axes');
  if (a.int('antialias', 0) !== 0) throw new Unsupported('Resize with antialias');
  if (a.str('keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw new Unsupported('Resize keep_aspect_ratio_policy other than stretch');
  const mode = a.str('mode', 'nearest');
  if (opset < 11) {
    emitUpsample(n, b, { scales: [...b.constant(n.inputs[1]!, 'Resize scales').values], mode, coord: 'asymmetric', nearest: 'floor' });
    return;
  }
  const inShape = b.shape(n.inputs[0]!);
  let scales: number[] | undefined;
  if (n.inputs[2]) {
    const s = b.constant(n.inputs[2], 'Resize scales');
    if (s.values.length > 0) scales = [...s.values];
  }
  // Since opset 18 `axes` says which axes the scales or sizes are for; the others keep their size.
  const r = inShape.length;
  const axes = (a.ints('axes') ?? [...Array(r).keys()]).map((ax) => (ax < 0 ? ax + r : ax));
  const sizes = !scales && n.inputs[3] ? [...b.constant(n.inputs[3], 'Resize sizes').values] : undefined;
  const given = scales ?? sizes?.map((v, i) => v / inShape[axes[i]!]!);
  if (!given || given.length !== axes.length) throw new Unsupported('Resize without scales or sizes for its axes');
  scales = new Array<number>(r).fill(1);
  axes.forEach((ax, i) => { scales![ax] = given[i]!; });
  const coord = a.str('coordinate_transformation_mode', 'half_pixel');
  if (coord === 'tf_crop_and_resize') throw new Unsupported('Resize tf_crop_and_resize');
  emitUpsample(n, b, { scales, mode, coord, nearest: a.str('nearest_mode', 'round_prefer_floor') });
}

export const RESIZE_CONVERTERS: Record<string, Converter> = { Upsample: upsample, Resize: resize };
