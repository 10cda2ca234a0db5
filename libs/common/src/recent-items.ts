/**
 * The last N items, oldest first, like Spark's `recentProgress` (which keeps
 * spark.sql.streaming.numRecentProgressUpdates). No Nest here: Nest-free libs import it by path.
 */
export class RecentItems<T> {
  private readonly entries: T[] = [];

  constructor(private readonly capacity = 100) {}

  push(item: T): void {
    this.entries.push(item);
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  recent(limit = this.capacity): T[] {
    return limit > 0 ? this.entries.slice(-limit) : [];
  }

  get last(): T | undefined {
    return this.entries[this.entries.length - 1];
  }
}
