import { Controller, DefaultValuePipe, Get, HttpCode, InternalServerErrorException, ParseIntPipe, Post, Query, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '@app/common';
import { describeError, MaintenanceReport, RunReport, SaleConflict, SilverJobClosedError } from '@app/silver';
import { SilverReadiness, SilverSchedulerService } from './silver-scheduler.service';

const clampLimit = (limit: number) => Math.max(1, Math.min(100, limit));

@ApiTags('silver')
@Controller('silver')
export class SilverController {
  constructor(private readonly scheduler: SilverSchedulerService) {}

  /** Runs a refresh now and answers with its report; if one is already running or queued, waits for it and answers with that one. */
  @Post('run')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Report of the run' })
  async run(): Promise<RunReport> {
    try {
      return await this.scheduler.runSilver('manual');
    } catch (e) {
      if (e instanceof SilverJobClosedError) throw new ServiceUnavailableException(e.message);
      // The report carries the error class and its first line, never the SQL text DuckDB puts in its messages.
      throw new InternalServerErrorException({ message: 'silver run failed', ...describeError(e), run: this.scheduler.job.runs.last });
    }
  }

  /** The last runs, oldest first, with the one in progress (if any) last. */
  @Get('runs')
  @ApiQuery({ name: 'limit', required: false, example: 20 })
  @ApiOkResponse({ description: 'Recent run reports, oldest first' })
  runs(@Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number) {
    const job = this.scheduler.job;
    return { running: job.running !== undefined, runs: job.runs.recent(clampLimit(limit)) };
  }

  /**
   * Sales whose `vente_id` arrived again with another payload: every occurrence, the counted
   * (first) one flagged `is_first`. Read from silver's occurrence bookkeeping (silver/sale_occurrences).
   */
  @Get('conflicts')
  @ApiQuery({ name: 'limit', required: false, example: 20 })
  @ApiOkResponse({ description: 'Conflicting sales, by vente_id' })
  async conflicts(@Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number): Promise<{ conflicts: SaleConflict[] }> {
    return { conflicts: await this.scheduler.job.conflicts(clampLimit(limit)) };
  }
}

@ApiTags('maintenance')
@Controller('maintenance')
export class MaintenanceController {
  constructor(private readonly scheduler: SilverSchedulerService) {}

  /** Runs maintenance now (after the silver run in progress, if any) and answers with its report. */
  @Post('run')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Report of the maintenance run (status failed when a table failed; the others were maintained)' })
  run(): Promise<MaintenanceReport> {
    return this.scheduler.runMaintenance('manual');
  }

  @Get('runs')
  @ApiQuery({ name: 'limit', required: false, example: 20 })
  @ApiOkResponse({ description: 'Recent maintenance reports, oldest first' })
  runs(@Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number) {
    const m = this.scheduler.maintenance;
    return { running: m.running !== undefined, runs: m.runs.recent(clampLimit(limit)) };
  }
}

/**
 * Readiness, apart from liveness (/health): 503 while silver is failing or stale, so k8s takes the
 * pod out of its Service without restarting a process that is working as it should.
 */
@ApiTags('operations')
@Controller('health')
export class ReadinessController {
  constructor(private readonly scheduler: SilverSchedulerService) {}

  @Get('ready')
  @ApiOkResponse({ description: 'Silver is up to date: the last run succeeded, recently enough' })
  @ApiServiceUnavailableResponse({ description: 'The last run failed, silver is stale, or no run has finished yet' })
  ready(): SilverReadiness {
    const r = this.scheduler.readiness();
    if (!r.ready) throw new ServiceUnavailableException(r);
    return r;
  }
}
