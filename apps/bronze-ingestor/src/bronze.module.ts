import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule, AuthModule, AuthOptions, HealthModule, MetricsModule } from '@app/common';
import { BatchKafkaServer, FetchDecoderKind, KAFKA_SECURITY, kafkaClientConfig, KafkaSecurity, loadKafkaSecurity } from '@app/kafka';
import { BronzeConfig } from './config';
import { ingestController } from './ingest.controller';
import { IngestorService } from './ingestor.service';
import { ProgressController } from './progress.controller';
import { QuarantineController } from './quarantine.controller';

/**
 * 1 MiB per partition per fetch. The broker returns a record batch larger than this limit only
 * for the first partition of a response (so that the consumer progresses); other partitions whose
 * next batch is larger return nothing in that fetch. At 256 KiB, a producer batching ~1 MB per
 * partition (bench/ingest's prefill) got one partition per fetch, and the ingestor's cost per
 * fetch capped its throughput. Larger fetches were no faster and cost memory: kafkajs reassembles
 * each response by concatenating socket chunks. bench/ingest measures it (bench/results/ingest.json),
 * and its consume-only ceiling fetches the same way.
 */
export const FETCH_MAX_BYTES_PER_PARTITION = 1024 * 1024;

export function createKafkaServer(config: BronzeConfig, security: KafkaSecurity): BatchKafkaServer {
  return new BatchKafkaServer(
    {
      client: kafkaClientConfig(config.INGEST_APP_ID, config.KAFKA_BROKERS, security),
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
    },
    // loadEnv checked it is one of FETCH_DECODERS.
    config.KAFKA_FETCH_DECODER as FetchDecoderKind,
  );
}

@Module({})
export class BronzeModule {
  static forRoot(config: BronzeConfig, auth: AuthOptions): DynamicModule {
    return {
      module: BronzeModule,
      imports: [AppConfigModule.forRoot(config), AuthModule.forRoot(auth), MetricsModule, HealthModule],
      controllers: [ingestController(config.KAFKA_TOPIC), ProgressController, QuarantineController],
      providers: [
        // Read when the app is built (the files are there only where it runs).
        { provide: KAFKA_SECURITY, useFactory: () => loadKafkaSecurity(config) },
        {
          provide: BatchKafkaServer,
          useFactory: (security: KafkaSecurity) => createKafkaServer(config, security),
          inject: [KAFKA_SECURITY],
        },
        IngestorService,
      ],
      exports: [IngestorService],
    };
  }
}
