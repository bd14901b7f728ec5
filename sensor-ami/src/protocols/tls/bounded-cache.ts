// A small bounded map for results that are pure functions of their key (parsed certificates): real
// traffic repeats the same certificates, so a lookup replaces the work. Beyond the capacity the
// oldest entry is dropped (insertion order; a hit does not reorder, which would cost a delete and a
// re-insert on every lookup — the common entries are re-added soon after they are dropped).

export class BoundedCache<V> {
  /** Iterates oldest first (a Map keeps insertion order). */
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.capacity && !this.entries.has(key)) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, value);
  }
}
