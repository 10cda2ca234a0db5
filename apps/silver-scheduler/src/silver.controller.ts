import { Controller, DefaultValuePipe, Get, HttpCode, InternalServerErrorException, ParseIntPipe, Post, Query, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '@app/common';
import { RunReport, SilverJobClosedError } from '@app/silver';
import { SilverSchedulerService } from './silver-scheduler.service';

@ApiTags('silver')
@Controller('silver')
export class SilverController {
  constructor(private readonly scheduler: SilverSchedulerService) {}

  /** Runs a refresh now and answers with its report; if one is already running, waits for it and answers with that one. */
  @Post('run')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Report of the run' })
  async run(): Promise<RunReport> {
    try {
      return await this.scheduler.job.run('manual');
    } catch (e) {
      if (e instanceof SilverJobClosedError) throw new ServiceUnavailableException(e.message);
      // The error (it may quote SQL) is logged by the scheduler service with the run id; the client gets the id.
      throw new InternalServerErrorException(`the silver run failed (run ${this.scheduler.job.runs.last?.runId ?? 'unknown'}); its error is in the silver-scheduler log`);
    }
  }

  /** The last runs, oldest first, with the one in progress (if any) last. */
  @Get('runs')
  @ApiQuery({ name: 'limit', required: false, example: 20 })
  @ApiOkResponse({ description: 'Recent run reports, oldest first' })
  runs(@Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number) {
    const job = this.scheduler.job;
    return { running: job.running !== undefined, runs: job.runs.recent(Math.max(1, Math.min(100, limit))) };
  }
}
