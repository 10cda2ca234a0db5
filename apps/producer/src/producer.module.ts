import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { Partitioners } from 'kafkajs';
import { AppConfigModule, HealthModule, MetricsModule } from '@app/common';
import { KAFKA_SECURITY, kafkaClientConfig, KafkaSecurity, loadKafkaSecurity } from '@app/kafka';
import { ProducerConfig } from './config';
import { ProducerController } from './producer.controller';
import { SALES_CLIENT, SalesPublisher } from './sales-publisher.service';

@Module({})
export class ProducerModule {
  static forRoot(config: ProducerConfig): DynamicModule {
    // Read when the app is built (the files are there only where it runs), shared by the client and the publisher.
    const security: Provider = { provide: KAFKA_SECURITY, useFactory: () => loadKafkaSecurity(config) };
    return {
      module: ProducerModule,
      imports: [
        AppConfigModule.forRoot(config),
        MetricsModule,
        ClientsModule.registerAsync([
          {
            name: SALES_CLIENT,
            extraProviders: [security],
            inject: [KAFKA_SECURITY],
            useFactory: (kafkaSecurity: KafkaSecurity) => ({
              transport: Transport.KAFKA,
              options: {
                client: kafkaClientConfig('sales-producer', config.KAFKA_BROKERS, kafkaSecurity),
                // Idempotent: broker-side dedup of retries, so a retry never publishes a sale twice.
                producer: {
                  idempotent: true,
                  maxInFlightRequests: 1,
                  allowAutoTopicCreation: false,
                  createPartitioner: Partitioners.DefaultPartitioner,
                  // An idempotent producer must not give up on a retry (kafkajs warns it breaks the guarantee).
                  retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
                },
                producerOnlyMode: true,
              },
            }),
          },
        ]),
        HealthModule,
      ],
      controllers: [ProducerController],
      providers: [security, SalesPublisher],
    };
  }
}
