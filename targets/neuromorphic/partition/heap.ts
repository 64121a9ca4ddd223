/** An indexed binary max-heap over vertex ids with float keys (FM's priority queue). */
export class IndexedMaxHeap {
  private readonly keys: Float64Array;
  private readonly ids: Int32Array;
  private readonly pos: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
  }

  contains(id: number): boolean {
    return this.pos[id]! >= 0;
  }

  top(): number {
    return this.ids[0]!;
  }

  topKey(): number {
    return this.keys[0]!;
  }

  clear(): void {
    for (let i = 0; i < this.size; i++) this.pos[this.ids[i]!] = -1;
    this.size = 0;
  }

  insert(id: number, key: number): void {
    const i = this.size++;
    this.ids[i] = id;
    this.keys[i] = key;
    this.pos[id] = i;
    this.up(i);
  }

  /** Sets the key of a contained id, or inserts it. */
  set(id: number, key: number): void {
    const i = this.pos[id]!;
    if (i < 0) return this.insert(id, key);
    const old = this.keys[i]!;
    this.keys[i] = key;
    if (key > old) this.up(i);
    else this.down(i);
  }

  pop(): number {
    const id = this.ids[0]!;
    this.removeAt(0);
    return id;
  }

  remove(id: number): void {
    const i = this.pos[id]!;
    if (i >= 0) this.removeAt(i);
  }

  private removeAt(i: number): void {
    const id = this.ids[i]!;
    this.pos[id] = -1;
    const last = --this.size;
    if (i === last) return;
    const lid = this.ids[last]!;
    const lkey = this.keys[last]!;
    this.ids[i] = lid;
    this.keys[i] = lkey;
    this.pos[lid] = i;
    this.up(i);
    this.down(this.pos[lid]!);
  }

  private up(i: number): void {
    const ids = this.ids;
    const keys = this.keys;
    const id = ids[i]!;
    const key = keys[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! >= key) break;
      ids[i] = ids[p]!;
      keys[i] = keys[p]!;
      this.pos[ids[i]!] = i;
      i = p;
    }
    ids[i] = id;
    keys[i] = key;
    this.pos[id] = i;
  }

  private down(i: number): void {
    const ids = this.ids;
    const keys = this.keys;
    const n = this.size;
    const id = ids[i]!;
    const key = keys[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && keys[c + 1]! > keys[c]!) c++;
      if (keys[c]! <= key) break;
      ids[i] = ids[c]!;
      keys[i] = keys[c]!;
      this.pos[ids[i]!] = i;
      i = c;
    }
    ids[i] = id;
    keys[i] = key;
    this.pos[id] = i;
  }
}
