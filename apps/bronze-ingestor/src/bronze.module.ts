import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule, HealthModule, MetricsModule } from '@app/common';
import { BatchKafkaServer, kafkaClientConfig } from '@app/kafka';
import { BronzeConfig } from './config';
import { ingestController } from './ingest.controller';
import { IngestorService } from './ingestor.service';
import { ProgressController } from './progress.controller';

/**
 * 256 KiB per partition per fetch: kafkajs reassembles each response by concatenating socket
 * chunks, so bigger fetches mostly grow transient external memory. At 1 MiB the 1M-row backlog
 * bench peaked ~40 MB higher (over the 300 MB target) for no throughput gained. bench/ingest's
 * consume-only ceiling fetches the same way.
 */
export const FETCH_MAX_BYTES_PER_PARTITION = 256 * 1024;

export function createKafkaServer(config: BronzeConfig): BatchKafkaServer {
  return new BatchKafkaServer({
    client: kafkaClientConfig(config.INGEST_APP_ID, config.KAFKA_BROKERS),
    consumer: {
      groupId: config.KAFKA_GROUP_ID,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
    },
    // Delta, not Kafka, holds the offsets; a group without any starts at the earliest so nothing is skipped.
    subscribe: { fromBeginning: true },
    run: { partitionsConsumedConcurrently: config.KAFKA_TOPIC_PARTITIONS },
    postfixId: '',
  });
}

@Module({})
export class BronzeModule {
  static forRoot(config: BronzeConfig): DynamicModule {
    return {
      module: BronzeModule,
      imports: [
        AppConfigModule.forRoot(config),
        MetricsModule,
        HealthModule,
      ],
      controllers: [ingestController(config.KAFKA_TOPIC), ProgressController],
      providers: [{ provide: BatchKafkaServer, useValue: createKafkaServer(config) }, IngestorService],
      exports: [IngestorService],
    };
  }
}
