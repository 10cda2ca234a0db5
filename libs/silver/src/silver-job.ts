import { countRecords, DeltaTable, Filter, TableNotFoundError } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, openOrCreateTable, SEGMENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { clientDayAggregatesSql, countryAggregatesSql, segmentAggregatesSql } from './aggregation-sql';
import { bronzeChangesSince, DAY_COLUMN, daysIn, RecomputeScope } from './bronze-changes';
import { RecentItems } from '@app/common/recent-items';
import { RunReport } from './run-report';
import { liveRows } from './silver-tables';
import { DEFAULT_SPENDING_THRESHOLDS, SpendingThresholds, spendingThresholdProblems, spendingTiersAppId } from './spending-tiers';

/**
 * Delta txn appId under which every silver commit records the bronze version it reflects: the
 * client aggregates' value is where the next run resumes; the derived tables' value says which
 * client aggregates they were rebuilt from.
 */
export const SILVER_APP_ID = 'silver-from-bronze';

/**
 * A txn appId naming the bronze table (its metaData id), committed next to SILVER_APP_ID: a bronze
 * table deleted and recreated at the same path restarts its versions, and would otherwise be
 * read as a continuation of the old one, leaving days of the old table in silver.
 */
export function bronzeTableAppId(bronze: DeltaTable): string {
  return `silver-bronze-table/${bronze.snapshot.metadata.id}`;
}

export interface SilverJobOptions {
  /** Folder holding `bronze/ventes_stream` (read) and `silver/<table>` (written). */
  lakehouseRoot: string;
  thresholds?: SpendingThresholds;
  /** Reports kept in `runs` (default 50). */
  runsKept?: number;
}

export interface SilverJobHooks {
  /** Called once per run, succeeded or failed, before the run's callers resume. */
  onRunFinished?(report: RunReport): void;
}

export class SilverJobClosedError extends Error {
  constructor() {
    super('the silver job is shutting down and takes no new runs');
    this.name = 'SilverJobClosedError';
  }
}

interface SilverTables {
  clients: DeltaTable;
  countries: DeltaTable;
  segments: DeltaTable;
}

/**
 * Bronze -> silver refresh. A run:
 * 1. reads the bronze version the client aggregates last reflected (txn SILVER_APP_ID);
 * 2. finds the event days bronze commits changed since then (bronze-changes.ts), or decides on
 *    a full recompute (also when the bronze table or the spending thresholds are not those the
 *    stored aggregates were computed with: both are recorded as txns at the same version);
 * 3. recomputes only those days from bronze and replaces exactly their partitions of
 *    `ventes_aggreges` in one commit, carrying the new bronze version as txn, so late events
 *    for a past day update that day and a crash leaves the previous state;
 * 4. rebuilds `ventes_par_pays` and `ventes_par_segment` from `ventes_aggreges` when they were
 *    built from an older client version (also after a crash between steps 3 and 4).
 * A run with no bronze change commits nothing. Runs never overlap: a run requested while one is
 * in progress joins it.
 */
export class SilverJob {
  readonly runs: RecentItems<RunReport>;
  private readonly thresholds: SpendingThresholds;
  private readonly tiersAppId: string;
  private current?: { report: RunReport; done: Promise<RunReport> };
  private closed = false;
  private runCount = 0;
  // Kept between runs so a run only reads the log commits since the previous one.
  private bronze?: DeltaTable;
  private silver?: SilverTables;

  constructor(
    private readonly opts: SilverJobOptions,
    private readonly hooks: SilverJobHooks = {},
  ) {
    this.thresholds = { ...(opts.thresholds ?? DEFAULT_SPENDING_THRESHOLDS) };
    const problems = spendingThresholdProblems(this.thresholds);
    if (problems.length) throw new Error(`invalid spending thresholds: ${problems.join('; ')}`);
    this.tiersAppId = spendingTiersAppId(this.thresholds);
    this.runs = new RecentItems<RunReport>(opts.runsKept);
  }

  /** The report of the run in progress, if any. */
  get running(): RunReport | undefined {
    return this.current?.report;
  }

  /** Starts a run, or joins the one in progress. Rejects when the run fails (its report, with the error, stays in `runs`). */
  run(trigger = 'manual'): Promise<RunReport> {
    if (this.closed) return Promise.reject(new SilverJobClosedError());
    if (!this.current) {
      const report: RunReport = {
        runId: ++this.runCount,
        trigger,
        status: 'running',
        startedAt: new Date().toISOString(),
        bronzeVersion: null,
        previousBronzeVersion: null,
        bronzeCommitsRead: 0,
        bronzeRowsRead: 0,
        daysRecomputed: [],
        rowsWritten: {},
        silverVersions: {},
      };
      this.runs.push(report);
      const done = this.execute(report).finally(() => (this.current = undefined));
      this.current = { report, done };
    }
    return this.current.done;
  }

