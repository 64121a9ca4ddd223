/**
 * Where a command's time went, phase by phase (`kiln run --timing`), in CPU and wall-clock
 * milliseconds. CPU time is the one to compare on a shared machine: wall time also counts the
 * other processes' turns on the cores.
 */
export interface PhaseRow { phase: string; cpu: number; wall: number; note?: string }

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const HEADER = 'timing (ms)     CPU    wall';

export class PhaseTiming {
  private readonly rows: PhaseRow[] = [];
  private cpu: number;
  private wall: number;

  /** Everything before the command began (Node, Kiln's modules) is its first phase, start-up. */
  constructor() {
    this.cpu = cpuMs();
    // performance.now() counts from the process's start.
    this.wall = performance.now();
    this.rows.push({ phase: 'start-up', cpu: this.cpu, wall: this.wall });
  }

  /** Close the phase that ran since the last mark. */
  mark(phase: string, note?: string): void {
    const cpu = cpuMs(), wall = performance.now();
    this.rows.push({ phase, cpu: cpu - this.cpu, wall: wall - this.wall, note });
    this.cpu = cpu;
    this.wall = wall;
  }

  format(): string {
    const total = { cpu: this.rows.reduce((s, r) => s + r.cpu, 0), wall: this.rows.reduce((s, r) => s + r.wall, 0) };
    const line = (phase: string, cpu: number, wall: number, note?: string) =>
      `  ${phase.padEnd(11)} ${cpu.toFixed(0).padStart(7)} ${wall.toFixed(0).padStart(7)}${note ? `  ${note}` : ''}\n`;
    return `${HEADER}\n${this.rows.map((r) => line(r.phase, r.cpu, r.wall, r.note)).join('')}${line('total', total.cpu, total.wall)}`;
  }
}

/**
 * The phases of a `--timing` block in a command's stderr, as format() wrote them (milliseconds,
 * rounded to whole ones), `total` last, with \n or \r\n line endings; undefined when the stderr
 * holds no such block. Benchmarks that run `kiln` as a child process read its phases with this, so
 * the format has one reader beside its one writer.
 */
export function parsePhaseTiming(stderr: string): PhaseRow[] | undefined {
  // A stderr captured on Windows, or passed through a tool that writes CRLF, ends its lines in \r\n.
  const lines = stderr.split(/\r?\n/);
  const start = lines.lastIndexOf(HEADER);
  if (start < 0) return undefined;
  const rows: PhaseRow[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^ {2}(\S+) +(\d+) +(\d+)(?: {2}(.*))?$/.exec(line);
    if (!m) break;
    rows.push({ phase: m[1]!, cpu: Number(m[2]), wall: Number(m[3]), ...(m[4] === undefined ? {} : { note: m[4] }) });
  }
  return rows.at(-1)?.phase === 'total' ? rows : undefined;
}
