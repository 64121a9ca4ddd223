/**
 * An in-memory file system for the front end's `readFile` option, so tests can build programs
 * with imports without touching the disk. Missing files fail like Node's fs does (code ENOENT).
 */
export type ReadFile = (file: string) => string;

export function memoryFiles(files: Readonly<Record<string, string>>): ReadFile {
  return (file: string) => {
    const text = files[file];
    if (text === undefined) {
      const e = new Error(`ENOENT: no such file or directory, open '${file}'`) as NodeJS.ErrnoException;
      e.code = 'ENOENT';
      throw e;
    }
    return text;
  };
}
