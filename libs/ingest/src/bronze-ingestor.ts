import { randomUUID } from 'node:crypto';
import { CommitConflictError, DeltaTable, Row } from '@app/delta';
import { BRONZE_TABLE, openOrCreateTable, QUARANTINE_TABLE } from '@app/schemas';
import { ConsumerControl, eventTimeAppId, offsetAppId, SourceMessage } from './offsets';
import { PartitionBuffers } from './buffers';
import { classify } from './transforms';
import { PartitionWatermarks } from './watermark';
import { RecentItems } from '@app/common/recent-items';
import { BatchProgress, eventTimeSummary } from './progress';

export interface IngestorOptions {
  /** Folder holding `bronze/ventes_stream` and `bronze/ventes_quarantine`. */
  lakehouseRoot: string;
  topic: string;
  /** Names this pipeline's offsets in the Delta log: replicas sharing it share the work. */
  appId: string;
  watermarkDelayMs: number;
  flushMaxRows: number;
  flushMaxBytes: number;
  flushMaxLatencyMs: number;
  /** Compact small files of past days every N bronze commits (0: never). */
  compactEveryCommits: number;
}

export interface IngestorHooks {
  onCommitted?(p: BatchProgress, counts: { bronze: number; quarantined: Record<string, number> }): void;
  onError?(e: Error): void;
}

/**
 * Kafka -> bronze Delta, exactly once. Received messages are buffered per partition and
 * flushed on rows, bytes or latency. A flush writes quarantine rows first, then bronze rows
 * with each partition's last offset and max event time as `txn` actions in the same commit.
 * Before committing it checks that the log still holds the offsets this process started
 * from; if another replica took a partition over, that partition's buffer is dropped and
 * re-read from the log's offset.
 */
export class BronzeIngestor {
  readonly progress = new RecentItems<BatchProgress>(100);
  private readonly buffers = new PartitionBuffers();
  private readonly committed = new Map<number, number>();
  private readonly highWatermarks = new Map<number, number>();
  private readonly watermarks: PartitionWatermarks;
  private readonly runId = randomUUID();
  private bronze!: DeltaTable;
  private quarantine!: DeltaTable;
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private rebalancing = false;
  private batchId = 0;
  private commitsSinceCompaction = 0;
  private lastFlushEndedAt = Date.now();
  fatalError?: Error;

  constructor(
    private readonly opts: IngestorOptions,
    private readonly consumer: ConsumerControl,
    private readonly hooks: IngestorHooks = {},
  ) {
    this.watermarks = new PartitionWatermarks(BigInt(opts.watermarkDelayMs) * 1000n);
  }

