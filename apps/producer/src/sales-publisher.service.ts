import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { APP_CONFIG, HealthChecks, healthResult, MetricsRegistry } from '@app/common';
import { ensureTopic, KAFKA_SECURITY, KafkaSecurity } from '@app/kafka';
import { instanceIdFrom, SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { lastValueFrom } from 'rxjs';
import { ProducerConfig } from './config';

export const SALES_CLIENT = 'SALES_CLIENT';

export interface PublisherStats {
  sent: number;
  acked: number;
  failed: number;
  running: boolean;
}

/**
 * Publishes simulated sales at the configured rate, keyed by client_id, through Nest's Kafka
 * client with an idempotent producer. Every send is awaited so acks and failures are counted.
 */
@Injectable()
export class SalesPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SalesPublisher');
  private readonly generator: SalesGenerator;
  private readonly stats: PublisherStats = { sent: 0, acked: 0, failed: 0, running: false };
  private readonly acks: Counter;
  private readonly failures: Counter;
  private loop?: Promise<void>;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: ProducerConfig,
    @Inject(SALES_CLIENT) private readonly client: ClientKafka,
    @Inject(KAFKA_SECURITY) private readonly security: KafkaSecurity,
    metrics: MetricsRegistry,
    health: HealthChecks,
  ) {
    health.register('producer', () => healthResult('producer', this.stats.failed === 0 || this.stats.acked > 0, { ...this.stats }));
    const instance = instanceIdFrom(config.PRODUCER_INSTANCE_ID, hostname());
    this.generator = new SalesGenerator(
      { clients: config.PRODUCER_CLIENTS, products: config.PRODUCER_PRODUCTS },
      new SaleIdGenerator(instance),
      config.PRODUCER_SEED || Date.now(),
    );
    this.acks = new Counter({ name: 'producer_acked_total', help: 'Sales acknowledged by Kafka', registers: [metrics] });
    this.failures = new Counter({ name: 'producer_failed_total', help: 'Sales whose delivery failed', registers: [metrics] });
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureTopic(this.config.KAFKA_BROKERS, this.config.KAFKA_TOPIC, this.config.KAFKA_TOPIC_PARTITIONS, this.security);
    await this.client.connect();
    this.stats.running = true;
    this.loop = this.run().finally(() => (this.stats.running = false));
  }

  get snapshot(): PublisherStats {
    return { ...this.stats };
  }

  /** Paces by elapsed time, so high rates send batches and low rates one sale per tick. */
  private async run(): Promise<void> {
    const { PRODUCER_RATE: rate, PRODUCER_TOTAL: total } = this.config;
    const started = Date.now();
    const tickMs = Math.max(10, Math.min(1000 / rate, 100));
    while (!this.stopping && (total === 0 || this.stats.sent < total)) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate) + 1;
      let n = Math.min(due - this.stats.sent, 10_000);
      if (total > 0) n = Math.min(n, total - this.stats.sent);
      if (n > 0) await this.publish(n);
      else await new Promise((r) => setTimeout(r, tickMs));
    }
    this.logger.log({ message: 'producer finished', ...this.stats });
  }

  private async publish(n: number): Promise<void> {
    const now = new Date();
    const messages = Array.from({ length: n }, () => {
      const sale = this.generator.next(now);
      return { key: String(sale.client_id), value: JSON.stringify(sale) };
    });
    this.stats.sent += n;
    try {
      await lastValueFrom(this.client.emitBatch(this.config.KAFKA_TOPIC, { messages }));
      this.stats.acked += n;
      this.acks.inc(n);
    } catch (e) {
      this.stats.failed += n;
      this.failures.inc(n);
      this.logger.error({ message: 'delivery failed', count: n, error: (e as Error).message });
    }
  }

  /** Graceful stop: finish the batch in flight (its acks are awaited), then disconnect. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.client.close();
  }
}
