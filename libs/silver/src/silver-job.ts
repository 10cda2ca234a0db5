import { AddAction, commitOverwrite, countRecords, decodeLogPath, DeltaTable, Filter, planScan, TableNotFoundError, writeDataFiles } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { RecentItems } from '@app/common';
import { clientDayAggregatesSql, countryAggregatesSql, customerContributionsSql, customerTotalsSql, segmentAggregatesSql } from './aggregation-sql';
import { bronzeChangesSince, DAY_COLUMN, daysIn, RecomputeScope } from './bronze-changes';
import { filesMayHoldIds, filesMayHoldRange, firstOccurrenceSalesSql, occurrencesSql, rankedOccurrencesSql, RECORD_KEY } from './first-occurrences';
import { describeError, DuplicateCounts, FailedDay, RunReport } from './run-report';
import { queryRows, ScratchTables, SilverDuckDBSettings } from './scratch-tables';
import { liveRows } from './silver-tables';
import { DEFAULT_SPENDING_THRESHOLDS, SpendingThresholds, spendingThresholdProblems, spendingTiersAppId } from './spending-tiers';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from './state-tables';

/**
 * Delta txn appId under which every silver commit records the bronze version it reflects: the
 * client aggregates' value is where the next run resumes; the other tables' value says which
 * client aggregates they go with.
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
  /** A DuckDB memory limit for the run's heavy queries, spilling to a temp folder; none by default (DuckDB's own: 80% of RAM). */
  duckdb?: SilverDuckDBSettings;
  /**
   * A full refresh reads bronze in batches of whole days holding about this many rows (a larger
   * day is a batch of its own), so its memory depends on the batch, not on bronze's size.
   */
  fullRefreshBatchRows?: number;
}

/** Bronze rows per batch of a full refresh, by default. */
export const DEFAULT_FULL_REFRESH_BATCH_ROWS = 250_000;

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

/** Some days could not be aggregated; the others were committed. */
export class SilverDaysFailedError extends Error {
  constructor(readonly failedDays: FailedDay[]) {
    super(`${failedDays.length} day(s) could not be aggregated: ${failedDays.map((d) => `${d.day} (${d.errorClass}: ${d.error})`).join('; ')}`);
    this.name = 'SilverDaysFailedError';
  }
}

interface SilverTables {
  clients: DeltaTable;
  countries: DeltaTable;
  segments: DeltaTable;
  occurrences: DeltaTable;
  totals: DeltaTable;
}

/** A conflicting sale: every occurrence of a `vente_id` one of whose later occurrences has another payload. */
export interface SaleConflict {
  vente_id: number;
  occurrences: { jour: string; date_ingestion: string; kafka_topic: string; kafka_partition: number; kafka_offset: number; payload_hash: string; is_first: boolean }[];
}

const NO_DUPLICATES: DuplicateCounts = { dropped: 0, conflicts: 0, newlyDropped: 0, newConflicts: 0 };

