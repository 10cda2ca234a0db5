import { Controller, Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { KafkaBatch } from '@app/kafka';
import { IngestorService } from './ingestor.service';

/** The topic comes from configuration, so the controller is built once it is known. */
export function ingestController(topic: string): Type<unknown> {
  @Controller()
  class IngestController {
    constructor(private readonly ingest: IngestorService) {}

    @EventPattern(topic)
    onBatch(@Payload() batch: KafkaBatch): Promise<void> {
      return this.ingest.handleBatch(batch);
    }
  }
  return IngestController;
}
