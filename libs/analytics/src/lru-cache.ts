/**
 * A map bounded by the total cost of its entries (1 each unless told, so a count; or their
 * bytes) that evicts the least recently used entries. A Map iterates in insertion order, so
 * re-inserting on every read keeps the oldest entry first.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; cost: number }>();
  private used = 0;

  constructor(
    readonly maxCost: number,
    private readonly onEvict?: (value: V, key: K) => void,
  ) {
    if (!Number.isInteger(maxCost) || maxCost < 1) throw new Error(`maxCost must be a positive integer, got ${maxCost}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the entries' costs. */
  get cost(): number {
    return this.used;
  }

  /** The values, least recently used first, without marking them used. */
  values(): V[] {
    return [...this.entries.values()].map((e) => e.value);
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, cost = 1): void {
    this.delete(key);
    this.entries.set(key, { value, cost });
    this.used += cost;
    this.evict(key);
  }

  /** Sets the cost of an entry still present (once it is known, e.g. when its promise resolves). */
  setCost(key: K, value: V, cost: number): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.value !== value) return;
    this.used += cost - entry.cost;
    entry.cost = cost;
    this.evict(key);
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.used -= entry.cost;
  }

  /** Drops the least recently used entries while over the bound, never `keep` (the entry just added). */
  private evict(keep: K): void {
    for (const [key, entry] of this.entries) {
      if (this.used <= this.maxCost) return;
      if (key === keep) continue;
      this.entries.delete(key);
      this.used -= entry.cost;
      this.onEvict?.(entry.value, key);
    }
  }

  /** Drops the least recently used entry now; false when there is none. */
  evictOldest(): boolean {
    const first = this.entries.entries().next();
    if (first.done) return false;
    const [key, entry] = first.value;
    this.entries.delete(key);
    this.used -= entry.cost;
    this.onEvict?.(entry.value, key);
    return true;
  }

  /** The cached value, or the one `compute` makes, cached; a failed promise is dropped so the next call retries. */
  getOrCreate(key: K, compute: () => V, onResult?: (hit: boolean) => void, cost = 1): V {
    const cached = this.get(key);
    onResult?.(cached !== undefined);
    if (cached !== undefined) return cached;
    const value = compute();
    this.set(key, value, cost);
    if (value instanceof Promise) value.catch(() => this.entries.get(key)?.value === value && this.delete(key));
    return value;
  }
}
