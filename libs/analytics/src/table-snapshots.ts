import {
  commitExists,
  DeltaTable,
  loadSnapshot,
  ObjectStore,
  Snapshot,
  storeForUri,
  TableNotFoundError,
  toEpochDays,
  toEpochMicros,
  updateSnapshot,
  versionAtTimestamp,
  VersionNotAvailableError,
} from '@app/delta';
import { InvalidTimeTravelError, TableUnavailableError } from './errors';
import { CopyBudget, DataFileCopies } from './data-file-copies';
import { LruCache } from './lru-cache';
import { TableVersion } from './table-version';

/** Which version to read: the latest when both are absent; callers guarantee at most one is set. */
export interface AsOf {
  version?: number;
  /** ISO-8601; without an offset it is UTC (as everywhere in the lakehouse); a bare date is its midnight UTC. */
  timestamp?: string;
}

/** Milliseconds since the epoch of an ISO-8601 timestamp or YYYY-MM-DD date, or undefined when it is neither. */
export function parseInstant(text: string): number | undefined {
  const micros = toEpochMicros(text);
  if (micros !== undefined) return Number(micros / 1000n);
  const days = toEpochDays(text);
  return days === undefined ? undefined : days * 86_400_000;
}

/**
 * What the tables of one reader share: the byte budget of their in-memory copies, and the past
 * versions kept for time travel, evicted least recently used first while the budget is exceeded.
 */
export class SnapshotMemory {
  readonly budget: CopyBudget;
  /** Past versions of every table, keyed `table@version`; only the byte budget bounds them. */
  readonly pastVersions = new LruCache<string, Promise<TableVersion>>(Number.MAX_SAFE_INTEGER, (evicted) => void evicted.then((v) => v.release(), () => undefined));

  constructor(maxBytes: number) {
    this.budget = new CopyBudget(maxBytes);
  }

  /** Evicts past versions while the copies exceed the budget (the latest versions are never evicted). */
  enforce(): void {
    while (this.budget.exceeded && this.pastVersions.evictOldest());
  }
}

/** The default budget of a TableSnapshots made alone (tests, tools). */
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface TableSnapshotsOptions {
  /** Minimum time between two looks at the log for new commits; a request after that waits for the look. */
  refreshIntervalMs: number;
  /** Shared with the reader's other tables; a budget of its own by default. */
  memory?: SnapshotMemory;
  /** Called when a new latest version is in service (loaded, and copied in memory if the one it replaces was). */
  onNewVersion?: (latest: TableVersion) => void;
}

/** While a table has been asked for within this time, its log is also looked at in the background (startPolling). */
const POLL_WHILE_ASKED_MS = 60_000;

/**
 * The versions of one table a reader needs: the latest, kept current by looking at the log, and
 * past versions for time travel, loaded on demand and kept while the memory budget allows.
 *
 * A request that finds the last look at the log older than `refreshIntervalMs` waits for a new
 * one (one stat of the next commit file; concurrent requests share it), and for a new version to
 * be loaded and, if the current one was copied in memory, copied too (only the files it changed:
 * the copies are shared), so every request sees the newest commit within the interval. A table
 * that does not exist yet is looked for again at most every `refreshIntervalMs`, so the gateway
 * can start before the silver job has run.
 */
export class TableSnapshots {
  readonly store: ObjectStore;
  private current?: TableVersion;
  private checkedAt = -Infinity;
  private refreshing?: Promise<void>;
  /** Why the last look at the log failed, until one succeeds (health). */
  refreshError?: Error;
  private readonly memory: SnapshotMemory;
  private readonly copies: DataFileCopies;
  /** Keyed by instant and latest version: a timestamp maps to a fixed version until a new commit lands. */
  private readonly versionsAtInstant: LruCache<string, Promise<number>>;
  private askedAt = -Infinity;
  private poller?: NodeJS.Timeout;

  constructor(
    readonly table: string,
    readonly uri: string,
    private readonly opts: TableSnapshotsOptions,
  ) {
    this.store = storeForUri(uri);
    this.memory = opts.memory ?? new SnapshotMemory(DEFAULT_MAX_BYTES);
    this.copies = new DataFileCopies(table, this.store, this.memory.budget);
    this.versionsAtInstant = new LruCache(256);
  }

  /** The latest version seen so far, without looking at the log (metrics). */
  get knownVersion(): number | undefined {
    return this.current?.version;
  }

  /** The latest version, looking at the log first when the last look is older than the refresh interval; throws TableUnavailableError while the table does not exist. */
  async latest(): Promise<TableVersion> {
    const current = await this.latestIfExists();
    if (!current) throw new TableUnavailableError(this.table);
    return current;
  }

