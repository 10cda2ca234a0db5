import { DeltaTable, expirePartitions, TableNotFoundError } from '@app/delta';
import { BRONZE_TABLE, QUARANTINE_TABLE, SILVER_TABLES, TableDefinition, tableLocation } from '@app/schemas';
import { RecentItems } from '@app/common';
import { describeError } from './run-report';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from './state-tables';

export interface MaintenanceOptions {
  lakehouseRoot: string;
  /** Days of bronze kept, counted back from today (UTC); 0 keeps everything. */
  bronzeRetentionDays: number;
  /** The same for the quarantine table. */
  quarantineRetentionDays: number;
  runsKept?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** What maintenance did to one table; `error` when a step failed (the other tables were still maintained). */
export interface TableMaintenance {
  table: string;
  /** Days removed by retention, and the commit that removed them. */
  expiredDays: string[];
  expireVersion?: number;
  /** Data files VACUUM deleted (unreferenced and past the table's deletedFileRetentionDuration, 7 days by default). */
  filesVacuumed: number;
  /** Log files removed past the table's logRetentionDuration. */
  logFilesCleaned: number;
  errorClass?: string;
  error?: string;
}

export interface MaintenanceReport {
  runId: number;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  tables: TableMaintenance[];
}

/** Every table of the lakehouse, with the retention (days) that applies to it, if any. */
function maintainedTables(o: MaintenanceOptions): { def: TableDefinition; retentionDays: number }[] {
  return [
    { def: BRONZE_TABLE, retentionDays: o.bronzeRetentionDays },
    { def: QUARANTINE_TABLE, retentionDays: o.quarantineRetentionDays },
    ...[...SILVER_TABLES, SALE_OCCURRENCES_TABLE, CUSTOMER_TOTALS_TABLE].map((def) => ({ def, retentionDays: 0 })),
  ];
}

/**
 * The data lifecycle (seed: "Retention: 90 days"): removes bronze and quarantine days past their
 * retention, each table's expired days in one commit (expirePartitions); vacuums every table
 * (data files no version within 7 days needs); removes expired log files. Silver follows bronze,
 * so days leaving bronze leave silver at its next run.
 *
 * Tables are maintained one by one and a failure on one is reported without stopping the others.
 * Runs never overlap; the scheduler also keeps them apart from silver runs.
 */
export class MaintenanceJob {
  readonly runs: RecentItems<MaintenanceReport>;
  private current?: { report: MaintenanceReport; done: Promise<MaintenanceReport> };
  private runCount = 0;

  constructor(
    private readonly opts: MaintenanceOptions,
    private readonly hooks: { onRunFinished?(report: MaintenanceReport): void } = {},
  ) {
    this.runs = new RecentItems<MaintenanceReport>(opts.runsKept ?? 20);
  }

  get running(): MaintenanceReport | undefined {
    return this.current?.report;
  }

  /** Starts a run or joins the one in progress; resolves with its report (a failed table makes it `failed`, it never rejects). */
  run(trigger = 'manual'): Promise<MaintenanceReport> {
    if (!this.current) {
      const report: MaintenanceReport = { runId: ++this.runCount, trigger, status: 'running', startedAt: new Date().toISOString(), tables: [] };
      this.runs.push(report);
      const done = this.execute(report).finally(() => (this.current = undefined));
      this.current = { report, done };
    }
    return this.current.done;
  }

  /** The first day kept for a retention of `days` days: today (UTC) minus days. */
  cutoffDay(days: number): string {
    const now = this.opts.now?.() ?? Date.now();
    return new Date(now - days * 86_400_000).toISOString().slice(0, 10);
  }

  private async execute(report: MaintenanceReport): Promise<MaintenanceReport> {
    const started = performance.now();
    for (const { def, retentionDays } of maintainedTables(this.opts)) {
      const entry: TableMaintenance = { table: `${def.layer}/${def.name}`, expiredDays: [], filesVacuumed: 0, logFilesCleaned: 0 };
      try {
        const table = await DeltaTable.open(tableLocation(this.opts.lakehouseRoot, def)).catch((e) => (e instanceof TableNotFoundError ? undefined : Promise.reject(e)));
        if (!table) continue;
        report.tables.push(entry);
        if (retentionDays > 0) {
          const expired = await expirePartitions(table, { column: def.partitionColumns[0], before: this.cutoffDay(retentionDays) });
          entry.expiredDays = expired.partitionsRemoved;
          entry.expireVersion = expired.version;
        }
        entry.filesVacuumed = (await table.vacuum()).filesDeleted.length;
        entry.logFilesCleaned = await table.cleanupExpiredLogs(this.opts.now?.());
      } catch (e) {
        if (!report.tables.includes(entry)) report.tables.push(entry);
        Object.assign(entry, describeError(e));
      }
    }
    report.status = report.tables.some((t) => t.error) ? 'failed' : 'succeeded';
    report.finishedAt = new Date().toISOString();
    report.durationMs = Math.round(performance.now() - started);
    try {
      this.hooks.onRunFinished?.(report);
    } catch {
      // Observability must not change the outcome of a run.
    }
    return report;
  }
}
