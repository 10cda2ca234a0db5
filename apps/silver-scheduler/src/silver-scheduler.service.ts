import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Counter, Gauge, Histogram } from 'prom-client';
import { APP_CONFIG, HealthChecks, healthResult, MetricsRegistry } from '@app/common';
import { RunReport, SilverJob } from '@app/silver';
import { SilverConfig } from './config';

export const SILVER_CRON_JOB = 'silver-refresh';

/**
 * Runs the silver job at start-up, on SILVER_CRON and on demand, and feeds its reports to logs
 * and metrics. Overlap is impossible by construction: every trigger goes through
 * `SilverJob.run`, which joins the run in progress.
 */
@Injectable()
export class SilverSchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SilverScheduler');
  readonly job: SilverJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: SilverConfig,
    private readonly scheduler: SchedulerRegistry,
    metrics: MetricsRegistry,
    health: HealthChecks,
  ) {
    // Down while the last finished run failed, so a refresh that keeps failing shows; up again after a success.
    health.register('silver-job', () => {
      const last = this.job.runs.recent().filter((r) => r.status !== 'running').pop();
      return healthResult('silver-job', last?.status !== 'failed', {
        running: this.job.running !== undefined,
        ...(last ? { lastRun: { runId: last.runId, status: last.status, mode: last.mode, finishedAt: last.finishedAt, ...(last.error ? { error: last.error } : {}) } } : {}),
      });
    });
    const runs = new Counter({ name: 'silver_runs_total', help: 'Silver refresh runs, by status and mode', labelNames: ['status', 'mode'], registers: [metrics] });
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
    const bronzeVersion = new Gauge({ name: 'silver_bronze_version', help: 'Bronze version the silver tables reflect after the last successful run', registers: [metrics] });
    const lastSuccess = new Gauge({ name: 'silver_last_success_timestamp_seconds', help: 'When the last successful run finished', registers: [metrics] });

    this.job = new SilverJob(
      {
        lakehouseRoot: config.LAKEHOUSE_ROOT,
        thresholds: { premium: config.SILVER_PREMIUM_THRESHOLD, standard: config.SILVER_STANDARD_THRESHOLD },
      },
      {
        onRunFinished: (r: RunReport) => {
          const mode = r.mode ?? 'none';
          runs.inc({ status: r.status, mode });
          duration.observe({ mode }, (r.durationMs ?? 0) / 1000);
          if (r.status !== 'succeeded') {
            this.logger.error({ message: 'silver run failed', runId: r.runId, trigger: r.trigger, error: r.error, durationMs: r.durationMs });
            return;
          }
          for (const [table, n] of Object.entries(r.rowsWritten)) rows.inc({ table }, n);
          bronzeRows.inc(r.bronzeRowsRead);
          days.inc(r.mode === 'up-to-date' ? 0 : r.daysRecomputed.length);
          if (r.bronzeVersion !== null) bronzeVersion.set(r.bronzeVersion);
          lastSuccess.set(Date.now() / 1000);
          this.logger.log({ message: 'silver run finished', ...r });
        },
      },
    );
  }

  /** The cron expression comes from configuration, so the job is added here rather than with @Cron (nestjs/schedule#1510). */
  onApplicationBootstrap(): void {
    const cron = CronJob.from({
      cronTime: this.config.SILVER_CRON,
      onTick: () => this.runQuietly('schedule'),
      // Skips ticks while a run is in progress; SilverJob.run would join it anyway.
      waitForCompletion: true,
      timeZone: 'UTC',
      start: true,
    });
    this.scheduler.addCronJob(SILVER_CRON_JOB, cron);
    this.logger.log({ message: 'silver refresh scheduled', cron: this.config.SILVER_CRON, next: cron.nextDate().toISO() });
    // Not awaited: the HTTP endpoints come up while the first (possibly full) refresh runs.
    void this.runQuietly('startup');
  }

  /** For the scheduler and start-up: failures are already logged and counted by the report hook. */
  private async runQuietly(trigger: string): Promise<void> {
    await this.job.run(trigger).catch(() => undefined);
  }

  /**
   * Nest's scheduler only stops cron jobs on shutdown; it does not wait for a tick in progress.
   * Stop ours, then wait for the run in progress so its commit completes before the process exits.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('cron', SILVER_CRON_JOB)) await this.scheduler.getCronJob(SILVER_CRON_JOB).stop();
    const running = this.job.running;
    if (running) this.logger.log({ message: 'waiting for the silver run in progress', runId: running.runId });
    await this.job.close();
  }
}
