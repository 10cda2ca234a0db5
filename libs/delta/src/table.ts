import { assertCanWrite } from './protocol/protocol-support';
import { storeForUri } from './storage/store-for-uri';
import { ObjectStore } from './storage/object-store';
import { checkpointActions, writeCheckpoint } from './log/checkpoint';
import { commitWithRetries, CommitRequest } from './log/commit';
import { cleanupExpiredLogs } from './log/log-cleanup';
import { loadSnapshot, Snapshot, TableNotFoundError, updateSnapshot } from './log/snapshot';
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
import { history, HistoryEntry, versionAtTimestamp } from './operations/history';
import { sameSchema } from './schema/types';

/**
 * An instant in ms. A string without an offset is UTC, as everywhere in this library (`new Date()`
 * would read it in the host's zone); an unparseable one is an error, not NaN (which matched version 0).
 */
function instantMs(t: Date | string | number): number {
  const micros = typeof t === 'string' ? toEpochMicros(t) : undefined;
  const ms = micros !== undefined ? Number(micros / 1000n) : new Date(t).getTime();
  if (Number.isNaN(ms)) throw new Error(`invalid time travel timestamp: ${String(t)}`);
  return ms;
}

export interface OpenOptions {
  version?: number;
  /** Time travel to the newest version committed at or before this instant. */
  timestamp?: Date | string | number;
  store?: ObjectStore;
}

/**
 * A Delta table: a snapshot of its log plus the operations on it. One instance per writer;
 * `update()` catches up with commits made by others.
 */
export class DeltaTable {
  private constructor(
    readonly uri: string,
    readonly store: ObjectStore,
    public snapshot: Snapshot,
  ) {}

  static async open(uri: string, opts: OpenOptions = {}): Promise<DeltaTable> {
    const store = opts.store ?? storeForUri(uri);
    let version = opts.version;
    if (opts.timestamp !== undefined) version = await versionAtTimestamp(store, instantMs(opts.timestamp));
    return new DeltaTable(uri, store, await loadSnapshot(store, uri, version));
  }

  static async create(uri: string, opts: CreateTableOptions & { store?: ObjectStore }): Promise<DeltaTable> {
    const store = opts.store ?? storeForUri(uri);
    const actions = await createTableLog(store, opts);
    const state = new TableState();
    state.apply(actions);
    return new DeltaTable(uri, store, new Snapshot(0, state));
  }

  /** Opens the table, creating it first if there is none; an existing table must have the same schema and partitioning. */
  static async openOrCreate(uri: string, opts: CreateTableOptions & { store?: ObjectStore }): Promise<DeltaTable> {
    let table: DeltaTable;
    try {
      table = await DeltaTable.open(uri, { store: opts.store });
    } catch (e) {
      if (!(e instanceof TableNotFoundError)) throw e;
      try {
        return await DeltaTable.create(uri, opts);
      } catch (raced) {
        // Another process created it between our look and our commit; if there is still no table,
        // the create error (bad partition column, configuration...) is the real one.
        table = await DeltaTable.open(uri, { store: opts.store }).catch(() => Promise.reject(raced));
      }
    }
    const parts = opts.partitionColumns ?? [];
    if (!sameSchema(table.snapshot.schema, opts.schema) || JSON.stringify(table.snapshot.partitionColumns) !== JSON.stringify(parts)) {
      throw new Error(`the table at ${uri} exists with a different schema or partitioning than expected`);
    }
    return table;
  }

  get version(): number {
    return this.snapshot.version;
  }

  get config(): TableConfig {
    return tableConfig(this.snapshot.configuration);
  }

  /** Applies commits made since this snapshot; returns how many there were. */
  async update(): Promise<number> {
    return (await updateSnapshot(this.store, this.snapshot)).length;
  }

  /**
   * Commits with optimistic concurrency, brings the snapshot to the new version, then writes a
   * checkpoint every `delta.checkpointInterval` commits and cleans up expired log files.
   */
  async commit(req: CommitRequest): Promise<number> {
    assertCanWrite(this.snapshot.protocol);
    if (this.config.appendOnly && req.actions.some((a) => 'remove' in a && a.remove.dataChange)) {
      throw new Error('the table is append-only (delta.appendOnly=true): removing data is not allowed');
    }
    if (req.readVersion !== this.snapshot.version) throw new Error('commit must be built on the current snapshot');
    const result = await commitWithRetries(this.store, req);
    for (const w of result.winners) this.snapshot.state.apply(w);
    this.snapshot.state.apply(result.actions);
    this.snapshot.version = result.version;
    const cfg = this.config;
    if (result.version > 0 && result.version % cfg.checkpointInterval === 0) {
      await this.checkpoint();
      if (cfg.enableExpiredLogCleanup) await cleanupExpiredLogs(this.store, cfg.logRetentionMs);
    }
    return result.version;
  }

  async checkpoint(): Promise<void> {
    await writeCheckpoint(this.store, this.snapshot.version, checkpointActions(this.snapshot.state, this.config.deletedFileRetentionMs));
  }

  async cleanupExpiredLogs(now = Date.now()): Promise<number> {
    return cleanupExpiredLogs(this.store, this.config.logRetentionMs, now);
  }

  append(source: WriteSource, opts?: AppendOptions): Promise<CommitSummary> {
    return append(this, source, opts);
  }

  overwrite(source: WriteSource, opts?: OverwriteOptions): Promise<CommitSummary> {
    return overwrite(this, source, opts);
  }

  optimize(opts?: OptimizeOptions): Promise<OptimizeResult> {
    return optimize(this, opts);
  }

  vacuum(opts?: VacuumOptions): Promise<VacuumResult> {
    return vacuum(this, opts);
  }

  history(limit?: number): Promise<HistoryEntry[]> {
    return history(this.store, limit);
  }

  txnVersion(appId: string): number | undefined {
    return this.snapshot.txnVersion(appId);
  }

  scan(filters: Filter[] = []): Promise<ScanPlan> {
    return planScan(this.store, this.snapshot.schema, this.snapshot.partitionColumns, this.snapshot.state.files.values(), filters);
  }

  async readRows(filters: Filter[] = []): Promise<Row[]> {
    return readScan(this.snapshot.schema, await this.scan(filters));
  }
}

