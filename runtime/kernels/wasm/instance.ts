/**
 * Loader for the WebAssembly SIMD kernels: the KILN_KERNELS switch, one WebAssembly.Memory that
 * every kernel module imports (so modules can hand each other operands without copies), and a
 * scratch allocator in it.
 *
 * Modules are instantiated synchronously (WebAssembly.Module on the decoded bytes): the kernels are
 * a few KiB, which Node and browsers compile on the calling thread, and the kernels' callers are
 * synchronous. The bytes come from the generated <name>.wasm.ts files (scripts/build-wasm.js).
 *
 * Scratch is a stack: allocate inside withScratch(body), which gives back what body took however it
 * ends (scratchMark / scratchRelease remain for tests and benches that check scratch comes back). Growing the memory detaches every Float32Array view of it, so code never keeps a view
 * across an allocation or a kernel call: it keeps the byte address and asks for a fresh view
 * (f32At, or WasmF32.view, which re-creates its view only when the memory has grown).
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';

export const KERNEL_BACKENDS = ['wasm', 'js'] as const;
export type KernelBackend = (typeof KERNEL_BACKENDS)[number];

/**
 * Below this many values an elementwise or copy kernel (ReLU, batch norm's rows, dropout's mask,
 * the submatrix cut) is left to JavaScript. Such kernels all do a few operations a value and pay
 * the same two copies a value into and out of the kernels' memory, so the size at which the saved
 * per-value cost (a branch, a closure call) outweighs the fixed cost of a call and its copies is
 * about the same for all of them: the size was set for ReLU, and the others share it. (Quantizing
 * keeps its own 256, measured on its own: its loop does more a value; wasm/quantize.ts.)
 */
export const WASM_ELEMENTWISE_MIN = 1024;

const PAGE = 65536;
/** wasm32's limit: 4 GiB. */
const MAX_PAGES = 65536;

let chosen: KernelBackend | undefined;

/** Reads KILN_KERNELS (unset or empty = wasm, the default wherever WebAssembly SIMD exists). */
export function parseKernelBackend(value: string | undefined): KernelBackend {
  if (value === undefined || value === '') return simdAvailable() ? 'wasm' : 'js';
  if ((KERNEL_BACKENDS as readonly string[]).includes(value)) {
    if (value === 'wasm' && !simdAvailable()) {
      throw new KilnError(error('kernel-backend', 'KILN_KERNELS=wasm, but this JavaScript engine has no WebAssembly SIMD',
        undefined, 'use KILN_KERNELS=js (the plain JavaScript kernels) or Node 20 or later'));
    }
    return value as KernelBackend;
  }
  throw new KilnError(error('kernel-backend', `KILN_KERNELS=${value} is not a kernel backend`,
    undefined, `use one of: ${KERNEL_BACKENDS.join(', ')} (wasm is the default; js is the plain JavaScript reference)`));
}

/** The backend in use: KILN_KERNELS on first use, or what setKernelBackend chose. */
export function kernelBackend(): KernelBackend {
  chosen ??= parseKernelBackend(globalThis.process?.env?.KILN_KERNELS);
  return chosen;
}

export const useWasmKernels = (): boolean => kernelBackend() === 'wasm';

/** Switch backends at run time (tests, benchmarks); undefined goes back to KILN_KERNELS. */
export function setKernelBackend(b: KernelBackend | undefined): void {
  chosen = b === undefined ? undefined : parseKernelBackend(b);
}

let simd: boolean | undefined;

function simdAvailable(): boolean {
  // The smallest module using a v128 (a function returning v128.const 0): it validates exactly
  // where the SIMD proposal is implemented.
  simd ??= typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0,
    253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]));
  return simd === true;
}

const V128_ZERO = [253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const RELAXED_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 253, 133, 2, 11];

let relaxed: boolean | undefined;

/**
 * Does this engine run relaxed SIMD (f32x4.relaxed_madd)? Node 20's V8 (11.3) implements it behind
 * --experimental-wasm-relaxed-simd (V8 11.4, Chrome 114 and Node 22 ship it): the flag is turned on
 * here before the first relaxed module is compiled, as V8 reads it at validation. The check is a
 * module whose one function is `f32x4.relaxed_madd` of three zero vectors.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed === undefined) {
    // node:v8 where the engine is V8 under Node (≥ 20.16, for process.getBuiltinModule).
    const proc = globalThis.process as { getBuiltinModule?: (id: string) => unknown } | undefined;
    const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString(flags: string): void } | undefined;
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxed = simdAvailable() && WebAssembly.validate(new Uint8Array(RELAXED_PROBE));
  }
  return relaxed;
}

const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
const instances = new Map<string, WebAssembly.Exports>();

/**
 * The exports of a kernel module (instantiated once, importing the shared memory as env.memory and
 * whatever other modules' functions `imports` adds).
 */
