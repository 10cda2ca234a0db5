import { Controller, DefaultValuePipe, Get, ParseIntPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IngestorService } from './ingestor.service';

@ApiTags('streaming')
@Controller('progress')
export class ProgressController {
  constructor(private readonly ingest: IngestorService) {}

  /** Spark-style `recentProgress`, plus lag, committed offsets and totals. */
  @Get()
  @ApiQuery({ name: 'limit', required: false, example: 10 })
  @ApiOkResponse({ description: 'Last micro-batches, newest last' })
  progress(@Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number) {
    const ingestor = this.ingest.ingestor;
    const recent = ingestor.progress.recent(Math.max(1, Math.min(100, limit)));
    return {
      recentProgress: recent,
      lag: ingestor.lag(),
      committedOffsets: ingestor.committedOffsets(),
      totals: {
        lateRows: recent.reduce((n, p) => n + p.numLateRows, 0),
        futureRows: recent.reduce((n, p) => n + p.numFutureRows, 0),
        rejectedRows: recent.reduce((n, p) => n + p.numRejectedRows, 0),
      },
      bronzeVersion: ingestor.tables.bronze.version,
      quarantineVersion: ingestor.tables.quarantine.version,
    };
  }
}
