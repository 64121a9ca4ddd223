/** Random streams keyed by name, so one node's draws never depend on how many other nodes drew. */

/** FNV-1a over the key, mixed with the seed. */
export function streamSeed(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Seed of the generator a node's op draws from (ctx.rng) at time step `step` of a run. */
export function nodeSeed(seed: number, step: number, node: string): number {
  return streamSeed(seed + step * 0x9e3779b1, node);
}
