import { Row } from '@app/delta';
import { SourceMessage } from './offsets';
import { BatchClassifier } from './transforms';
import { PartitionWatermarks } from './watermark';

/** What a pending batch holds of one Kafka partition. */
export interface PartitionSlice {
  firstOffset: number;
  lastOffset: number;
  messages: number;
  quarantine: Row[];
  /** The partition's max event time once its last message was classified: committed with its offset. */
  maxEventTime?: number;
}

/**
 * Messages received but not yet committed, already classified: valid events as bronze columns,
 * the rest as quarantine rows, per partition in offset order. Classifying on receipt instead of
 * at flush time spreads the work between fetches, and lets Kafka's messages and fetch buffers go
 * at once: what is held is the columns, a few bytes per field.
 */
export class PendingBatch {
  readonly classifier: BatchClassifier;
  readonly partitions = new Map<number, PartitionSlice>();
  private bytes = 0;
  private messages = 0;
  private startedAt?: number;

  constructor(
    topic: string,
    private readonly watermarks: PartitionWatermarks,
  ) {
    this.classifier = new BatchClassifier(topic, watermarks);
  }

  /** Adds messages of one partition that follow what is already held, in offset order. */
  add(partition: number, messages: readonly SourceMessage[]): void {
    if (messages.length === 0) return;
    const quarantine = this.classifier.add(partition, messages, Date.now() * 1000);
    let slice = this.partitions.get(partition);
    if (!slice)
      this.partitions.set(partition, (slice = { firstOffset: Number(messages[0].offset), lastOffset: -1, messages: 0, quarantine: [] }));
    slice.lastOffset = Number(messages[messages.length - 1].offset);
    slice.messages += messages.length;
    for (const r of quarantine) slice.quarantine.push(r);
    slice.maxEventTime = this.watermarks.max(partition);
    this.messages += messages.length;
    for (const m of messages) this.bytes += m.value?.length ?? 0;
    this.startedAt ??= Date.now();
  }

  get size(): { rows: number; bytes: number; ageMs: number } {
    return { rows: this.messages, bytes: this.bytes, ageMs: this.startedAt === undefined ? 0 : Date.now() - this.startedAt };
  }
}
