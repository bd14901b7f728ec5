// A small bounded map for results that are pure functions of their key (parsed certificates,
// fingerprint hashes): real traffic repeats the same certificates and client hellos, so a lookup
// replaces the work. Least recently used entries are dropped beyond the capacity.

export class LruCache<V> {
  /** Iterates least recently used first: a Map keeps insertion order and a hit re-inserts. */
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
