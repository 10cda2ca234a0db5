import { AddAction, commitPath, duckdbType, fileMayMatch, Filter, ObjectStore, parseStats, planScan, Snapshot, sqlIdent } from '@app/delta';
import { DataFileCopies, emptySelect } from './data-file-copies';

/** Values bound to a statement's named parameters (`$name`): no request value is ever written into SQL text. */
export type SqlParams = Record<string, string | number | boolean>;

/** A SELECT of a version's rows and the values of its parameters. */
export interface Selection {
  sql: string;
  params: SqlParams;
  /** Rows of the files the filters could not prune (file statistics): what the query will scan at most. */
  rowsScanned: number;
}

/** Comparisons a filter may make; the value is always a bound parameter. */
const OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=']);

/**
 * One immutable version of a table: what a query reads, and what its cached answers are keyed by.
 * The first query copies the version's data files into DuckDB memory (DataFileCopies), which
 * the following queries read (planning a scan over Parquet files costs tens of
 * milliseconds each time, an in-memory aggregate a few). The copies are shared with the table's
 * other loaded versions, so a version kept for time travel costs only the files
 * it does not share.
 */
export class TableVersion {
  private committedAtMs?: Promise<number>;
  private materialized?: Promise<void>;
  private released = false;

  constructor(
    readonly table: string,
    readonly store: ObjectStore,
    readonly snapshot: Snapshot,
    private readonly copies: DataFileCopies,
  ) {}

  get version(): number {
    return this.snapshot.version;
  }

  get isMaterialized(): boolean {
    return this.materialized !== undefined;
  }

  private get files(): AddAction[] {
    return [...this.snapshot.state.files.values()];
  }

  /**
   * The rows that pass the filters (a conjunction), with the filters' values as parameters named
   * `<prefix>0`, `<prefix>1`…; files are pruned by partition values and statistics first.
   */
  async select(filters: Filter[] = [], prefix = 'f'): Promise<Selection> {
    const s = this.snapshot;
    const files = this.files.filter((f) => fileMayMatch(f, filters, s.schema, s.partitionColumns));
    const params: SqlParams = {};
    const conditions = filters.map((f, i) => {
      const field = s.schema.fields.find((x) => x.name === f.column);
      if (!field) throw new Error(`unknown column "${f.column}" in filter`);
      if (!OPERATORS.has(f.op) || Array.isArray(f.value) || f.value === null || f.value === undefined || typeof f.value === 'object') {
        throw new Error(`filter on ${f.column}: only a comparison with one value is supported`);
      }
      params[`${prefix}${i}`] = typeof f.value === 'bigint' ? Number(f.value) : f.value;
      return `${sqlIdent(f.column)} ${f.op === '!=' ? '<>' : f.op} CAST($${prefix}${i} AS ${duckdbType(field.type)})`;
    });
    const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
    return { sql: `SELECT * FROM (${await this.rowsOf(files)})${where}`, params, rowsScanned: files.reduce((n, f) => n + (parseStats(f)?.numRecords ?? 0), 0) };
  }

  /** Copies every data file of the version into memory now (those other versions share are not copied again). */
  async materialize(): Promise<void> {
    await this.copied();
  }

  private async rowsOf(files: AddAction[]): Promise<string> {
    if (files.length === 0) return emptySelect(this.snapshot);
    // A version already out of the caches is not copied any more; a late query reads its files.
    if (this.released && !this.materialized) return (await planScan(this.store, this.snapshot.schema, this.snapshot.partitionColumns, files)).sql;
    await this.copied();
    return this.copies.rowsOf(files);
  }

  private copied(): Promise<void> {
    this.materialized ??= (async () => {
      const files = this.files;
      try {
        await this.copies.acquire(this.snapshot, files);
      } catch (e) {
        this.copies.release(files);
        this.materialized = undefined;
        throw e;
      }
    })();
    return this.materialized;
  }

  /** Called when the version leaves the caches: its copies go once no other version holds them (after a grace period). */
  release(): void {
    if (this.released) return;
    this.released = true;
    void this.materialized?.then(
      () => this.copies.release(this.files),
      () => undefined,
    );
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