export function wasmExports<T>(name: string, base64: string, imports: Record<string, Record<string, unknown>> = {}): T {
  let ex = instances.get(name);
  if (!ex) {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { ...imports, env: { memory } }).exports;
    instances.set(name, ex);
  }
  return ex as T;
}

/** Current size of the kernels' memory, in bytes. */
export const wasmMemoryBytes = (): number => memory.buffer.byteLength;

/** Is this array a view of the kernels' memory (so a kernel can use it in place)? */
export const inWasmMemory = (arr: ArrayBufferView): boolean => arr.buffer === memory.buffer;

// Address 0 stays unused, so a zero address is never a live allocation.
let top = 16;

export const scratchMark = (): number => top;

export function scratchRelease(mark: number): void {
  top = mark;
}

/** Run `body` with scratch that is released when it returns or throws. */
export function withScratch<T>(body: () => T): T {
  const mark = top;
  try { return body(); } finally { top = mark; }
}

/** `bytes` of scratch, 16-byte aligned (a v128 load never straddles a cache line needlessly). */
export function scratchAlloc(bytes: number): number {
  let at = (top + 15) & ~15;
  // Resident blocks (below) are holes the stack steps over; sorted by address, one pass suffices.
  for (const b of blocks) if (b.at < at + bytes && b.end > at) at = b.end;
  const end = at + bytes;
  ensureBytes(end);
  top = end;
  return at;
}

/** Grow the memory to at least `end` bytes. */
function ensureBytes(end: number): void {
  const have = memory.buffer.byteLength;
  if (end > have) {
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new KilnError(error('kernel-memory', `the WebAssembly kernels need ${Math.ceil(end / 2 ** 20)} MiB, more than WebAssembly's 4 GiB`,
        undefined, 'use a smaller minibatch, or KILN_KERNELS=js'));
    }
    memory.grow(pages);
  }
}

/**
 * Resident blocks: memory that outlives scratch marks (a layer's packed weights, kept across calls
 * so a call copies only its activations in). A block is placed above the live scratch and above
 * every other block, or in a freed block it fits; scratch never allocates over one, live or free,
 * since a free block may be handed out again while scratch below it is live. Freed neighbours
 * merge and free blocks at the end are dropped, so freeing and re-allocating stays bounded.
 */
interface Block { at: number; end: number; live: boolean }
const blocks: Block[] = [];

/** `bytes` of resident memory, 16-byte aligned; give it back with residentFree. */
export function residentAlloc(bytes: number): number {
  const size = Math.max(16, (bytes + 15) & ~15);
  const i = blocks.findIndex((b) => !b.live && b.end - b.at >= size);
  if (i >= 0) {
    const b = blocks[i]!;
    if (b.end - b.at > size) blocks.splice(i + 1, 0, { at: b.at + size, end: b.end, live: false });
    b.end = b.at + size;
    b.live = true;
    return b.at;
  }
  const at = (Math.max(top, blocks.at(-1)?.end ?? 0) + 15) & ~15;
  ensureBytes(at + size);
  blocks.push({ at, end: at + size, live: true });
  return at;
}

export function residentFree(at: number): void {
  const i = blocks.findIndex((b) => b.at === at && b.live);
  if (i < 0) throw new Error(`residentFree(${at}): no live resident block there`);
  blocks[i]!.live = false;
  for (let j = blocks.length - 2; j >= 0; j--) {
    const a = blocks[j]!, b = blocks[j + 1]!;
    if (!a.live && !b.live && a.end === b.at) { a.end = b.end; blocks.splice(j + 1, 1); }
  }
  // Blocks placed above live scratch leave gaps that keep free neighbours from merging: every
  // free block at the end goes, not just the last, or a freed layer would count as held forever.
  while (blocks.length && !blocks.at(-1)!.live) blocks.pop();
}

