/**
 * A size-bounded map that evicts the least recently used entry. A Map iterates in insertion
 * order, so re-inserting on every read keeps the oldest entry first.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(
    readonly maxEntries: number,
    private readonly onEvict?: (value: V, key: K) => void,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [K, V];
      this.entries.delete(oldestKey);
      this.onEvict?.(oldest, oldestKey);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** The cached value, or the one `compute` makes, cached; a failed promise is dropped so the next call retries. */
  getOrCreate(key: K, compute: () => V, onResult?: (hit: boolean) => void): V {
    const cached = this.get(key);
    onResult?.(cached !== undefined);
    if (cached !== undefined) return cached;
    const value = compute();
    this.set(key, value);
    if (value instanceof Promise) value.catch(() => this.entries.get(key) === value && this.entries.delete(key));
    return value;
  }
}
