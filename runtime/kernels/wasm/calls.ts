/**
 * Calls into the WebAssembly kernels, counted per kernel module. The WebAssembly kernels give the
 * JS loops' bits, so a test comparing the two paths passes even when the WebAssembly one never ran
 * (a size or shape rule that sends everything to JS), and an ES module's exports cannot be spied on
 * to tell. A wrapper counts its calls here, and tests read the count. One Map update a call is
 * noise beside the call's copies into the kernels' memory.
 */
const calls = new Map<string, number>();

export function countCall(kernel: string): void {
  calls.set(kernel, (calls.get(kernel) ?? 0) + 1);
}

/** Calls so far of one kernel module's wrappers (by its .wat name), or copies into `ResidentArrays` blocks ('resident-arrays', resident.ts; other resident blocks are not counted). */
export const wasmCalls = (kernel: string): number => calls.get(kernel) ?? 0;
