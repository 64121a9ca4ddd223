/**
 * Text input files as Kiln reads them. Editors on Windows often start a UTF-8 file with a
 * byte-order mark (U+FEFF); it is not part of the text, so it is dropped before lexing or JSON
 * parsing, and before the text is kept for showing source lines, so columns do not shift by one.
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
