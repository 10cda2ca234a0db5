import { SourceMessage } from './offsets';

/** What a pending batch holds of one Kafka partition. */
export interface PartitionSlice {
  firstOffset: number;
  lastOffset: number;
  messages: number;
}

/**
 * Messages received but not yet committed: which offsets of which partitions, and how much.
 * The messages themselves went to the classify worker on receipt, which holds them as bronze
 * columns and quarantine rows until the flush asks for them; Kafka's message objects and fetch
 * buffers are released at once.
 */
export class PendingBatch {
  readonly partitions = new Map<number, PartitionSlice>();
  private bytes = 0;
  private messages = 0;
  private startedAt?: number;

  /** Adds messages of one partition that follow what is already held, in offset order, with their payload bytes. */
  add(partition: number, messages: readonly SourceMessage[], bytes: number): void {
    if (messages.length === 0) return;
    let slice = this.partitions.get(partition);
    if (!slice) this.partitions.set(partition, (slice = { firstOffset: Number(messages[0].offset), lastOffset: -1, messages: 0 }));
    slice.lastOffset = Number(messages[messages.length - 1].offset);
    slice.messages += messages.length;
    this.messages += messages.length;
    this.bytes += bytes;
    this.startedAt ??= Date.now();
  }

  get size(): { rows: number; bytes: number; ageMs: number } {
    return { rows: this.messages, bytes: this.bytes, ageMs: this.startedAt === undefined ? 0 : Date.now() - this.startedAt };
  }
}
