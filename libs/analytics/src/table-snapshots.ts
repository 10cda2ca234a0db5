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
} from '@app/delta';
import { InvalidTimeTravelError, TableUnavailableError } from './errors';
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

export interface TableSnapshotsOptions {
  /** Minimum time between two looks at the log for new commits; requests in between reuse the last answer. */
  refreshIntervalMs: number;
  /** Past versions (time travel) kept loaded. */
  maxCachedVersions: number;
}

/**
 * The versions of one table a reader needs: the latest, kept current by polling the log, and
 * past versions for time travel, loaded on demand and kept in an LRU.
 *
 * A request that finds the last look at the log older than `refreshIntervalMs` starts a new one
 * (one stat of the next commit file) but does not wait for it: it is answered from the current
 * version, and a new version is swapped in once loaded (and, if the current one was copied in
 * memory, copied too), so no request pays for log reads or copies (stale-while-revalidate).
 * Only while a table has never been loaded do requests wait; a table that does not exist yet
 * is looked for again at most every `refreshIntervalMs`, so the gateway can start before the
 * silver job has run.
 */
export class TableSnapshots {
  readonly store: ObjectStore;
  private current?: TableVersion;
  private checkedAt = -Infinity;
  private refreshing?: Promise<void>;
  /** Why the last look at the log failed, until one succeeds (health). */
  refreshError?: Error;
  private readonly pastVersions: LruCache<number, Promise<TableVersion>>;
  /** Keyed by instant and latest version: a timestamp maps to a fixed version until a new commit lands. */
  private readonly versionsAtInstant: LruCache<string, Promise<number>>;

  constructor(
    readonly table: string,
    readonly uri: string,
    private readonly opts: TableSnapshotsOptions,
  ) {
    this.store = storeForUri(uri);
    this.pastVersions = new LruCache(opts.maxCachedVersions, (evicted) => void evicted.then((v) => v.release(), () => undefined));
    this.versionsAtInstant = new LruCache(256);
  }

  /** The latest version seen so far, without looking at the log (metrics). */
  get knownVersion(): number | undefined {
    return this.current?.version;
  }

  /** The latest version known; throws TableUnavailableError while the table does not exist. */
  async latest(): Promise<TableVersion> {
    const due = Date.now() - this.checkedAt >= this.opts.refreshIntervalMs;
    if (!this.current) {
      if (due || this.refreshing) await this.refresh();
      if (!this.current) throw new TableUnavailableError(this.table);
    } else if (due) {
      void this.refresh().catch(() => undefined);
    }
    return this.current;
  }

  /** The latest version, or undefined while the table does not exist. */
  async latestIfExists(): Promise<TableVersion | undefined> {
    try {
      return await this.latest();
    } catch (e) {
      if (e instanceof TableUnavailableError) return undefined;
      throw e;
    }
  }

  async at(asOf: AsOf): Promise<TableVersion> {
    if (asOf.version !== undefined) return this.atVersion(asOf.version, 'asOfVersion');
    if (asOf.timestamp !== undefined) return this.atVersion(await this.versionAt(asOf.timestamp), 'asOfTimestamp');
    return this.latest();
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

  private async checkLog(): Promise<void> {
    this.checkedAt = Date.now();
    const current = this.current;
    if (!current) {
      try {
        this.current = new TableVersion(this.table, this.store, (await DeltaTable.open(this.uri, { store: this.store })).snapshot);
      } catch (e) {
        if (!(e instanceof TableNotFoundError)) throw e;
      }
      return;
    }
    if (!(await commitExists(this.store, current.version + 1))) return;
    // Queries in flight still read `current`, so the new commits are applied to a copy, never in place.
    const snapshot = new Snapshot(current.version, current.snapshot.state.clone());
    await updateSnapshot(this.store, snapshot);
    const next = new TableVersion(this.table, this.store, snapshot);
    if (current.isMaterialized) await next.select();
    this.current = next;
    // The replaced version stays loaded for time travel until the LRU evicts it.
    this.pastVersions.set(current.version, Promise.resolve(current));
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
    return this.pastVersions.getOrCreate(version, async () => {
      try {
        return new TableVersion(this.table, this.store, await loadSnapshot(this.store, this.uri, version));
      } catch (e) {
        throw new InvalidTimeTravelError(parameter, `version ${version} of ${this.table} cannot be read: ${(e as Error).message}`);
      }
    });
  }

  private async versionAt(timestamp: string): Promise<number> {
    const instant = parseInstant(timestamp);
    if (instant === undefined) throw new InvalidTimeTravelError('asOfTimestamp', `"${timestamp}" is not an ISO-8601 timestamp`);
    const latest = await this.latest();
    return this.versionsAtInstant.getOrCreate(`${instant}@${latest.version}`, () =>
      versionAtTimestamp(this.store, instant).catch((e: Error) => {
        throw new InvalidTimeTravelError('asOfTimestamp', `${this.table}: ${e.message}`);
      }),
    );
  }
}