  /** Takes no new runs and waits for the one in progress (graceful shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await this.current?.done.catch(() => undefined);
  }

  private async execute(report: RunReport): Promise<RunReport> {
    const started = performance.now();
    try {
      await this.refresh(report);
      report.status = 'succeeded';
      return report;
    } catch (e) {
      report.status = 'failed';
      report.error = e instanceof Error ? e.message : String(e);
      // A failed commit can leave cached snapshots behind the log: the next run starts from disk.
      this.bronze = undefined;
      this.silver = undefined;
      throw e;
    } finally {
      report.finishedAt = new Date().toISOString();
      report.durationMs = Math.round(performance.now() - started);
      try {
        this.hooks.onRunFinished?.(report);
      } catch {
        // Observability must not change the outcome of a run.
      }
    }
  }

  private async refresh(report: RunReport): Promise<void> {
    const bronze = await this.openBronze();
    if (!bronze) {
      report.mode = 'no-bronze-table';
      report.reason = 'no bronze table';
      return;
    }
    const silver = await this.openSilver();
    const { clients } = silver;
    const processed = clients.txnVersion(SILVER_APP_ID);
    report.bronzeVersion = bronze.version;
    report.previousBronzeVersion = processed ?? null;

    let scope: RecomputeScope = await bronzeChangesSince(bronze, processed);
    if (scope.kind === 'days' && clients.txnVersion(bronzeTableAppId(bronze)) !== processed) {
      scope = { kind: 'all', reason: 'the bronze table is not the one the stored aggregates were computed from' };
    } else if (scope.kind === 'days' && clients.txnVersion(this.tiersAppId) !== processed) {
      scope = { kind: 'all', reason: 'spending thresholds differ from those of the stored aggregates' };
    }
    if (scope.kind === 'all') {
      report.mode = 'full';
      report.reason = scope.reason;
      report.daysRecomputed = daysIn(bronze);
      await this.recomputeClientDays(bronze, clients, undefined, report);
    } else {
      report.bronzeCommitsRead = scope.commitsRead;
      report.daysRecomputed = scope.days;
      if (scope.days.length === 0) report.mode = 'up-to-date';
      else {
        report.mode = 'incremental';
        await this.recomputeClientDays(bronze, clients, scope.days, report);
      }
    }
    await this.rebuildDerivedTables(silver, report);
    report.silverVersions = {
      [CLIENT_AGGREGATES_TABLE.name]: clients.version,
      [COUNTRY_AGGREGATES_TABLE.name]: silver.countries.version,
      [SEGMENT_AGGREGATES_TABLE.name]: silver.segments.version,
    };
  }

  /** Replaces the given days (all of them when undefined) of `ventes_aggreges` with their recomputation from bronze. */
  private async recomputeClientDays(bronze: DeltaTable, clients: DeltaTable, days: string[] | undefined, report: RunReport): Promise<void> {
    const filters: Filter[] = days ? [{ column: DAY_COLUMN, op: 'in', value: days }] : [];
    const scan = await bronze.scan(filters);
    report.bronzeRowsRead = countRecords(scan.files);
    const partitions = days?.map((d) => ({ [DAY_COLUMN]: d }));
    await clients.overwrite(
      { sql: clientDayAggregatesSql(scan.sql, this.thresholds) },
      {
        partitions,
        txns: [
          { appId: SILVER_APP_ID, version: bronze.version },
          { appId: bronzeTableAppId(bronze), version: bronze.version },
          { appId: this.tiersAppId, version: bronze.version },
        ],
        operationParameters: { source: `${BRONZE_TABLE.name}@${bronze.version}`, refresh: days ? 'incremental' : 'full' },
      },
    );
    report.rowsWritten[CLIENT_AGGREGATES_TABLE.name] = liveRows(clients, partitions);
  }

  /** Full overwrite of the small per-country and per-segment tables when they lag the client aggregates. */
  private async rebuildDerivedTables({ clients, countries, segments }: SilverTables, report: RunReport): Promise<void> {
    const clientsVersion = clients.txnVersion(SILVER_APP_ID);
    if (clientsVersion === undefined) return;
    const derived = [
      { table: countries, name: COUNTRY_AGGREGATES_TABLE.name, sqlOf: countryAggregatesSql },
      { table: segments, name: SEGMENT_AGGREGATES_TABLE.name, sqlOf: segmentAggregatesSql },
    ];
    for (const { table, name, sqlOf } of derived) {
      if (table.txnVersion(SILVER_APP_ID) === clientsVersion) continue;
      const clientScan = await clients.scan();
      await table.overwrite(
        { sql: sqlOf(clientScan.sql) },
        {
          txns: [{ appId: SILVER_APP_ID, version: clientsVersion }],
          operationParameters: { source: `${CLIENT_AGGREGATES_TABLE.name}@${clients.version}` },
        },
      );
      report.rowsWritten[name] = liveRows(table);
    }
  }

  private async openBronze(): Promise<DeltaTable | undefined> {
    if (this.bronze) {
      await this.bronze.update();
      return this.bronze;
    }
    try {
      this.bronze = await DeltaTable.open(tableLocation(this.opts.lakehouseRoot, BRONZE_TABLE));
    } catch (e) {
      if (e instanceof TableNotFoundError) return undefined;
      throw e;
    }
    return this.bronze;
  }

  private async openSilver(): Promise<SilverTables> {
    if (this.silver) {
      await Promise.all(Object.values(this.silver).map((t: DeltaTable) => t.update()));
      return this.silver;
    }
    const root = this.opts.lakehouseRoot;
    this.silver = {
      clients: await openOrCreateTable(root, CLIENT_AGGREGATES_TABLE),
      countries: await openOrCreateTable(root, COUNTRY_AGGREGATES_TABLE),
      segments: await openOrCreateTable(root, SEGMENT_AGGREGATES_TABLE),
    };
    return this.silver;
  }
}
