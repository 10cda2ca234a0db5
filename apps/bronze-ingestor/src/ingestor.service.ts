import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, HealthChecks, healthResult, MetricsRegistry } from '@app/common';
import { BronzeIngestor, PayloadDecoderKind, ReasonOnsets } from '@app/ingest';
import { BatchKafkaServer, ensureTopic, KAFKA_SECURITY, KafkaBatch, KafkaSecurity } from '@app/kafka';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Subscription } from 'rxjs';
import { BronzeConfig } from './config';

/** Wires the Kafka transport to the bronze ingestor, and exposes its state to health and metrics. */
@Injectable()
export class IngestorService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('BronzeIngestor');
  readonly ingestor: BronzeIngestor;
  private consumerStatus = 'starting';
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: BronzeConfig,
    @Inject(KAFKA_SECURITY) private readonly security: KafkaSecurity,
    readonly server: BatchKafkaServer,
    metrics: MetricsRegistry,
    health: HealthChecks,
  ) {
    health.register('kafka-consumer', () => {
      const h = this.healthy;
      return healthResult('kafka-consumer', h.up, { consumer: h.consumer, ...(h.error ? { error: h.error } : {}) });
    });
    const rows = new Counter({ name: 'bronze_rows_total', help: 'Rows committed to the bronze table', registers: [metrics] });
    const quarantined = new Counter({ name: 'bronze_quarantined_rows_total', help: 'Messages sent to quarantine', labelNames: ['reason'], registers: [metrics] });
    const commits = new Counter({ name: 'bronze_commits_total', help: 'Delta commits of the bronze table', registers: [metrics] });
    const backgroundFailures = new Counter({
      name: 'bronze_background_failures_total',
      help: 'Failures of background work that does not stop ingestion (Kafka offset commits for lag monitoring, compaction)',
      labelNames: ['task'],
      registers: [metrics],
    });
    const onsets = new ReasonOnsets(config.QUARANTINE_QUIET_PERIOD);
    const duration = new Histogram({ name: 'bronze_batch_duration_seconds', help: 'Micro-batch duration, from drain to Kafka commit', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [metrics] });
    this.ingestor = new BronzeIngestor(
      {
        lakehouseRoot: config.LAKEHOUSE_ROOT,
        topic: config.KAFKA_TOPIC,
        appId: config.INGEST_APP_ID,
        watermarkDelayMs: config.WATERMARK_DELAY,
        maxEventTimeAheadMs: config.MAX_EVENT_TIME_AHEAD,
        flushMaxRows: config.FLUSH_MAX_ROWS,
        flushMaxBytes: config.FLUSH_MAX_BYTES,
        flushMaxLatencyMs: config.FLUSH_MAX_LATENCY,
        compactEveryCommits: config.COMPACT_EVERY_COMMITS,
        // loadEnv checked it is one of PAYLOAD_DECODERS.
        payloadDecoder: config.PAYLOAD_DECODER as PayloadDecoderKind,
      },
      {
        seek: (topic, partition, offset) => this.server.kafkaConsumer.seek({ topic, partition, offset: String(offset === -1 ? -2 : offset) }),
        commitOffsets: (offsets) => this.server.kafkaConsumer.commitOffsets(offsets.map((o) => ({ ...o, offset: String(o.offset) }))),
      },
      {
        onCommitted: (p, counts) => {
          rows.inc(counts.bronze);
          for (const [reason, n] of Object.entries(counts.quarantined)) quarantined.inc({ reason }, n);
          for (const reason of onsets.observe(counts.quarantined, Date.now())) {
            this.logger.warn({ message: 'quarantine reason started firing', reason, rows: counts.quarantined[reason], batchId: p.batchId });
          }
          commits.inc();
          duration.observe(p.durationMs.triggerExecution / 1000);
          this.logger.debug({ message: 'micro-batch committed', batchId: p.batchId, rows: p.numInputRows, version: p.sink.deltaVersion });
        },
        onError: (e) => this.logger.error({ message: 'ingestion stopped', error: e.message }),
        onBackgroundFailure: (task, e) => {
          backgroundFailures.inc({ task });
          this.logger.warn({ message: `${task} failed; ingestion goes on`, task, error: e.message });
        },
        onWatermarkHealed: (h) =>
          this.logger.warn({ message: 'stored max event time was ahead of the clock: clamped to the clock', ...h }),
      },
    );
    const ingestor = this.ingestor;
    new Gauge({
      name: 'bronze_kafka_lag',
      help: 'Messages in Kafka past the offset committed to Delta, per partition',
      labelNames: ['partition'],
      registers: [metrics],
      collect() {
        this.reset();
        for (const [p, lag] of Object.entries(ingestor.lag())) this.set({ partition: p }, lag);
      },
    });
    for (const [name, help, key] of [
      ['bronze_watermark_seconds', 'Watermark (max event time minus WATERMARK_DELAY) per partition, as committed to Delta, in Unix seconds', 'watermark'],
      ['bronze_max_event_time_seconds', 'Max event time seen per partition, as committed to Delta, in Unix seconds', 'maxEventTime'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['partition'],
        registers: [metrics],
        collect() {
          this.reset();
          for (const [p, times] of ingestor.partitionEventTimes()) {
            const micros = times[key];
            if (micros !== undefined) this.set({ partition: String(p) }, micros / 1e6);
          }
        },
      });
    }
    new Gauge({
      name: 'bronze_classify_backlog_bytes',
      help: 'Payload bytes received from Kafka and not yet decoded by the classify worker thread',
      registers: [metrics],
      collect() {
        this.set(ingestor.classifyBacklogBytes);
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await ensureTopic(this.config.KAFKA_BROKERS, this.config.KAFKA_TOPIC, this.config.KAFKA_TOPIC_PARTITIONS, this.security, this.config.KAFKA_GROUP_ID);
    await this.ingestor.open();
    this.logger.log({ message: 'payload decoder in use', payloadDecoder: this.config.PAYLOAD_DECODER });
    this.subscriptions.push(
      this.server.assignments$.subscribe((assignments) => {
        const mine = assignments.find((a) => a.topic === this.config.KAFKA_TOPIC)?.partitions ?? [];
        this.logger.log({ message: 'partitions assigned', partitions: mine });
        void this.ingestor.onAssignment(mine);
      }),
      this.server.status.subscribe((s) => (this.consumerStatus = String(s))),
    );
  }

  handleBatch(batch: KafkaBatch): Promise<void> {
    return this.ingestor.accept(batch.partition, batch.messages, batch.highWatermark, batch.isStale);
  }

  get healthy(): { up: boolean; consumer: string; error?: string } {
    const error = this.ingestor.fatalError?.message;
    return { up: this.consumerStatus !== 'crashed' && !error, consumer: this.consumerStatus, ...(error ? { error } : {}) };
  }

  /** Runs after Nest closed the consumer (kafkajs waits for the batch in flight): commit what is buffered. */
  async onApplicationShutdown(): Promise<void> {
    this.subscriptions.forEach((s) => s.unsubscribe());
    await this.ingestor.close();
    this.logger.log({ message: 'ingestor stopped', committedOffsets: this.ingestor.committedOffsets() });
  }
}
