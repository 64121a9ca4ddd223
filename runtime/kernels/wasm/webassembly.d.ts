/**
 * The part of the WebAssembly JS API the kernel loader uses. TypeScript declares it only in its DOM
 * library and @types/node 20 not at all; this project compiles with neither, and Node 20 and every
 * browser provide these at run time.
 */
declare namespace WebAssembly {
  type Exports = Record<string, unknown>;
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Exports;
  }
  function validate(bytes: Uint8Array): boolean;
}
