import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Logger, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, RequireRole } from '@app/common';
import { InvalidSelectionError, MAX_PAGE_ROWS, QuarantineOperations, QuarantinePage, ReplayReport } from '@app/ingest';
import { QUARANTINE_REASONS } from '@app/schemas';
import { BronzeConfig } from './config';

/** A bad parameter as a 400 naming it. */
async function badRequestOnInvalid<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof InvalidSelectionError) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [e.message], parameter: e.parameter });
    throw e;
  }
}

const SELECTION_PARAMETERS = 'reason, from, to, partition, fromOffset, toOffset';

/** The quarantine table: browse it (its rows are raw payloads) and put chosen rows back into bronze; operators only. */
@ApiTags('quarantine')
@Controller('quarantine')
@RequireRole('operator')
export class QuarantineController {
  private readonly logger = new Logger('Quarantine');
  private readonly operations: QuarantineOperations;

  constructor(@Inject(APP_CONFIG) config: BronzeConfig) {
    this.operations = new QuarantineOperations(config.LAKEHOUSE_ROOT, {
      appId: config.INGEST_APP_ID,
      watermarkDelayMs: config.WATERMARK_DELAY,
      maxEventTimeAheadMs: config.MAX_EVENT_TIME_AHEAD,
    });
  }

  @Get()
  @ApiOkResponse({ description: 'Quarantined rows in Kafka order (a page), with the count per reason of the whole selection' })
  @ApiQuery({ name: 'reason', required: false, description: `Comma-separated reasons among ${QUARANTINE_REASONS.join(', ')}` })
  @ApiQuery({ name: 'from', required: false, description: 'Ingested at or after this instant (ISO-8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'Ingested before this instant (ISO-8601)' })
  @ApiQuery({ name: 'partition', required: false, description: 'Kafka partition' })
  @ApiQuery({ name: 'fromOffset', required: false, description: 'First Kafka offset (with partition)' })
  @ApiQuery({ name: 'toOffset', required: false, description: 'Last Kafka offset, inclusive (with partition)' })
  @ApiQuery({ name: 'limit', required: false, description: `Rows per page (1-${MAX_PAGE_ROWS}, default 100)` })
  @ApiQuery({ name: 'offset', required: false, description: 'Rows skipped (default 0)' })
  list(@Query() query: Record<string, unknown>): Promise<QuarantinePage> {
    return badRequestOnInvalid(() => this.operations.list(query));
  }

  @Post('replay')
  @HttpCode(200)
  @ApiBody({
    description:
      `A selection (${SELECTION_PARAMETERS}; at least one)` +
      ' and options: skipWatermark, skipFutureCheck, dryRun (booleans), chunkRows. Each row lands in bronze once, with its Kafka coordinates.',
    schema: { type: 'object', example: { reason: 'late_event', from: '2026-12-01T00:00:00Z', skipWatermark: true } },
  })
  @ApiOkResponse({ description: 'What was replayed, already in bronze, or still refused (per reason)' })
  async replay(@Body() body: Record<string, unknown> | undefined): Promise<ReplayReport> {
    const report = await badRequestOnInvalid(() => this.operations.replay(body ?? {}));
    this.logger.log({ message: 'quarantine replay', ...report, refusedSamples: report.refusedSamples.length });
    return report;
  }
}

