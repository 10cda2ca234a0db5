import { randomUUID } from 'node:crypto';
import { CommitConflictError, DeltaTable, microsToIso, Row } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { openQuarantineTable } from './quarantine/quarantine-table';
import { ConsumerControl, eventTimeAppId, offsetAppId, SourceMessage } from './offsets';
import { healedMaxEventTime } from './watermark';
import { PendingBatch } from './buffers';
import { ClassifierThread } from './classifier-thread';
import { DEFAULT_PAYLOAD_DECODER, PayloadDecoderKind } from './decode/payload-decoder';
import { RecentItems } from '@app/common';
import { BatchProgress, eventTimeSummary } from './progress';

export interface IngestorOptions {
  /** Folder holding `bronze/ventes_stream` and `bronze/ventes_quarantine`. */
  lakehouseRoot: string;
  topic: string;
  /** Names this pipeline's offsets in the Delta log: replicas sharing it share the work. */
  appId: string;
  watermarkDelayMs: number;
  /** Events further ahead of the ingestor's clock than this are quarantined as future_event. */
  maxEventTimeAheadMs: number;
  flushMaxRows: number;
  flushMaxBytes: number;
  flushMaxLatencyMs: number;
  /** Compact small files of past days every N bronze commits (0: never). */
  compactEveryCommits: number;
  /** How payloads are decoded (PAYLOAD_DECODER); default the fastest. */
  payloadDecoder?: PayloadDecoderKind;
}

export interface IngestorHooks {
  onCommitted?(p: BatchProgress, counts: { bronze: number; quarantined: Record<string, number> }): void;
  onError?(e: Error): void;
  /** A partition's stored max event time was ahead of the clock (written before future events were refused), and was clamped. */
  onWatermarkHealed?(healed: { partition: number; storedMaxEventTime: string; clampedTo: string }): void;
  /** Background work that may fail without stopping ingestion (Kafka offset commits for lag monitoring, compaction) failed. */
  onBackgroundFailure?(task: BackgroundTask, e: Error): void;
}

export type BackgroundTask = 'kafka_offset_commit' | 'compaction';

/** Payload bytes posted to the classify worker beyond which accept() waits for it (backpressure). */
const MAX_CLASSIFY_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Kafka -> bronze Delta, exactly once. Received messages go at once to the classify worker,
 * which sorts them into bronze columns and quarantine rows; the pending batch, flushed on rows,
 * bytes or latency, is what the worker holds plus each partition's offsets here. A
 * flush writes quarantine rows first, then bronze rows with each partition's last offset and
 * max event time as `txn` actions in the same commit. Before committing it checks that the log
 * still holds the offsets this process started from; if another replica took a partition over,
 * or a commit conflicts, everything held is dropped and every partition is re-read from the
 * log's offsets (a rare path: correctness over re-reading a few batches).
 */
export class BronzeIngestor {
  readonly progress = new RecentItems<BatchProgress>(100);
  private pending: PendingBatch;
  /** Last offset received per partition: re-deliveries at or below it are skipped. */
  private readonly received = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private readonly highWatermarks = new Map<number, number>();
  /** Per partition, the max event time and watermark as last committed (or restored from the log). */
  private readonly partitionTimes = new Map<number, { maxEventTime?: number; watermark?: number }>();
  private classifier!: ClassifierThread;
  private readonly runId = randomUUID();
  private bronze!: DeltaTable;
  private quarantine!: DeltaTable;
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** Assignments being applied (kafkajs may deliver a second before the first is done). */
  private rebalances = 0;
  private batchId = 0;
  private commitsSinceCompaction = 0;
  private lastFlushEndedAt = Date.now();
  fatalError?: Error;

  constructor(
    private readonly opts: IngestorOptions,
    private readonly consumer: ConsumerControl,
    private readonly hooks: IngestorHooks = {},
  ) {
    this.pending = new PendingBatch();
  }

