import { ServerKafka } from '@nestjs/microservices';
import { KafkaContext } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { Subject } from 'rxjs';
import { FetchDecoderKind, FetchedMessage, InstalledFetchDecoder, installFetchDecoder } from './fetch-decoder';

/** What a batch handler (`@EventPattern(topic)`) receives: raw messages of one partition, in offset order. */
export interface KafkaBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: FetchedMessage[];
  /** True once a seek on this partition made the batch obsolete: drop it. */
  isStale(): boolean;
}

export interface PartitionAssignment {
  topic: string;
  partitions: number[];
}

/**
 * Nest's Kafka transport, extended for a sink that commits its own offsets: whole batches
 * instead of single messages (Nest only offers eachMessage), no auto-commit, raw Buffers
 * (no JSON parsing, so malformed payloads reach the handler intact), and assignment events
 * so the handler can seek each partition to the offset stored with its data. Fetch responses
 * are decoded by fetch-decoder.ts (the same messages as kafkajs' decoder, for less CPU) unless
 * `fetchDecoder` is 'kafkajs' or the installed kafkajs is not the one it was verified on: it is
 * installed when the server starts and removed when it closes.
 */
export class BatchKafkaServer extends ServerKafka {
  readonly assignments$ = new Subject<PartitionAssignment[]>();
  private installed?: InstalledFetchDecoder;

  constructor(
    options: ConstructorParameters<typeof ServerKafka>[0],
    private readonly fetchDecoder: FetchDecoderKind = 'patched',
  ) {
    super(options);
  }

  /** The Fetch decoder in use since start (undefined before). */
  get fetchDecoderInUse(): FetchDecoderKind | undefined {
    return this.installed?.decoder;
  }

  override async start(callback: () => void): Promise<void> {
    this.installed ??= installFetchDecoder(this.fetchDecoder, (message) => this.logger.warn(message));
    this.logger.log(`Kafka fetch decoder in use: ${this.installed.decoder}`);
    await super.start(callback);
  }

  override async close(): Promise<void> {
    await super.close();
    this.installed?.restore();
    this.installed = undefined;
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const topics = [...this.messageHandlers.keys()];
    if (topics.length > 0) await consumer.subscribe({ ...(this.options.subscribe ?? {}), topics });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      this.assignments$.next(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
    });
    await consumer.run({
      ...(this.options.run ?? {}),
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const handler = this.getHandlerByPattern(batch.topic);
    if (!handler) {
      this.logger.error(`no handler for topic ${batch.topic}`);
      return;
    }
    const data: KafkaBatch = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      messages: batch.messages,
      isStale: payload.isStale,
    };
    const ctx = new KafkaContext([
      batch.messages[0] as never,
      batch.partition,
      batch.topic,
      this.consumer!,
      payload.heartbeat,
      this.producer!,
    ]);
    await handler(data, ctx);
    // Moves the fetch position past the batch handed over. Without it (eachBatchAutoResolve is off)
    // kafkajs fetches again from the last resolved offset, forever: a backlog larger than one fetch
    // (maxBytesPerPartition) never progresses. Not for a stale batch: the seek that made it stale is
    // applied at the next fetch and decides where reading resumes. Delta still holds the offsets.
    if (!payload.isStale()) payload.resolveOffset(batch.lastOffset());
  }

  /** The running consumer, for seeks and offset commits. */
  get kafkaConsumer(): Consumer {
    if (!this.consumer) throw new Error('the Kafka consumer is not started');
    return this.consumer;
  }
}
