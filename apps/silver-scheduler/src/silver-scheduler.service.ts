import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Counter, Gauge, Histogram } from 'prom-client';
import { APP_CONFIG, HealthChecks, healthResult, MetricsRegistry } from '@app/common';
import { MaintenanceJob, MaintenanceReport, RunReport, SilverJob } from '@app/silver';
import { SilverConfig } from './config';

export const SILVER_CRON_JOB = 'silver-refresh';
export const MAINTENANCE_CRON_JOB = 'lakehouse-maintenance';

/** Whether silver is fit to serve: its last run succeeded, recently enough. */
export interface SilverReadiness {
  ready: boolean;
  reason?: string;
  lastRun?: Pick<RunReport, 'runId' | 'status' | 'mode' | 'finishedAt' | 'errorClass' | 'error' | 'failedDays'>;
  lastSuccessAt?: string;
  staleAfterMs: number;
  consecutiveFailures: number;
  nextRetryAt?: string;
}

/**
 * Runs the silver job at start-up, on SILVER_CRON, when bronze has new commits (polled every
 * SILVER_BRONZE_POLL_INTERVAL) and on demand; retries a failed run with exponential backoff; runs
 * maintenance on MAINTENANCE_CRON and on demand. Silver runs and maintenance never overlap: they
 * go through one queue, and a silver trigger while a silver run is in progress or queued joins it.
 */
