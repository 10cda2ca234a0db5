import { storeForUri } from './storage/store-for-uri';
import { ObjectStore } from './storage/object-store';
import { checkpointActions, writeCheckpoint } from './log/checkpoint';
import { InvalidArgumentError, SchemaMismatchError, TableNotFoundError } from './errors';
import { loadSnapshot, Snapshot, updateSnapshot } from './log/snapshot';
import { commitTransaction, CommitRequest, TableLog, TableLogOptions } from './log/transaction';
import { TableConfig, tableConfig } from './log/table-config';
import { TableState } from './log/table-state';
import { WriteSource } from './parquet/data-file-writer';
import { Row, toEpochMicros } from './parquet/values';
import { Filter } from './scan/filter';
import { planScan, readScan, ScanPlan } from './scan/scan';
import { createTableLog, CreateTableOptions } from './operations/create';
import { append, AppendOptions, CommitSummary, overwrite, OverwriteOptions } from './operations/write';
import { optimize, OptimizeOptions, OptimizeResult } from './operations/optimize';
import { vacuum, VacuumOptions, VacuumResult } from './operations/vacuum';
import { history, HistoryEntry, historyEntries, versionAtTimestamp } from './operations/history';
import { autoCompactionHook } from './operations/auto-compaction';
import { sameSchema } from './schema/types';

/**
 * An instant in ms. A string without an offset is UTC, as everywhere in this library (`new Date()`
 * would read it in the host's zone); an unparseable one is an error, not NaN (which matched version 0).
 */
function instantMs(t: Date | string | number): number {
  const micros = typeof t === 'string' ? toEpochMicros(t) : undefined;
  const ms = micros !== undefined ? Number(micros / 1000n) : new Date(t).getTime();
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`invalid time travel timestamp: ${String(t)}`);
  return ms;
}

/** How a handle writes: its clock and where failed post-commit hooks are reported. */
export type WriterOptions = Pick<TableLogOptions, 'clock' | 'onPostCommitError'>;

export interface OpenOptions extends WriterOptions {
  version?: number;
  /** Time travel to the newest version committed at or before this instant. */
  timestamp?: Date | string | number;
  store?: ObjectStore;
}

export type CreateOptions = CreateTableOptions & WriterOptions & { store?: ObjectStore };

function tableLog(store: ObjectStore, opts: WriterOptions): TableLog {
  return new TableLog(store, { ...opts, postCommitHooks: [autoCompactionHook] });
}

/**
 * A Delta table: a snapshot of its log plus the operations on it. One instance per writer;
 * `update()` catches up with commits made by others.
 */
export class DeltaTable {
  private constructor(
    readonly uri: string,
    readonly log: TableLog,
    public snapshot: Snapshot,
  ) {}

  get store(): ObjectStore {
    return this.log.store;
  }

  static async open(uri: string, opts: OpenOptions = {}): Promise<DeltaTable> {
    const store = opts.store ?? storeForUri(uri);
    let version = opts.version;
    if (opts.timestamp !== undefined) version = await versionAtTimestamp(store, instantMs(opts.timestamp));
    return new DeltaTable(uri, tableLog(store, opts), await loadSnapshot(store, uri, version));
  }

  static async create(uri: string, opts: CreateOptions): Promise<DeltaTable> {
    const log = tableLog(opts.store ?? storeForUri(uri), opts);
    const actions = await createTableLog(log, opts);
    const state = new TableState();
    state.apply(actions);
    return new DeltaTable(uri, log, new Snapshot(0, state));
  }

  /** Opens the table, creating it first if there is none; an existing table must have the same schema and partitioning. */
  static async openOrCreate(uri: string, opts: CreateOptions): Promise<DeltaTable> {
    let table: DeltaTable;
    try {
      table = await DeltaTable.open(uri, { store: opts.store, clock: opts.clock, onPostCommitError: opts.onPostCommitError });
    } catch (e) {
      if (!(e instanceof TableNotFoundError)) throw e;
      try {
        return await DeltaTable.create(uri, opts);
      } catch (raced) {
        // Another process created it between our look and our commit; if there is still no table,
        // the create error (bad partition column, configuration...) is the real one.
        table = await DeltaTable.open(uri, { store: opts.store, clock: opts.clock, onPostCommitError: opts.onPostCommitError }).catch(() =>
          Promise.reject(raced),
        );
      }
    }
    const parts = opts.partitionColumns ?? [];
    if (!sameSchema(table.snapshot.schema, opts.schema) || JSON.stringify(table.snapshot.partitionColumns) !== JSON.stringify(parts)) {
      throw new SchemaMismatchError(`the table at ${uri} exists with a different schema or partitioning than expected`);
    }
    return table;
  }

  get version(): number {
    return this.snapshot.version;
  }

  get config(): TableConfig {
    return tableConfig(this.snapshot.configuration);
  }

  /** Applies commits made since this snapshot; returns how many versions it moved on. */
  async update(): Promise<number> {
    const before = this.snapshot.version;
    await updateSnapshot(this.store, this.snapshot);
    return this.snapshot.version - before;
  }

  /**
   * Commits with optimistic concurrency and brings the snapshot to the new version; then the
   * post-commit hooks run: a checkpoint every `delta.checkpointInterval` commits, expired log
   * cleanup, auto-compaction (see log/transaction).
   */
  async commit(req: CommitRequest): Promise<number> {
    return (await commitTransaction(this.log, this.snapshot, req)).version;
  }

  async checkpoint(): Promise<void> {
    await writeCheckpoint(this.store, this.snapshot.version, checkpointActions(this.snapshot.state, this.config.deletedFileRetentionMs, this.log.clock()));
  }

  async cleanupExpiredLogs(now = this.log.clock()): Promise<number> {
    return this.log.cleaner.cleanup(this.config.logRetentionMs, this.snapshot.version, now);
  }

  append(source: WriteSource, opts?: AppendOptions): Promise<CommitSummary> {
    return append(this.log, this.snapshot, source, opts);
  }

  overwrite(source: WriteSource, opts?: OverwriteOptions): Promise<CommitSummary> {
    return overwrite(this.log, this.snapshot, source, opts);
  }

  optimize(opts?: OptimizeOptions): Promise<OptimizeResult> {
    return optimize(this.log, this.snapshot, opts);
  }

  vacuum(opts?: VacuumOptions): Promise<VacuumResult> {
    return vacuum(this.log, this.snapshot, opts);
  }

  /** commitInfo of the last `limit` versions (every one still in the log when omitted), newest first. */
  history(limit?: number): Promise<HistoryEntry[]> {
    return history(this.store, limit, this.snapshot.version);
  }

  /** The whole history, newest first, read a few commits at a time. */
  historyEntries(): AsyncGenerator<HistoryEntry> {
    return historyEntries(this.store, this.snapshot.version);
  }

  txnVersion(appId: string): number | undefined {
    return this.snapshot.txnVersion(appId);
  }

  scan(filters: Filter[] = []): Promise<ScanPlan> {
    return planScan(
      this.store,
      this.snapshot.schema,
      this.snapshot.partitionColumns,
      this.snapshot.state.files.values(),
      filters,
      this.snapshot.columnMappingMode,
    );
  }

  async readRows(filters: Filter[] = []): Promise<Row[]> {
    return readScan(this.snapshot.schema, await this.scan(filters));
  }
}