/**
 * Bronze -> silver refresh. A run:
 * 1. reads the bronze version the client aggregates last reflected (txn SILVER_APP_ID);
 * 2. finds the event days bronze commits changed since then (bronze-changes.ts), or decides on
 *    a full recompute (also when the bronze table, the spending thresholds or the occurrence
 *    bookkeeping are not those the stored aggregates were computed with);
 * 3. ranks the occurrences of those days' sales against their other occurrences
 *    (first-occurrences.ts), adding the days whose rows changed rank;
 * 4. aggregates the first occurrences of those days; a day whose aggregation fails is left out
 *    and reported, and the run goes on with the others;
 * 5. replaces exactly those days in `sale_occurrences` and `ventes_aggreges`, updates the
 *    customer totals by the difference, and rolls `ventes_par_pays` and `ventes_par_segment` up
 *    from them, each commit carrying the bronze version as txn. A crash between commits leaves
 *    tables that disagree on the version: the next run rebuilds what lags.
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
  /** The bronze version the last successful run read. */
  private lastBronzeVersion?: number | null;

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
        failedDays: [],
        duplicates: { ...NO_DUPLICATES },
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

  /**
   * Whether bronze has commits the last successful run did not read (bronze-follow polling). Reads
   * only the log entries since the previous look, on the table object runs use, so it must not
   * run during a run (the scheduler serializes them); false while a run is in progress.
   */
  async bronzeChanged(): Promise<boolean> {
    if (this.current || this.closed) return false;
    const bronze = await this.openBronze();
    return bronze !== undefined && bronze.version !== this.lastBronzeVersion;
  }

  /** Sales with conflicting payloads, from the occurrence bookkeeping, by vente_id; an empty list before the first run. */
  async conflicts(limit: number): Promise<SaleConflict[]> {
    let occurrences: DeltaTable;
    try {
      occurrences = await DeltaTable.open(tableLocation(this.opts.lakehouseRoot, SALE_OCCURRENCES_TABLE));
    } catch (e) {
      if (e instanceof TableNotFoundError) return [];
      throw e;
    }
    const scan = await occurrences.scan();
    return queryRows<SaleConflict>(`
WITH occ AS (${scan.sql}),
ids AS (SELECT DISTINCT vente_id FROM occ WHERE conflict ORDER BY vente_id LIMIT ${Math.max(1, Math.trunc(limit))})
SELECT CAST(vente_id AS DOUBLE) AS vente_id,
       list({'jour': strftime(jour, '%Y-%m-%d'), 'date_ingestion': strftime(date_ingestion, '%Y-%m-%dT%H:%M:%S.%fZ'),
             'kafka_topic': kafka_topic, 'kafka_partition': kafka_partition, 'kafka_offset': CAST(kafka_offset AS DOUBLE),
             'payload_hash': CAST(payload_hash AS VARCHAR), 'is_first': is_first}
            ORDER BY date_ingestion, ${RECORD_KEY}) AS occurrences
FROM occ SEMI JOIN ids USING (vente_id)
GROUP BY vente_id ORDER BY vente_id`);
  }

  private async execute(report: RunReport): Promise<RunReport> {
    const started = performance.now();
    try {
      await this.refresh(report);
      if (report.failedDays.length) throw new SilverDaysFailedError(report.failedDays);
      report.status = 'succeeded';
      this.lastBronzeVersion = report.bronzeVersion;
      return report;
    } catch (e) {
      report.status = 'failed';
      Object.assign(report, describeError(e));
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
    } else if (scope.kind === 'days' && silver.occurrences.txnVersion(SILVER_APP_ID) !== processed) {
      scope = { kind: 'all', reason: 'the sale occurrences do not match the stored aggregates (first run of this version, or a run stopped between commits)' };
    }
    const scratch = new ScratchTables(`silver_run_${process.pid}_${report.runId}`, this.opts.duckdb);
    try {
      if (scope.kind === 'all') {
        report.mode = 'full';
        report.reason = scope.reason;
        // Days silver holds but bronze no longer does (bronze recreated, retention) are replaced by nothing.
        const days = [...new Set([...daysIn(bronze), ...daysIn(clients), ...daysIn(silver.occurrences)])].sort();
        await this.recompute(bronze, silver, days, true, report, scratch);
      } else {
        report.bronzeCommitsRead = scope.commitsRead;
        if (scope.days.length === 0) report.mode = 'up-to-date';
        else {
          report.mode = 'incremental';
          await this.recompute(bronze, silver, scope.days, false, report, scratch);
        }
      }
      await this.catchUpDerivedTables(silver, report, scratch);
    } finally {
      await scratch.dropAll();
    }
    report.silverVersions = {
      [CLIENT_AGGREGATES_TABLE.name]: clients.version,
      [COUNTRY_AGGREGATES_TABLE.name]: silver.countries.version,
      [SEGMENT_AGGREGATES_TABLE.name]: silver.segments.version,
      [SALE_OCCURRENCES_TABLE.name]: silver.occurrences.version,
      [CUSTOMER_TOTALS_TABLE.name]: silver.totals.version,
    };
  }

  /**
   * Recomputes `days` (touched by bronze; every day when `full`). Aggregating is done before any
   * commit, so a day that fails is dropped from the run and the rest recomputed without it.
   */
  private async recompute(bronze: DeltaTable, silver: SilverTables, days: string[], full: boolean, report: RunReport, scratch: ScratchTables): Promise<void> {
    if (full) return this.recomputeAll(bronze, silver, days, report, scratch);
    let touched = days;
    for (;;) {
      const plan = await this.rankOccurrences(bronze, silver.occurrences, touched, scratch);
      const bronzeScan = await bronze.scan([inDays(plan.days)]);
      report.bronzeRowsRead = countRecords(bronzeScan.files);
      const salesSql = firstOccurrenceSalesSql(bronzeScan.sql, plan.occurrences);
      let clientDays: string;
      try {
        clientDays = await scratch.create('client_days', clientDayAggregatesSql(salesSql, this.thresholds));
      } catch (e) {
        const failed = await this.failingDays(salesSql, plan.days.filter((d) => touched.includes(d)), scratch);
        if (failed.length === 0) throw e;
        report.failedDays.push(...failed);
        const bad = new Set(failed.map((f) => f.day));
        touched = touched.filter((d) => !bad.has(d));
        if (touched.length === 0) return;
        continue;
      }
      report.daysRecomputed = plan.days;
      await this.commitIncremental(bronze, silver, plan, clientDays, report, scratch);
      return;
    }
  }

  /**
   * Recomputes every one of `days` (a full refresh) in batches of consecutive days, so that memory
   * is bounded by a batch whatever bronze's size: each batch's occurrences are ranked against
   * every occurrence of their sales (rankBatch), its first occurrences aggregated, and both
   * written as data files; the files of all batches are committed at the end, one commit per
   * table, as a single-pass refresh would. A day that fails to aggregate is left out and the
   * refresh starts again without it, so that, as in an incremental run, the days committed are
   * ranked without the failed days' rows.
   */
  private async recomputeAll(bronze: DeltaTable, silver: SilverTables, days: string[], report: RunReport, scratch: ScratchTables): Promise<void> {
    const { occurrences, clients } = silver;
    let included = days;
    for (;;) {
      const written: WrittenDays = { occurrences: [], clients: [] };
      const duplicates = { dropped: 0, conflicts: 0 };
      let bronzeRows = 0;
      let failed: FailedDay[] = [];
      // The customer totals of the batches so far (one row per customer identity), so that they
      // are not rebuilt afterwards from a scan of every client day.
      let customerTotals: string | undefined;
      let batchNumber = 0;
      for (const batch of dayBatches(bronze, included, this.opts.fullRefreshBatchRows ?? DEFAULT_FULL_REFRESH_BATCH_ROWS)) {
        const { ranked, bronzeScan } = await this.rankBatch(bronze, included, batch, scratch);
        bronzeRows += countRecords(bronzeScan.files);
        const salesSql = firstOccurrenceSalesSql(bronzeScan.sql, ranked);
        let clientDays: string;
        try {
          clientDays = await scratch.create('client_days', clientDayAggregatesSql(salesSql, this.thresholds));
        } catch (e) {
          failed = await this.failingDays(salesSql, batch, scratch);
          if (failed.length === 0) throw e;
          break;
        }
        const [counts] = await duplicateCounts(`SELECT * FROM ${ranked}`);
        duplicates.dropped += Number(counts.dropped ?? 0);
        duplicates.conflicts += Number(counts.conflicts ?? 0);
        written.occurrences.push(...(await writeFiles(occurrences, `SELECT * FROM ${ranked}`, scratch)));
        written.clients.push(...(await writeFiles(clients, `SELECT * FROM ${clientDays}`, scratch)));
        const contributions = [`SELECT * FROM (${customerContributionsSql(`SELECT * FROM ${clientDays}`)})`];
        if (customerTotals) contributions.push(`SELECT client_id, pays, segment, client_days, transactions, revenue_cents, items FROM ${customerTotals}`);
        // Two tables in turn: each batch's totals read the previous batch's.
        customerTotals = await scratch.create(`customer_totals_${batchNumber++ % 2}`, customerTotalsSql(contributions.join('\nUNION ALL\n')));
      }
      if (failed.length) {
        report.failedDays.push(...failed);
        // Never committed: removed now rather than left for VACUUM.
        await discardFiles(occurrences, written.occurrences);
        await discardFiles(clients, written.clients);
        const bad = new Set(failed.map((f) => f.day));
        included = included.filter((d) => !bad.has(d));
        if (included.length === 0) return;
        continue;
      }
      report.daysRecomputed = included;
      report.bronzeRowsRead = bronzeRows;
      report.duplicates = { ...duplicates, newlyDropped: duplicates.dropped, newConflicts: duplicates.conflicts };
      await this.commitDays(bronze, silver, included, written, 'full', report);
      // Written when they lag the client aggregates, as catchUpDerivedTables would (not when only the tiers changed).
      const clientsVersion = clients.txnVersion(SILVER_APP_ID);
      if (customerTotals && (clientsVersion === undefined || silver.totals.txnVersion(SILVER_APP_ID) !== clientsVersion)) {
        await this.writeTotals(silver, `SELECT * FROM ${customerTotals}`, report, scratch);
      }
      return;
    }
  }

  /**
   * The occurrences of the `batch` days' bronze rows, ranked against every other occurrence of
   * their sales in the `included` days, as a scratch table of SALE_OCCURRENCES_TABLE rows of the
   * batch: the same rows and flags as ranking all included days at once, since a sale's rank
   * depends only on its own occurrences. The other days' bronze files are found by their vente_id
   * range (producer ids grow with time, so usually only neighbouring days' files are read).
   */
  private async rankBatch(
    bronze: DeltaTable,
    included: string[],
    batch: string[],
    scratch: ScratchTables,
  ): Promise<{ ranked: string; bronzeScan: Awaited<ReturnType<DeltaTable['scan']>> }> {
    const bronzeScan = await bronze.scan([inDays(batch)]);
    const own = await scratch.create('batch_occurrences', occurrencesSql(bronzeScan.sql));
    const [range] = await queryRows<{ lo: number | null; hi: number | null }>(`SELECT CAST(min(vente_id) AS DOUBLE) AS lo, CAST(max(vente_id) AS DOUBLE) AS hi FROM ${own}`);
    const [inBatch, others] = [new Set(batch), new Set(included)];
    const otherFiles =
      range.lo === null || range.hi === null
        ? []
        : filesMayHoldRange(
            bronze.snapshot.files().filter((f) => {
              const day = f.partitionValues[DAY_COLUMN] ?? '';
              return others.has(day) && !inBatch.has(day);
            }),
            range.lo,
            range.hi,
          );
    let all = `SELECT * FROM ${own}`;
    if (otherFiles.length) {
      const otherScan = await planScan(bronze.store, bronze.snapshot.schema, bronze.snapshot.partitionColumns, otherFiles);
      all += `\nUNION ALL\nSELECT o.* FROM (${occurrencesSql(otherScan.sql)}) o SEMI JOIN ${own} USING (vente_id)`;
    }
    const ranked = await scratch.create('occurrences', `SELECT * FROM (${rankedOccurrencesSql(all)}) WHERE ${DAY_COLUMN} IN (${batch.map((d) => `DATE '${d}'`).join(', ')})`);
    return { ranked, bronzeScan };
  }

  /** Which of `days` fail to aggregate on their own, with their errors. */
  private async failingDays(salesSql: string, days: string[], scratch: ScratchTables): Promise<FailedDay[]> {
    const failed: FailedDay[] = [];
    for (const day of days) {
      const oneDay = `SELECT * FROM (${salesSql}) WHERE ${DAY_COLUMN} = DATE '${day}'`;
      try {
        // Materialized, so every column is computed (a count would let DuckDB skip them).
        await scratch.create('probe', clientDayAggregatesSql(oneDay, this.thresholds));
      } catch (e) {
        failed.push({ day, ...describeError(e) });
      }
    }
    return failed;
  }

  /**
   * The occurrences of `touched` days' bronze rows, ranked against every other occurrence of
   * their sales, as a scratch table of SALE_OCCURRENCES_TABLE rows for `days`: the touched days,
   * plus the other days holding an occurrence whose rank or conflict flag changed (a first
   * occurrence that is now second, or a second that is now first because the first left bronze).
   */
  private async rankOccurrences(
    bronze: DeltaTable,
    occurrences: DeltaTable,
    touched: string[],
    scratch: ScratchTables,
  ): Promise<IncrementalPlan> {
    const bronzeScan = await bronze.scan([inDays(touched)]);
    const newOcc = await scratch.create('new_occurrences', occurrencesSql(bronzeScan.sql));
    const previous = await occurrences.scan([inDays(touched)]);
    // Sales whose occurrences in the touched days changed, added or removed.
    const ids = await scratch.create('ids', `SELECT DISTINCT vente_id FROM (SELECT vente_id FROM ${newOcc} UNION ALL SELECT vente_id FROM (${previous.sql}))`);
    const touchedSet = new Set(touched);
    const otherFiles = await this.filesHoldingIds(
      occurrences.snapshot.files().filter((f) => !touchedSet.has(f.partitionValues[DAY_COLUMN] ?? '')),
      ids,
    );
    const otherScan = await planScan(occurrences.store, occurrences.snapshot.schema, occurrences.snapshot.partitionColumns, otherFiles);
    const otherOcc = await scratch.create('other_occurrences', `SELECT o.* FROM (${otherScan.sql}) o SEMI JOIN ${ids} USING (vente_id)`);
    const ranked = await scratch.create(
      'ranked',
      rankedOccurrencesSql(`SELECT * FROM ${newOcc} UNION ALL SELECT vente_id, jour, date_ingestion, ${RECORD_KEY}, payload_hash FROM ${otherOcc}`),
    );
    const changed = await queryRows<{ day: string }>(
      `SELECT DISTINCT strftime(o.jour, '%Y-%m-%d') AS day FROM ${otherOcc} o JOIN ${ranked} r USING (${RECORD_KEY})
       WHERE o.is_first <> r.is_first OR o.conflict <> r.conflict ORDER BY day`,
    );
    const rerankedDays = changed.map((c) => c.day);
    const parts = [`SELECT * FROM ${ranked} WHERE ${DAY_COLUMN} IN (SELECT DISTINCT ${DAY_COLUMN} FROM ${newOcc})`];
    if (rerankedDays.length) {
      const reranked = await occurrences.scan([inDays(rerankedDays)]);
      parts.push(`
SELECT o.vente_id, o.jour, o.date_ingestion, o.kafka_topic, o.kafka_partition, o.kafka_offset, o.payload_hash,
       COALESCE(r.is_first, o.is_first) AS is_first, COALESCE(r.conflict, o.conflict) AS conflict
FROM (${reranked.sql}) o LEFT JOIN ${ranked} r USING (${RECORD_KEY})`);
    }
    const days = [...new Set([...touched, ...rerankedDays])].sort();
    const previousAll = await occurrences.scan([inDays(days)]);
    return { days, occurrences: await scratch.create('occurrences', parts.join('\nUNION ALL\n')), previousOccurrencesSql: previousAll.sql };
  }

  /** Occurrence files (outside the touched days) whose vente_id range holds one of the sales in `idsTable`. */
  private async filesHoldingIds(files: AddAction[], idsTable: string): Promise<AddAction[]> {
    if (files.length === 0) return files;
    // The range first: new sales' ids are above every older file's, so usually no file is left and the ids are never fetched.
    const [range] = await queryRows<{ lo: number | null; hi: number | null }>(`SELECT CAST(min(vente_id) AS DOUBLE) AS lo, CAST(max(vente_id) AS DOUBLE) AS hi FROM ${idsTable}`);
    if (range.lo === null || range.hi === null) return [];
    const inRange = filesMayHoldRange(files, range.lo, range.hi);
    if (inRange.length === 0) return inRange;
    const rows = await queryRows<{ id: number }>(`SELECT CAST(vente_id AS DOUBLE) AS id FROM ${idsTable} ORDER BY vente_id`);
    return filesMayHoldIds(inRange, Float64Array.from(rows, (r) => r.id));
  }

  /** Commits an incremental run's days and updates the customer totals by their difference. */
  private async commitIncremental(bronze: DeltaTable, silver: SilverTables, plan: IncrementalPlan, clientDays: string, report: RunReport, scratch: ScratchTables): Promise<void> {
    const { clients, occurrences, totals } = silver;
    const processed = clients.txnVersion(SILVER_APP_ID);
    const [now] = await duplicateCounts(`SELECT * FROM ${plan.occurrences}`);
    const [before] = await duplicateCounts(plan.previousOccurrencesSql);
    report.duplicates = {
      dropped: Number(now.dropped ?? 0),
      conflicts: Number(now.conflicts ?? 0),
      newlyDropped: Number(now.dropped ?? 0) - Number(before.dropped ?? 0),
      newConflicts: Number(now.conflicts ?? 0) - Number(before.conflicts ?? 0),
    };

    // The totals are updated by difference only when they match the client aggregates being replaced.
    const totalsMatch = processed !== undefined && totals.txnVersion(SILVER_APP_ID) === processed;
    let removedContributions: string | undefined;
    if (totalsMatch) {
      const old = await clients.scan([inDays(plan.days)]);
      removedContributions = await scratch.create('removed_contributions', customerContributionsSql(old.sql, -1));
    }

    const written: WrittenDays = {
      occurrences: await writeFiles(occurrences, `SELECT * FROM ${plan.occurrences}`, scratch),
      clients: await writeFiles(clients, `SELECT * FROM ${clientDays}`, scratch),
    };
    await this.commitDays(bronze, silver, plan.days, written, 'incremental', report);

    if (removedContributions) {
      const stored = await totals.scan();
      const contributions = [
        `SELECT client_id, pays, segment, client_days, transactions, revenue_cents, items FROM (${stored.sql})`,
        `SELECT * FROM ${removedContributions}`,
        `SELECT * FROM (${customerContributionsSql(`SELECT * FROM ${clientDays}`)})`,
      ].join('\nUNION ALL\n');
      await this.writeTotals(silver, customerTotalsSql(contributions), report, scratch);
    }
  }

  /** Replaces `days` of the occurrences and the client aggregates with the files written for them, one commit each. */
  private async commitDays(bronze: DeltaTable, silver: SilverTables, days: string[], written: WrittenDays, refresh: 'full' | 'incremental', report: RunReport): Promise<void> {
    const { clients, occurrences } = silver;
    const processed = clients.txnVersion(SILVER_APP_ID);
    // With failed days, silver keeps recording the previous bronze version, so the next run retries them.
    const version = report.failedDays.length ? processed : bronze.version;
    const txns =
      version === undefined
        ? []
        : [
            { appId: SILVER_APP_ID, version },
            { appId: bronzeTableAppId(bronze), version },
            { appId: this.tiersAppId, version },
          ];
    const opts = { partitions: days.map((d) => ({ [DAY_COLUMN]: d })), txns, operationParameters: { source: `${BRONZE_TABLE.name}@${bronze.version}`, refresh } };
    await commitOverwrite(occurrences.log, occurrences.snapshot, written.occurrences, opts);
    report.rowsWritten[SALE_OCCURRENCES_TABLE.name] = liveRows(occurrences, opts.partitions);
    await commitOverwrite(clients.log, clients.snapshot, written.clients, opts);
    report.rowsWritten[CLIENT_AGGREGATES_TABLE.name] = liveRows(clients, opts.partitions);
  }

  /** Rebuilds the customer totals from every client day when they lag, then the derived tables when they lag the totals. */
  private async catchUpDerivedTables(silver: SilverTables, report: RunReport, scratch: ScratchTables): Promise<void> {
    const { clients, totals, countries, segments } = silver;
    const clientsVersion = clients.txnVersion(SILVER_APP_ID);
    // Without a recorded version (a first run with failed days), only a run that wrote days rebuilds them.
    if (clientsVersion === undefined && report.rowsWritten[CLIENT_AGGREGATES_TABLE.name] === undefined) return;
    if (clientsVersion === undefined || totals.txnVersion(SILVER_APP_ID) !== clientsVersion) {
      const all = await clients.scan();
      await this.writeTotals(silver, customerTotalsSql(customerContributionsSql(all.sql)), report, scratch);
    } else if (countries.txnVersion(SILVER_APP_ID) !== clientsVersion || segments.txnVersion(SILVER_APP_ID) !== clientsVersion) {
      const stored = await totals.scan();
      await this.writeRollups(silver, stored.sql, report);
    }
  }

  private async writeTotals(silver: SilverTables, totalsSql: string, report: RunReport, scratch: ScratchTables): Promise<void> {
    const { clients, totals } = silver;
    const version = clients.txnVersion(SILVER_APP_ID);
    const table = await scratch.create('customer_totals', totalsSql);
    await totals.overwrite(
      { sql: `SELECT * FROM ${table}` },
      { txns: version === undefined ? [] : [{ appId: SILVER_APP_ID, version }], operationParameters: { source: `${CLIENT_AGGREGATES_TABLE.name}@${clients.version}` } },
    );
    report.rowsWritten[CUSTOMER_TOTALS_TABLE.name] = liveRows(totals);
    await this.writeRollups(silver, `SELECT * FROM ${table}`, report);
  }

  /** Full overwrite of the small per-country and per-segment tables from the customer totals. */
  private async writeRollups({ clients, countries, segments, totals }: SilverTables, totalsSql: string, report: RunReport): Promise<void> {
    const version = clients.txnVersion(SILVER_APP_ID);
    const derived = [
      { table: countries, name: COUNTRY_AGGREGATES_TABLE.name, sqlOf: countryAggregatesSql },
      { table: segments, name: SEGMENT_AGGREGATES_TABLE.name, sqlOf: segmentAggregatesSql },
    ];
    for (const { table, name, sqlOf } of derived) {
      await table.overwrite(
        { sql: sqlOf(totalsSql) },
        {
          txns: version === undefined ? [] : [{ appId: SILVER_APP_ID, version }],
          operationParameters: { source: `${CUSTOMER_TOTALS_TABLE.name}@${totals.version}` },
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
      clients: await DeltaTable.openOrCreate(tableLocation(root, CLIENT_AGGREGATES_TABLE), CLIENT_AGGREGATES_TABLE),
      countries: await DeltaTable.openOrCreate(tableLocation(root, COUNTRY_AGGREGATES_TABLE), COUNTRY_AGGREGATES_TABLE),
      segments: await DeltaTable.openOrCreate(tableLocation(root, SEGMENT_AGGREGATES_TABLE), SEGMENT_AGGREGATES_TABLE),
      occurrences: await DeltaTable.openOrCreate(tableLocation(root, SALE_OCCURRENCES_TABLE), SALE_OCCURRENCES_TABLE),
      totals: await DeltaTable.openOrCreate(tableLocation(root, CUSTOMER_TOTALS_TABLE), CUSTOMER_TOTALS_TABLE),
    };
    return this.silver;
  }
}

function inDays(days: string[]): Filter {
  return { column: DAY_COLUMN, op: 'in', value: days };
}

/** The days an incremental run replaces, their ranked occurrences (a scratch table), and the occurrences they replace. */
interface IncrementalPlan {
  days: string[];
  occurrences: string;
  previousOccurrencesSql: string;
}

/** Data files written for the days being replaced, not committed yet. */
interface WrittenDays {
  occurrences: AddAction[];
  clients: AddAction[];
}

/** `days` (ascending) in runs of consecutive days holding about `batchRows` bronze rows each; a day holding more is a run of its own. */
export function dayBatches(bronze: DeltaTable, days: string[], batchRows: number): string[][] {
  const rowsPerDay = new Map<string, number>();
  for (const f of bronze.snapshot.files()) {
    const day = f.partitionValues[DAY_COLUMN] ?? '';
    rowsPerDay.set(day, (rowsPerDay.get(day) ?? 0) + countRecords([f]));
  }
  const batches: string[][] = [];
  let current: string[] = [];
  let rows = 0;
  for (const day of days) {
    const dayRows = rowsPerDay.get(day) ?? 0;
    if (current.length && rows + dayRows > batchRows) {
      batches.push(current);
      [current, rows] = [[], 0];
    }
    current.push(day);
    rows += dayRows;
  }
  if (current.length) batches.push(current);
  return batches;
}

function duplicateCounts(occurrencesSql: string): Promise<{ dropped: bigint | null; conflicts: bigint | null }[]> {
  return queryRows(`SELECT count(*) FILTER (NOT is_first) AS dropped, count(*) FILTER (conflict) AS conflicts FROM (${occurrencesSql})`);
}

/** Writes the rows of `sql` as data files of `table`, under the run's memory limit; committed later. */
function writeFiles(table: DeltaTable, sql: string, scratch: ScratchTables): Promise<AddAction[]> {
  return scratch.limited(() => writeDataFiles(table.store, table.snapshot.schema, table.snapshot.partitionColumns, { sql }));
}

async function discardFiles(table: DeltaTable, files: AddAction[]): Promise<void> {
  for (const f of files) await table.store.delete(decodeLogPath(f.path));
}
