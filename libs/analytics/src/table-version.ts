import { commitPath, Filter, filterToSql, ObjectStore, planScan, ScanPlan, Snapshot, sqlIdent, withConnection } from '@app/delta';

/** A materialized table is dropped this long after its version stops being served, so queries in flight finish first. */
const DROP_GRACE_MS = 60_000;
let materializedTables = 0;

/**
 * One immutable version of a table: what a query reads, and what its cached answers are keyed by.
 * The first query copies the version's rows into a DuckDB in-memory table, which the following
 * queries read: planning a scan over one Parquet file per partition costs tens of milliseconds
 * each time, an in-memory aggregate a few. Silver tables are aggregates, small enough for this.
 */
export class TableVersion {
  private committedAtMs?: Promise<number>;
  private materialized?: Promise<string>;
  private released = false;

  constructor(
    readonly table: string,
    readonly store: ObjectStore,
    readonly snapshot: Snapshot,
  ) {}

  get version(): number {
    return this.snapshot.version;
  }

  get isMaterialized(): boolean {
    return this.materialized !== undefined;
  }

  /** The Delta scan of this version's Parquet files (pruned by the filters). */
  scan(filters: Filter[] = []): Promise<ScanPlan> {
    const s = this.snapshot;
    return planScan(this.store, s.schema, s.partitionColumns, s.state.files.values(), filters);
  }

  /** SQL selecting this version's rows that pass the filters, from its in-memory copy. */
  async select(filters: Filter[] = []): Promise<string> {
    // A version already out of the caches is not copied any more; a late query reads the files.
    if (this.released && !this.materialized) return (await this.scan(filters)).sql;
    this.materialized ??= this.materialize().catch((e: unknown) => {
      this.materialized = undefined;
      throw e;
    });
    const name = await this.materialized;
    const where = filters.length ? ` WHERE ${filters.map((f) => filterToSql(f, this.snapshot.schema)).join(' AND ')}` : '';
    return `SELECT * FROM ${sqlIdent(name)}${where}`;
  }

  private async materialize(): Promise<string> {
    const name = `analytics_${this.table}_v${this.version}_${++materializedTables}`;
    const { sql } = await this.scan();
    await withConnection((conn) => conn.run(`CREATE TABLE ${sqlIdent(name)} AS ${sql}`));
    return name;
  }

  /** Called when the version leaves the caches: frees its in-memory copy after a grace period. */
  release(): void {
    this.released = true;
    const materialized = this.materialized;
    if (!materialized) return;
    setTimeout(() => {
      void materialized
        .then((name) => withConnection((conn) => conn.run(`DROP TABLE IF EXISTS ${sqlIdent(name)}`)))
        .catch(() => undefined);
    }, DROP_GRACE_MS).unref();
  }

  /**
   * When this version was committed: the commit file's modification time, the clock that
   * time travel by timestamp (`versionAtTimestamp`) goes by, so `asOfTimestamp=<this>` finds
   * this version. (Not exactly when two commits share a millisecond: time travel then moves the
   * later one 1 ms on, which would take listing the whole log to know.)
   */
  committedAt(): Promise<number> {
    this.committedAtMs ??= this.store.head(commitPath(this.version)).then((f) => f.modificationTime);
    return this.committedAtMs;
  }
}