  async open(): Promise<void> {
    this.bronze = await DeltaTable.openOrCreate(tableLocation(this.opts.lakehouseRoot, BRONZE_TABLE), BRONZE_TABLE);
    this.quarantine = await openQuarantineTable(this.opts.lakehouseRoot);
    this.classifier = new ClassifierThread(
      {
        topic: this.opts.topic,
        watermarkDelayMicros: this.opts.watermarkDelayMs * 1000,
        maxEventTimeAheadMicros: this.opts.maxEventTimeAheadMs * 1000,
        payloadDecoder: this.opts.payloadDecoder ?? DEFAULT_PAYLOAD_DECODER,
      },
      (e) => this.fail(e),
    );
    this.timer = setInterval(
      () => {
        if (this.pending.size.ageMs >= this.opts.flushMaxLatencyMs) void this.flush().catch(() => undefined);
      },
      Math.max(10, Math.min(100, this.opts.flushMaxLatencyMs / 4)),
    );
  }

  get tables(): { bronze: DeltaTable; quarantine: DeltaTable } {
    return { bronze: this.bronze, quarantine: this.quarantine };
  }

  /** Lag per partition: messages in Kafka past the last offset committed to Delta. */
  lag(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const [p, hw] of this.highWatermarks) out[p] = Math.max(0, hw - ((this.committed.get(p) ?? -1) + 1));
    return out;
  }

  /** Payload bytes received and not yet decoded by the classify worker: grows when it falls behind Kafka. */
  get classifyBacklogBytes(): number {
    return this.classifier?.backlogBytes ?? 0;
  }

  /** Per partition, the max event time and the watermark (epoch microseconds) as committed to Delta. */
  partitionEventTimes(): ReadonlyMap<number, { maxEventTime?: number; watermark?: number }> {
    return this.partitionTimes;
  }

  committedOffsets(): Record<number, number> {
    return Object.fromEntries(this.committed);
  }

  /**
   * New assignment: wait for the flush in flight, drop what is pending, and seek every assigned
   * partition to the offset after the one stored in bronze (the earliest when none is). No flush
   * may start meanwhile: one that took the pending batch while the offsets are reset would commit
   * it after Kafka re-delivered the same offsets into the next batch, which would commit them again.
   */
  async onAssignment(partitions: number[]): Promise<void> {
    this.rebalances++;
    try {
      while (this.flushing) await this.flushing.catch(() => undefined);
      await this.bronze.update();
      this.dropPending();
      this.committed.clear();
      this.partitionTimes.clear();
      for (const p of partitions) this.resyncPartition(p);
    } finally {
      this.rebalances--;
    }
  }

  /**
   * Hands a batch of one partition to the classify worker and notes its offsets in the pending
   * batch; waits only when the worker falls behind, or when the pending batch is full while a
   * flush is still in flight (backpressure).
   */
  async accept(
    partition: number,
    messages: readonly SourceMessage[],
    highWatermark: string,
    isStale: () => boolean = () => false,
  ): Promise<void> {
    if (this.fatalError) throw this.fatalError;
    this.highWatermarks.set(partition, Number(highWatermark));
    if (this.rebalances > 0 || !this.committed.has(partition)) return;
    // Checked once: only a seek makes a batch stale, and none can run during this synchronous step
    // (kafkajs' isStale builds a string key per call: checked per message, it showed in ingestion profiles).
    if (isStale()) return;
    // Offsets at or below what is committed or already received are re-deliveries after a seek
    // or a restart, skipped as kafka-delta-ingest's ValueBuffers does.
    const floor = Math.max(this.committed.get(partition)!, this.received.get(partition) ?? -1);
    let from = 0;
    while (from < messages.length && Number(messages[from].offset) <= floor) from++;
    if (from === messages.length) return;
    const fresh = from ? messages.slice(from) : messages;
    this.pending.add(partition, fresh, this.classifier.add(partition, fresh, Date.now() * 1000));
    this.received.set(partition, Number(messages[messages.length - 1].offset));
    if (this.classifier.backlogBytes > MAX_CLASSIFY_BACKLOG_BYTES) await this.classifier.drained(MAX_CLASSIFY_BACKLOG_BYTES);
    if (this.fatalError) throw this.fatalError;
    const { rows, bytes } = this.pending.size;
    if (rows < this.opts.flushMaxRows && bytes < this.opts.flushMaxBytes) return;
    // A full batch is flushed in the background so that Kafka fetches the next one while DuckDB
    // writes: at most one flush in flight plus one pending batch. A batch full again while that
    // flush runs waits for it (backpressure). A failed flush sets fatalError, which the next
    // call throws.
    if (this.flushing) await this.flushing.catch(() => undefined);
    if (this.fatalError) throw this.fatalError;
    void this.flush().catch(() => undefined);
  }

  /**
   * Commits everything pending; concurrent callers share the flush in flight. Nothing starts
   * while an assignment is applied: what is pending then is dropped and re-read.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending.size.rows ? this.flush() : undefined));
    if (this.pending.size.rows === 0 || this.rebalances > 0) return Promise.resolve();
    this.flushing = this.doFlush()
      .catch((e: Error) => {
        this.fail(e);
        throw e;
      })
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const started = Date.now();
    const batch = this.pending;
    this.pending = new PendingBatch();
    // Posted before anything else, so the worker's batch holds exactly the messages of `batch`.
    const classifying = this.classifier.finish();
    classifying.catch(() => undefined); // awaited below, unless a rewind drops the batch first
    const { topic, appId } = this.opts;
    await Promise.all([this.bronze.update(), this.quarantine.update()]);
    const getBatchDone = Date.now();

    // Another replica wrote one of these partitions since we took it: re-read all from the log.
    for (const p of batch.partitions.keys()) {
      if ((this.bronze.txnVersion(offsetAppId(appId, topic, p)) ?? -1) !== (this.committed.get(p) ?? -1)) return this.rewind();
    }

    const { bronze, quarantine, late, future, eventTimes, partitions } = await classifying;
    const partitionsQuarantined = new Set(quarantine.map((r) => r.kafka_partition as number));
    // Quarantine rows a previous run already committed (crash between the two commits) are skipped.
    const quarantinedBefore = new Map([...partitionsQuarantined].map((p) => [p, this.quarantine.txnVersion(offsetAppId(appId, topic, p)) ?? -1]));
    const quarantineRows: Row[] = quarantine.filter((r) => Number(r.kafka_offset) > quarantinedBefore.get(r.kafka_partition as number)!);
    const maxEventTimes = new Map(partitions.map((p) => [p.partition, p.maxEventTime]));
    const txns: Array<{ appId: string; version: number }> = [];
    const quarantineTxns: Array<{ appId: string; version: number }> = [];
    const sources: BatchProgress['sources'] = [];
    for (const [p, slice] of batch.partitions) {
      txns.push({ appId: offsetAppId(appId, topic, p), version: slice.lastOffset });
      const maxEventTime = maxEventTimes.get(p);
      if (maxEventTime !== undefined) txns.push({ appId: eventTimeAppId(appId, topic, p), version: maxEventTime });
      if (partitionsQuarantined.has(p)) quarantineTxns.push({ appId: offsetAppId(appId, topic, p), version: slice.lastOffset });
      sources.push({
        description: `KafkaV2[Subscribe[${topic}]]`,
        startOffset: { [p]: slice.firstOffset },
        endOffset: { [p]: slice.lastOffset + 1 },
        numInputRows: slice.messages,
      });
    }
    const inputRows = batch.size.rows;

    let version: number;
    try {
      if (quarantineRows.length) {
        await this.quarantine.append(
          { rows: quarantineRows },
          { txns: quarantineTxns, operation: 'STREAMING UPDATE', operationParameters: { outputMode: 'Append', queryId: appId } },
        );
      }
      ({ version } = await this.bronze.append(
        { columns: bronze },
        {
          txns,
          operation: 'STREAMING UPDATE',
          operationParameters: { outputMode: 'Append', queryId: appId, epochId: String(this.batchId) },
        },
      ));
    } catch (e) {
      if (!(e instanceof CommitConflictError)) throw e;
      // Another replica committed offsets of one of our partitions meanwhile: replay from the log.
      return this.rewind();
    }
    const addBatchDone = Date.now();
    for (const [p, slice] of batch.partitions) this.committed.set(p, slice.lastOffset);
    for (const p of partitions) this.partitionTimes.set(p.partition, { maxEventTime: p.maxEventTime, watermark: p.watermark });
    await this.consumer
      .commitOffsets([...batch.partitions.keys()].map((p) => ({ topic, partition: p, offset: this.committed.get(p)! + 1 })))
      // Kafka's offsets serve lag monitoring only (Delta holds the truth): a failure is reported, not fatal.
      .catch((e: Error) => this.hooks.onBackgroundFailure?.('kafka_offset_commit', e));
    const done = Date.now();
    const watermark = partitions.map((p) => p.watermark).filter((w): w is number => w !== undefined);
    const progress: BatchProgress = {
      id: appId,
      runId: this.runId,
      name: `bronze-${BRONZE_TABLE.name}`,
      batchId: this.batchId++,
      timestamp: new Date(started).toISOString(),
      numInputRows: inputRows,
      inputRowsPerSecond: inputRows / Math.max(0.001, (started - this.lastFlushEndedAt) / 1000),
      processedRowsPerSecond: inputRows / Math.max(0.001, (done - started) / 1000),
      durationMs: {
        getBatch: getBatchDone - started,
        addBatch: addBatchDone - getBatchDone,
        commitOffsets: done - addBatchDone,
        triggerExecution: done - started,
      },
      eventTime: eventTimeSummary(eventTimes, watermark.length ? Math.min(...watermark) : undefined),
      sources,
      sink: { description: `DeltaSink[${this.bronze.uri}]`, numOutputRows: bronze.numRows, deltaVersion: version },
      numLateRows: late,
      numFutureRows: future,
      // Counted on what is written: a replay after a crash between the two commits writes fewer.
      numRejectedRows: quarantineRows.filter((r) => r.reason !== 'late_event' && r.reason !== 'future_event').length,
    };
    this.lastFlushEndedAt = done;
    this.progress.push(progress);
    const quarantined: Record<string, number> = {};
    for (const r of quarantineRows) quarantined[r.reason as string] = (quarantined[r.reason as string] ?? 0) + 1;
    this.hooks.onCommitted?.(progress, { bronze: bronze.numRows, quarantined });
    await this.maybeCompact();
  }

  /** Drops everything pending, and seeks every partition back to the offset stored in the log. */
  private rewind(): void {
    this.dropPending();
    for (const p of this.committed.keys()) this.resyncPartition(p);
  }

  private dropPending(): void {
    this.pending = new PendingBatch();
    this.classifier.drop();
    this.received.clear();
  }

  private fail(e: Error): void {
    if (this.fatalError) return;
    this.fatalError = e;
    this.hooks.onError?.(e);
  }

  /** Takes a partition's offset and max event time from the log, and seeks it to the next offset. */
  private resyncPartition(p: number): void {
    const { appId, topic } = this.opts;
    const stored = this.bronze.txnVersion(offsetAppId(appId, topic, p));
    const storedMaxEvent = this.bronze.txnVersion(eventTimeAppId(appId, topic, p));
    const nowMicros = Date.now() * 1000;
    const maxEvent = healedMaxEventTime(storedMaxEvent, nowMicros);
    if (maxEvent !== storedMaxEvent) {
      this.hooks.onWatermarkHealed?.({ partition: p, storedMaxEventTime: microsToIso(storedMaxEvent!), clampedTo: microsToIso(maxEvent!) });
    }
    this.committed.set(p, stored ?? -1);
    this.partitionTimes.set(p, { maxEventTime: maxEvent, watermark: maxEvent === undefined ? undefined : maxEvent - this.opts.watermarkDelayMs * 1000 });
    this.classifier.resetWatermark(p, maxEvent);
    this.consumer.seek(topic, p, stored === undefined ? -1 : stored + 1);
  }

  /** Small files of past days are compacted; today's keep receiving appends. Failures are not fatal. */
  private async maybeCompact(): Promise<void> {
    if (this.opts.compactEveryCommits <= 0 || ++this.commitsSinceCompaction < this.opts.compactEveryCommits) return;
    this.commitsSinceCompaction = 0;
    const today = new Date().toISOString().slice(0, 10);
    for (const table of [this.bronze, this.quarantine]) {
      await table.optimize({ partitionFilters: [{ column: 'jour', op: '<', value: today }] }).catch((e: Error) => this.hooks.onBackgroundFailure?.('compaction', e));
    }
  }

  /** Graceful stop: no more input is accepted, and what is buffered is committed. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing?.catch(() => undefined);
    try {
      if (!this.fatalError) await this.flush();
    } finally {
      await this.classifier?.close();
    }
  }
}