@Injectable()
export class SilverSchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SilverScheduler');
  readonly job: SilverJob;
  readonly maintenance: MaintenanceJob;
  private queue: Promise<unknown> = Promise.resolve();
  private queuedSilver?: Promise<RunReport>;
  private busy = false;
  private stopped = false;
  private consecutiveFailures = 0;
  private retryTimer?: NodeJS.Timeout;
  private nextRetryAt?: number;
  private pollTimer?: NodeJS.Timeout;
  private lastSuccessAt?: number;
  private readonly staleAfterMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: SilverConfig,
    private readonly scheduler: SchedulerRegistry,
    metrics: MetricsRegistry,
    health: HealthChecks,
  ) {
    // Liveness: up while the process serves; a failing or stale silver is a readiness matter (/health/ready).
    health.register('silver-scheduler', () => healthResult('silver-scheduler', !this.stopped, { running: this.job.running !== undefined }));
    this.staleAfterMs = config.SILVER_STALE_AFTER || 2 * cronPeriodMs(config.SILVER_CRON);

    const runs = new Counter({ name: 'silver_runs_total', help: 'Silver refresh runs, by status and mode', labelNames: ['status', 'mode'], registers: [metrics] });
    const failures = new Counter({ name: 'silver_run_failures_total', help: 'Failed silver runs, by error class', labelNames: ['error_class'], registers: [metrics] });
    const lastFailed = new Gauge({ name: 'silver_last_run_failed', help: '1 when the last finished silver run failed', registers: [metrics] });
    const failedDays = new Gauge({ name: 'silver_failed_days', help: 'Days the last silver run could not aggregate', registers: [metrics] });
    const consecutive = new Gauge({ name: 'silver_consecutive_failures', help: 'Silver runs failed in a row (retried with backoff)', registers: [metrics] });
    const duration = new Histogram({
      name: 'silver_run_duration_seconds',
      help: 'Silver refresh duration',
      labelNames: ['mode'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [metrics],
    });
    const rows = new Counter({ name: 'silver_rows_written_total', help: 'Rows committed to silver tables', labelNames: ['table'], registers: [metrics] });
    const bronzeRows = new Counter({ name: 'silver_bronze_rows_read_total', help: 'Bronze rows aggregated by silver runs', registers: [metrics] });
    const days = new Counter({ name: 'silver_days_recomputed_total', help: 'Event days recomputed in ventes_aggreges', registers: [metrics] });
    const duplicates = new Counter({ name: 'silver_duplicates_dropped_total', help: 'Bronze rows silver found to be later occurrences of a sale already counted (not counted)', registers: [metrics] });
    const conflicts = new Counter({ name: 'silver_conflicts_total', help: 'Later occurrences of a sale with another payload than the first (see GET /silver/conflicts)', registers: [metrics] });
    const bronzeVersion = new Gauge({ name: 'silver_bronze_version', help: 'Bronze version the silver tables reflect after the last successful run', registers: [metrics] });
    const lastSuccess = new Gauge({ name: 'silver_last_success_timestamp_seconds', help: 'When the last successful run finished', registers: [metrics] });
    // Staleness grows without any run, so it is computed when scraped.
    const readiness = () => this.readiness();
    new Gauge({
      name: 'silver_ready',
      help: '1 when silver is ready (last run succeeded, not stale), as /health/ready says',
      registers: [metrics],
      collect() {
        this.set(readiness().ready ? 1 : 0);
      },
    });

    this.job = new SilverJob(
      {
        lakehouseRoot: config.LAKEHOUSE_ROOT,
        thresholds: { premium: config.SILVER_PREMIUM_THRESHOLD, standard: config.SILVER_STANDARD_THRESHOLD },
        duckdb: config.SILVER_MEMORY_LIMIT === 'none' ? undefined : { memoryLimit: config.SILVER_MEMORY_LIMIT, tempDirectory: config.SILVER_TEMP_DIRECTORY },
      },
      {
        onRunFinished: (r: RunReport) => {
          const mode = r.mode ?? 'none';
          runs.inc({ status: r.status, mode });
          duration.observe({ mode }, (r.durationMs ?? 0) / 1000);
          failedDays.set(r.failedDays.length);
          // Committed days count even in a run that failed on others.
          for (const [table, n] of Object.entries(r.rowsWritten)) rows.inc({ table }, n);
          bronzeRows.inc(r.bronzeRowsRead);
          days.inc(r.mode === 'up-to-date' ? 0 : r.daysRecomputed.length);
          duplicates.inc(Math.max(0, r.duplicates.newlyDropped));
          conflicts.inc(Math.max(0, r.duplicates.newConflicts));
          if (r.status !== 'succeeded') {
            failures.inc({ error_class: r.errorClass ?? 'unknown' });
            lastFailed.set(1);
            consecutive.set(++this.consecutiveFailures);
            this.logger.error({ message: 'silver run failed', runId: r.runId, trigger: r.trigger, errorClass: r.errorClass, error: r.error, failedDays: r.failedDays, durationMs: r.durationMs });
            this.scheduleRetry();
          } else {
            lastFailed.set(0);
            consecutive.set((this.consecutiveFailures = 0));
            this.cancelRetry();
            if (r.bronzeVersion !== null) bronzeVersion.set(r.bronzeVersion);
            this.lastSuccessAt = Date.now();
            lastSuccess.set(this.lastSuccessAt / 1000);
            this.logger.log({ message: 'silver run finished', ...r });
          }
        },
      },
    );

    const maintenanceRuns = new Counter({ name: 'maintenance_runs_total', help: 'Maintenance runs, by status', labelNames: ['status'], registers: [metrics] });
    const maintenanceDuration = new Histogram({ name: 'maintenance_run_duration_seconds', help: 'Maintenance run duration', buckets: [0.1, 0.5, 1, 5, 30, 120, 600], registers: [metrics] });
    const expired = new Counter({ name: 'maintenance_expired_partitions_total', help: 'Partitions removed by retention', labelNames: ['table'], registers: [metrics] });
    const vacuumed = new Counter({ name: 'maintenance_vacuumed_files_total', help: 'Data files deleted by vacuum', labelNames: ['table'], registers: [metrics] });
    const logsCleaned = new Counter({ name: 'maintenance_log_files_cleaned_total', help: 'Expired Delta log files removed', labelNames: ['table'], registers: [metrics] });
    const tableFailures = new Counter({ name: 'maintenance_table_failures_total', help: 'Tables a maintenance run failed on, by error class', labelNames: ['table', 'error_class'], registers: [metrics] });
    const lastMaintenance = new Gauge({ name: 'maintenance_last_run_timestamp_seconds', help: 'When the last maintenance run finished', registers: [metrics] });
    this.maintenance = new MaintenanceJob(
      { lakehouseRoot: config.LAKEHOUSE_ROOT, bronzeRetentionDays: config.BRONZE_RETENTION_DAYS, quarantineRetentionDays: config.QUARANTINE_RETENTION_DAYS },
      {
        onRunFinished: (r: MaintenanceReport) => {
          maintenanceRuns.inc({ status: r.status });
          maintenanceDuration.observe((r.durationMs ?? 0) / 1000);
          lastMaintenance.set(Date.now() / 1000);
          for (const t of r.tables) {
            expired.inc({ table: t.table }, t.expiredDays.length);
            vacuumed.inc({ table: t.table }, t.filesVacuumed);
            logsCleaned.inc({ table: t.table }, t.logFilesCleaned);
            if (t.error) tableFailures.inc({ table: t.table, error_class: t.errorClass ?? 'unknown' });
          }
          const log = { message: 'maintenance run finished', ...r };
          if (r.status === 'succeeded') this.logger.log(log);
          else this.logger.error(log);
        },
      },
    );
  }

  /** The cron expressions come from configuration, so the jobs are added here rather than with @Cron (nestjs/schedule#1510). */
  onApplicationBootstrap(): void {
    const add = (name: string, cronTime: string, onTick: () => Promise<void>) => {
      // waitForCompletion skips ticks while the previous one is in progress.
      const cron = CronJob.from({ cronTime, onTick, waitForCompletion: true, timeZone: 'UTC', start: true });
      this.scheduler.addCronJob(name, cron);
      return cron.nextDate().toISO();
    };
    const nextSilver = add(SILVER_CRON_JOB, this.config.SILVER_CRON, () => this.quietly(this.runSilver('schedule')));
    const nextMaintenance = add(MAINTENANCE_CRON_JOB, this.config.MAINTENANCE_CRON, () => this.quietly(this.runMaintenance('schedule')));
    this.logger.log({
      message: 'silver refresh scheduled',
      cron: this.config.SILVER_CRON,
      next: nextSilver,
      bronzePollMs: this.config.SILVER_BRONZE_POLL_INTERVAL,
      maintenanceCron: this.config.MAINTENANCE_CRON,
      nextMaintenance,
      staleAfterMs: this.staleAfterMs,
    });
    if (this.config.SILVER_BRONZE_POLL_INTERVAL > 0) this.schedulePoll();
    // Not awaited: the HTTP endpoints come up while the first (possibly full) refresh runs.
    void this.quietly(this.runSilver('startup'));
  }

  /** Starts a silver run after whatever holds the queue, or joins the silver run in progress or already queued. */
  runSilver(trigger: string): Promise<RunReport> {
    if (this.job.running) return this.job.run(trigger);
    if (!this.queuedSilver) {
      this.queuedSilver = this.exclusive(() => {
        this.queuedSilver = undefined;
        return this.job.run(trigger);
      });
    }
    return this.queuedSilver;
  }

  /** Starts maintenance after whatever holds the queue; resolves with its report (a failure on a table is in the report). */
  runMaintenance(trigger: string): Promise<MaintenanceReport> {
    if (this.maintenance.running) return this.maintenance.run(trigger);
    return this.exclusive(() => this.maintenance.run(trigger));
  }

  readiness(now = Date.now()): SilverReadiness {
    const last = this.job.runs.recent().filter((r) => r.status !== 'running').pop();
    const base: SilverReadiness = {
      ready: false,
      staleAfterMs: this.staleAfterMs,
      consecutiveFailures: this.consecutiveFailures,
      ...(this.nextRetryAt ? { nextRetryAt: new Date(this.nextRetryAt).toISOString() } : {}),
      ...(this.lastSuccessAt ? { lastSuccessAt: new Date(this.lastSuccessAt).toISOString() } : {}),
      ...(last
        ? { lastRun: { runId: last.runId, status: last.status, mode: last.mode, finishedAt: last.finishedAt, errorClass: last.errorClass, error: last.error, failedDays: last.failedDays } }
        : {}),
    };
    if (!last) return { ...base, reason: 'no silver run has finished yet' };
    if (last.status === 'failed') return { ...base, reason: `the last silver run failed (${last.errorClass ?? 'error'})` };
    if (this.lastSuccessAt !== undefined && now - this.lastSuccessAt > this.staleAfterMs) {
      return { ...base, reason: `the last successful silver run is older than ${this.staleAfterMs} ms` };
    }
    return { ...base, ready: true };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      this.busy = true;
      try {
        return await fn();
      } finally {
        this.busy = false;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** For triggers with no caller to answer: failures are already logged and counted by the report hook. */
  private async quietly(run: Promise<unknown>): Promise<void> {
    await run.catch(() => undefined);
  }

  /** Retries a failed run after min(SILVER_RETRY_MAX_DELAY, SILVER_RETRY_MIN_DELAY × 2^(failures-1)). */
  private scheduleRetry(): void {
    if (this.stopped) return;
    this.cancelRetry();
    const delay = Math.min(this.config.SILVER_RETRY_MAX_DELAY, this.config.SILVER_RETRY_MIN_DELAY * 2 ** Math.min(30, this.consecutiveFailures - 1));
    this.nextRetryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.nextRetryAt = undefined;
      void this.quietly(this.runSilver('retry'));
    }, delay);
    this.retryTimer.unref();
    this.logger.warn({ message: 'silver run will be retried', delayMs: delay, consecutiveFailures: this.consecutiveFailures });
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextRetryAt = undefined;
  }

  /**
   * Bronze-follow: every SILVER_BRONZE_POLL_INTERVAL, if nothing holds the queue and no retry is
   * pending (the backoff decides when a failing silver runs again), looks at bronze's new log
   * entries and runs when there are.
   */
  private schedulePoll(): void {
    this.pollTimer = setTimeout(() => {
      void this.poll().finally(() => {
        if (!this.stopped) this.schedulePoll();
      });
    }, this.config.SILVER_BRONZE_POLL_INTERVAL);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    if (this.busy || this.retryTimer || this.job.running) return;
    try {
      await this.exclusive(async () => {
        if (await this.job.bronzeChanged()) await this.job.run('bronze').catch(() => undefined);
      });
    } catch (e) {
      this.logger.warn({ message: 'looking for new bronze commits failed', error: (e as Error).message });
    }
  }

  /**
   * Nest's scheduler only stops cron jobs on shutdown; it does not wait for a tick in progress.
   * Stop ours and the timers, then wait for the run in progress so its commit completes before
   * the process exits.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.cancelRetry();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    for (const name of [SILVER_CRON_JOB, MAINTENANCE_CRON_JOB]) {
      if (this.scheduler.doesExist('cron', name)) await this.scheduler.getCronJob(name).stop();
    }
    const running = this.job.running;
    if (running) this.logger.log({ message: 'waiting for the silver run in progress', runId: running.runId });
    await this.job.close();
    await this.queue;
  }
}

/** The interval between a cron expression's next two firings (UTC). */
function cronPeriodMs(expression: string): number {
  const job = CronJob.from({ cronTime: expression, onTick: () => undefined, start: false, timeZone: 'UTC' });
  const [a, b] = job.nextDates(2);
  return b.toMillis() - a.toMillis();
}