  async open(): Promise<void> {
    this.bronze = await openOrCreateTable(this.opts.lakehouseRoot, BRONZE_TABLE);
    this.quarantine = await openOrCreateTable(this.opts.lakehouseRoot, QUARANTINE_TABLE);
    this.timer = setInterval(() => {
      if (this.buffers.size.ageMs >= this.opts.flushMaxLatencyMs) void this.flush().catch(() => undefined);
    }, Math.max(10, Math.min(100, this.opts.flushMaxLatencyMs / 4)));
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

  committedOffsets(): Record<number, number> {
    return Object.fromEntries(this.committed);
  }

  /**
   * New assignment: wait for the flush in flight, drop buffers, and seek every assigned
   * partition to the offset after the one stored in bronze (the earliest when none is).
   */
  async onAssignment(partitions: number[]): Promise<void> {
    this.rebalancing = true;
    try {
      await this.flushing?.catch(() => undefined);
      this.buffers.clear();
      await this.bronze.update();
      this.committed.clear();
      for (const p of partitions) {
        const stored = this.bronze.txnVersion(offsetAppId(this.opts.appId, this.opts.topic, p));
        const maxEvent = this.bronze.txnVersion(eventTimeAppId(this.opts.appId, this.opts.topic, p));
        this.committed.set(p, stored ?? -1);
        this.watermarks.reset(p, maxEvent === undefined ? undefined : BigInt(maxEvent));
        this.consumer.seek(this.opts.topic, p, stored === undefined ? -1 : stored + 1);
      }
    } finally {
      this.rebalancing = false;
    }
  }

  /** Buffers a batch of one partition; waits only when the buffer is full while a flush is still in flight (backpressure). */
  async accept(partition: number, messages: readonly SourceMessage[], highWatermark: string, isStale: () => boolean = () => false): Promise<void> {
    if (this.fatalError) throw this.fatalError;
    this.highWatermarks.set(partition, Number(highWatermark));
    if (this.rebalancing || !this.committed.has(partition)) return;
    const committed = this.committed.get(partition)!;
    // Checked once: only a seek makes a batch stale, and none can run during this synchronous loop
    // (kafkajs' isStale builds a string key per call: checked per message it cost ~3% of ingestion).
    if (isStale()) return;
    for (const m of messages) this.buffers.add(partition, committed, m);
    const { rows, bytes } = this.buffers.size;
    if (rows < this.opts.flushMaxRows && bytes < this.opts.flushMaxBytes) return;
    // A full buffer is flushed in the background (doFlush drains it at once) so that Kafka fetches
    // the next one while DuckDB writes: at most one flush in flight plus one buffer. A buffer full
    // again while that flush runs waits for it (backpressure). A failed flush sets fatalError,
    // which the next call throws.
    if (this.flushing) await this.flushing.catch(() => undefined);
    if (this.fatalError) throw this.fatalError;
    void this.flush().catch(() => undefined);
  }

  /** Commits everything buffered; concurrent callers share the flush in flight. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.buffers.size.rows ? this.flush() : undefined));
    if (this.buffers.size.rows === 0) return Promise.resolve();
    this.flushing = this.doFlush()
      .catch((e: Error) => {
        this.fatalError = e;
        this.hooks.onError?.(e);
        throw e;
      })
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const started = Date.now();
    const batch = this.buffers.drain();
    const { topic, appId } = this.opts;
    await this.bronze.update();
    await this.quarantine.update();
    const getBatchDone = Date.now();

    // Partitions another replica wrote since we took them: drop, and re-read from the log's offset.
    for (const p of [...batch.keys()]) {
      const stored = this.bronze.txnVersion(offsetAppId(appId, topic, p)) ?? -1;
      if (stored !== (this.committed.get(p) ?? -1)) {
        batch.delete(p);
        await this.resyncPartition(p);
      }
    }
    if (batch.size === 0) return;

    const savedWatermarks = this.watermarks.snapshot();
    const ingestionMicros = BigInt(Date.now()) * 1000n;
    const bronzeRows: Row[] = [];
    const quarantineRows: Row[] = [];
    const eventTimes: bigint[] = [];
    const txns: Array<{ appId: string; version: number }> = [];
    const quarantineTxns: Array<{ appId: string; version: number }> = [];
    const sources: BatchProgress['sources'] = [];
    const lastOffsets = new Map<number, number>();
    let late = 0;
    for (const [p, messages] of batch) {
      const c = classify(messages, { topic, partition: p, ingestionMicros }, this.watermarks);
      // Loops, not push(...rows): spreading more than ~120k elements as arguments overflows the stack.
      for (const r of c.bronze) bronzeRows.push(r);
      for (const t of c.eventTimes) eventTimes.push(t);
      late += c.late;
      // Quarantine rows a previous run already committed (crash between the two commits) are skipped.
      const quarantined = this.quarantine.txnVersion(offsetAppId(appId, topic, p)) ?? -1;
      for (const r of c.quarantine) if (Number(r.kafka_offset) > quarantined) quarantineRows.push(r);
      const first = Number(messages[0].offset);
      const last = Number(messages[messages.length - 1].offset);
      lastOffsets.set(p, last);
      txns.push({ appId: offsetAppId(appId, topic, p), version: last });
      const maxEvent = this.watermarks.max(p);
      if (maxEvent !== undefined) txns.push({ appId: eventTimeAppId(appId, topic, p), version: Number(maxEvent) });
      if (c.quarantine.length) quarantineTxns.push({ appId: offsetAppId(appId, topic, p), version: last });
      sources.push({ description: `KafkaV2[Subscribe[${topic}]]`, startOffset: { [p]: first }, endOffset: { [p]: last + 1 }, numInputRows: messages.length });
    }
    const inputRows = [...batch.values()].reduce((n, m) => n + m.length, 0);
    // The rows hold all that is needed from here: the messages, and the fetch buffers their values
    // are views into, can be collected while DuckDB writes (and the next batch is buffered).
    for (const p of batch.keys()) batch.set(p, []);

    let version: number;
    try {
      if (quarantineRows.length) {
        await this.quarantine.append({ rows: quarantineRows }, { txns: quarantineTxns, operation: 'STREAMING UPDATE', operationParameters: { outputMode: 'Append', queryId: appId } });
      }
      ({ version } = await this.bronze.append({ rows: bronzeRows }, { txns, operation: 'STREAMING UPDATE', operationParameters: { outputMode: 'Append', queryId: appId, epochId: String(this.batchId) } }));
    } catch (e) {
      if (!(e instanceof CommitConflictError)) throw e;
      // Another replica committed offsets of one of our partitions meanwhile: replay from the log.
      this.watermarks.restore(savedWatermarks);
      for (const p of batch.keys()) await this.resyncPartition(p);
      return;
    }
    const addBatchDone = Date.now();
    for (const [p, last] of lastOffsets) this.committed.set(p, last);
    await this.consumer
      .commitOffsets([...batch.keys()].map((p) => ({ topic, partition: p, offset: this.committed.get(p)! + 1 })))
      .catch(() => undefined); // monitoring only: Delta holds the truth
    const done = Date.now();
    const watermark = [...batch.keys()].map((p) => this.watermarks.watermark(p)).filter((w): w is bigint => w !== undefined);
    const progress: BatchProgress = {
      id: appId,
      runId: this.runId,
      name: `bronze-${BRONZE_TABLE.name}`,
      batchId: this.batchId++,
      timestamp: new Date(started).toISOString(),
      numInputRows: inputRows,
      inputRowsPerSecond: inputRows / Math.max(0.001, (started - this.lastFlushEndedAt) / 1000),
      processedRowsPerSecond: inputRows / Math.max(0.001, (done - started) / 1000),
      durationMs: { getBatch: getBatchDone - started, addBatch: addBatchDone - getBatchDone, commitOffsets: done - addBatchDone, triggerExecution: done - started },
      eventTime: eventTimeSummary(eventTimes, watermark.length ? watermark.reduce((a, b) => (a < b ? a : b)) : undefined),
      sources,
      sink: { description: `DeltaSink[${this.bronze.uri}]`, numOutputRows: bronzeRows.length, deltaVersion: version },
      numLateRows: late,
      numRejectedRows: quarantineRows.length - late,
    };
    this.lastFlushEndedAt = done;
    this.progress.push(progress);
    const quarantined: Record<string, number> = {};
    for (const r of quarantineRows) quarantined[r.reason as string] = (quarantined[r.reason as string] ?? 0) + 1;
    this.hooks.onCommitted?.(progress, { bronze: bronzeRows.length, quarantined });
    await this.maybeCompact();
  }

  private async resyncPartition(p: number): Promise<void> {
    const { appId, topic } = this.opts;
    const stored = this.bronze.txnVersion(offsetAppId(appId, topic, p));
    const maxEvent = this.bronze.txnVersion(eventTimeAppId(appId, topic, p));
    this.committed.set(p, stored ?? -1);
    this.watermarks.reset(p, maxEvent === undefined ? undefined : BigInt(maxEvent));
    this.consumer.seek(topic, p, stored === undefined ? -1 : stored + 1);
  }

  /** Small files of past days are compacted; today's keep receiving appends. Failures are not fatal. */
  private async maybeCompact(): Promise<void> {
    if (this.opts.compactEveryCommits <= 0 || ++this.commitsSinceCompaction < this.opts.compactEveryCommits) return;
    this.commitsSinceCompaction = 0;
    const today = new Date().toISOString().slice(0, 10);
    for (const table of [this.bronze, this.quarantine]) {
      await table.optimize({ partitionFilters: [{ column: 'jour', op: '<', value: today }] }).catch(() => undefined);
    }
  }

  /** Graceful stop: no more input is accepted, and what is buffered is committed. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing?.catch(() => undefined);
    if (!this.fatalError) await this.flush();
  }
}