  /** The latest version, or undefined while the table does not exist (freshness asks on every request: no error is made for it). */
  async latestIfExists(): Promise<TableVersion | undefined> {
    this.askedAt = Date.now();
    if (this.refreshing || Date.now() - this.checkedAt >= this.opts.refreshIntervalMs) {
      try {
        await this.refresh();
      } catch (e) {
        // A log that cannot be read now (health reports it) leaves the version known so far in service.
        if (!this.current) throw e;
      }
    }
    return this.current;
  }

  async at(asOf: AsOf): Promise<TableVersion> {
    if (asOf.version !== undefined) return this.atVersion(asOf.version, 'asOfVersion');
    if (asOf.timestamp !== undefined) return this.atVersion(await this.versionAt(asOf.timestamp), 'asOfTimestamp');
    return this.latest();
  }

  /**
   * Looks at the log in the background every refresh interval while the table is asked for
   * (within the last minute), so that a new version is loaded, and copied in memory, before the
   * requests after a commit need it: they find it in service instead of waiting for the look, the
   * load and the copy. The looks keep the last one recent, so requests seldom make one
   * themselves. An idle reader makes no look (no request to the store). A look that fails is
   * kept in `refreshError`, which health reports and logs, as on the request path.
   */
  startPolling(): void {
    if (this.poller || this.opts.refreshIntervalMs <= 0) return;
    this.poller = setInterval(() => {
      if (this.refreshing || Date.now() - this.askedAt > POLL_WHILE_ASKED_MS) return;
      this.refresh().catch(() => undefined);
    }, this.opts.refreshIntervalMs);
    this.poller.unref();
  }

  stopPolling(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  /** Looks for commits after the current version now; concurrent callers share one look. */
  refresh(): Promise<void> {
    this.refreshing ??= this.checkLog()
      .then(() => (this.refreshError = undefined))
      .catch((e: Error) => {
        this.refreshError = e;
        throw e;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private version(snapshot: Snapshot): TableVersion {
    return new TableVersion(this.table, this.store, snapshot, this.copies);
  }

  private async checkLog(): Promise<void> {
    this.checkedAt = Date.now();
    const current = this.current;
    if (!current) {
      try {
        this.current = this.version((await DeltaTable.open(this.uri, { store: this.store })).snapshot);
      } catch (e) {
        if (!(e instanceof TableNotFoundError)) throw e;
        return;
      }
      this.opts.onNewVersion?.(this.current);
      return;
    }
    if (!(await commitExists(this.store, current.version + 1))) return;
    // Queries in flight still read `current`, so the new commits are applied to a copy, never in place.
    const snapshot = new Snapshot(current.version, current.snapshot.state.clone());
    await updateSnapshot(this.store, snapshot);
    const next = this.version(snapshot);
    if (current.isMaterialized) await next.materialize();
    this.current = next;
    // The replaced version stays loaded for time travel while the budget allows.
    this.memory.pastVersions.set(this.key(current.version), Promise.resolve(current));
    this.memory.enforce();
    this.opts.onNewVersion?.(next);
  }

  private key(version: number): string {
    return `${this.table}@${version}`;
  }

  private async atVersion(version: number, parameter: InvalidTimeTravelError['parameter']): Promise<TableVersion> {
    let latest = await this.latest();
    if (version > latest.version) {
      // The version may have been committed since the last look.
      await this.refresh();
      latest = await this.latest();
    }
    if (version === latest.version) return latest;
    if (version > latest.version) {
      throw new InvalidTimeTravelError(parameter, `version ${version} of ${this.table} does not exist (latest is ${latest.version})`);
    }
    return this.memory.pastVersions.getOrCreate(this.key(version), async () => {
      let snapshot: Snapshot;
      try {
        snapshot = await loadSnapshot(this.store, this.uri, version);
      } catch (e) {
        // Only a version the log no longer holds is the client's problem; a damaged log or a disk error is the server's.
        if (!(e instanceof VersionNotAvailableError)) throw e;
        throw new InvalidTimeTravelError(parameter, `version ${version} of ${this.table} cannot be read (its log entries were removed by log retention)`, e);
      }
      const past = this.version(snapshot);
      await past.materialize();
      this.memory.enforce();
      return past;
    });
  }
  private async versionAt(timestamp: string): Promise<number> {
    const instant = parseInstant(timestamp);
    if (instant === undefined) throw new InvalidTimeTravelError('asOfTimestamp', `"${timestamp}" is not an ISO-8601 timestamp`);
    const latest = await this.latest();
    return this.versionsAtInstant.getOrCreate(`${instant}@${latest.version}`, () =>
      versionAtTimestamp(this.store, instant).catch((e: Error) => {
        if (!(e instanceof VersionNotAvailableError)) throw e;
        throw new InvalidTimeTravelError('asOfTimestamp', `${this.table}: ${e.message}`);
      }),
    );
  }
}
