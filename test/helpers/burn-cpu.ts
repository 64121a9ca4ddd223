/** Spend `ms` of this process's CPU time (user + system), for tests that time phases or calls. */
export function burnCpu(ms: number): void {
  const t0 = process.cpuUsage();
  let x = 0;
  for (let d = process.cpuUsage(t0); (d.user + d.system) / 1000 < ms; d = process.cpuUsage(t0)) x += Math.sqrt(x + 1);
  // Keeps the loop's arithmetic observable, so it is not optimised away.
  if (x < 0) throw new Error('unreachable');
}