/** Bytes held by resident blocks, live and free (tests: freeing and re-packing stay bounded). */
export const residentBytes = (): number => blocks.reduce((s, b) => s + b.end - b.at, 0);

/** A fresh view of `length` floats at byte address `at`. */
export const f32At = (at: number, length: number): Float32Array => new Float32Array(memory.buffer, at, length);

/**
 * The first n of each of m rows at `at`, `ld` apart (kernels pad rows to an even count), into
 * `out`, in one copy when no column was padded.
 */
export function copyRows<T extends Int32Array | Float32Array>(m: number, n: number, at: number, view: (at: number, len: number) => T, out: T, ld = (n + 1) & ~1): T {
  const c = view(at, m * ld);
  if (ld === n) out.set(c);
  else for (let i = 0; i < m; i++) out.set(c.subarray(i * ld, i * ld + n), i * n);
  return out;
}

/** Fresh integer views at byte address `at` (the integer kernels' operands). */
export const i8At = (at: number, length: number): Int8Array => new Int8Array(memory.buffer, at, length);
export const i16At = (at: number, length: number): Int16Array => new Int16Array(memory.buffer, at, length);
export const i32At = (at: number, length: number): Int32Array => new Int32Array(memory.buffer, at, length);
export const u8At = (at: number, length: number): Uint8Array => new Uint8Array(memory.buffer, at, length);
export const f64At = (at: number, length: number): Float64Array => new Float64Array(memory.buffer, at, length);

/** Scratch floats with a view that survives memory growth. */
export class WasmF32 {
  private cached: Float32Array;
  constructor(readonly length: number, readonly at = scratchAlloc(4 * length)) {
    this.cached = f32At(at, length);
  }

  get view(): Float32Array {
    if (this.cached.buffer !== memory.buffer) this.cached = f32At(this.at, this.length);
    return this.cached;
  }
}

/**
 * Growing the memory detaches every view of it: such a view reads as empty, so a copy of it would
 * hand the kernel whatever the scratch held before, with no error. A detached view is always a
 * Kiln bug (a view kept across an allocation), hence a plain Error. An empty ArrayBuffer also has
 * byteLength 0, so Node 20, which lacks ArrayBuffer.prototype.detached, is asked by slice, which
 * throws on a detached buffer only.
 */
export function refuseDetached(x: ArrayBufferView, what: string): void {
  if (x.buffer.byteLength !== 0) return;
  try {
    x.buffer.slice(0, 0);
  } catch {
    throw new Error(`${what} is a view of the kernels' memory that its growth detached: take views afresh after every allocation or kernel call`);
  }
}

/**
 * Is [at, at + bytes) memory a caller still holds: scratch below the current mark that steps over
 * no resident block, or part of one live resident block? Only such an operand may be read in
 * place: scratch past the mark (released) and freed blocks are handed out again by the next
 * allocation, perhaps the reading kernel's own, which would overwrite the operand mid-read.
 */
export function liveRegion(at: number, bytes: number): boolean {
  const end = at + bytes;
  for (const b of blocks) if (b.at < end && b.end > at) return b.live && b.at <= at && end <= b.end;
  return at >= 16 && end <= top;
}

/** Copy `src` into new scratch and return its address. */
export function copyIn(src: Float32Array): number {
  refuseDetached(src, 'copyIn: the source');
  const at = scratchAlloc(4 * src.length);
  f32At(at, src.length).set(src);
  return at;
}

/** Copy the first `len` values of an integer array into new scratch, as they are; returns its address. */
export function copyInInts(x: Int8Array | Int16Array | Int32Array, len = x.length): number {
  refuseDetached(x, 'copyInInts: the source');
  const at = scratchAlloc(len * x.BYTES_PER_ELEMENT);
  const view = x instanceof Int8Array ? i8At(at, len) : x instanceof Int16Array ? i16At(at, len) : i32At(at, len);
  view.set(x.subarray(0, len));
  return at;
}

/**
 * A float buffer for operands of the GEMM: scratch in the kernels' memory when `inWasm` (the
 * WebAssembly GEMM then reads and writes it in place; released with the scratch around it), else an
 * ordinary Float32Array. Read `.view` afresh after every kernel call.
 */
export interface FloatBuffer { readonly view: Float32Array }

export function floatBuffer(length: number, inWasm: boolean): FloatBuffer {
  return inWasm ? new WasmF32(length) : { view: new Float32Array(length) };
}
