/**
 * Where a command's time went, phase by phase (`kiln run --timing`), in CPU and wall-clock
 * milliseconds. CPU time is the one to compare on a shared machine: wall time also counts the
 * other processes' turns on the cores.
 */
interface Row { phase: string; cpu: number; wall: number; note?: string }

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

export class PhaseTiming {
  private readonly rows: Row[] = [];
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
    return `timing (ms)     CPU    wall\n${this.rows.map((r) => line(r.phase, r.cpu, r.wall, r.note)).join('')}${line('total', total.cpu, total.wall)}`;
  }
}
