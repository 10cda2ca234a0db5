import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SalesPublisher } from './sales-publisher.service';

@ApiTags('producer')
@Controller('producer')
export class ProducerController {
  constructor(private readonly publisher: SalesPublisher) {}

  /** Sales sent, acknowledged by Kafka and failed since start. */
  @Get('stats')
  stats() {
    return this.publisher.snapshot;
  }
}
