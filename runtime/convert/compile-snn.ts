/**
 * The generated spiking network's text compiled back, with the converted weights copied into the
 * parameters it declares: what `kiln convert` writes and `kiln explore` prices must be a network
 * the front end accepts, not the converter's untyped module.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { readInputText } from '../../compiler/io/read-input.ts';
import { initParams } from '../interpreter.ts';
import type { Weights } from '../interpreter/types.ts';
import { prepare } from '../train/setup.ts';

/** Compile `text` as if it were the file `file`, and give it `converted`'s weights; throws if a parameter has no match (a converter bug). */
export function compileConverted(file: string, text: string, converted: Weights): { module: Module; weights: Weights } {
  const compiled = prepare(file, { readFile: (f) => (f === file ? text : readInputText(f)) });
  const weights = initParams(compiled.module, 0);
  for (const [id, ps] of Object.entries(weights)) {
    for (const [name, t] of Object.entries(ps)) {
      const got = converted[id]?.[name];
      if (!got || got.data.length !== t.data.length) throw new Error(`convert: generated layer ${id} has no matching ${name}`);
      t.data.set(got.data);
    }
  }
  return { module: compiled.module, weights };
}
