/**
 * What the front end needs from wherever its sources live. The CLI's host reads the disk
 * (compiler/io/node-host.ts); the browser playground's serves the editor's text and the shipped
 * presets from memory. The front end itself imports no node: module, so it bundles for a browser
 * unchanged, and a browser never gets a reader that quietly finds nothing: a file it does not hold
 * is missing (ENOENT), reported where it was imported like on the command line.
 */
export interface SourceHost {
  /** A file's text. Throws an Error with `code` ENOENT when missing, or a KilnError the loader passes on. */
  readFile(file: string): string;
  /** The .kiln files of a folder, as paths, sorted by name; none when the folder cannot be listed. */
  kilnFiles(dir: string): string[];
  /** The file an `import "rel"` in `file` names. */
  resolveImport(file: string, rel: string): string;
}

/** A path's last segment (either separator): names files in messages without node:path. */
export function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}
