import { SourceMessage } from './offsets';

/**
 * Messages received but not yet committed, per partition, in offset order. Offsets at or
 * below what is already committed or buffered are dropped (re-deliveries after a seek or
 * a restart), as kafka-delta-ingest's ValueBuffers does.
 */
export class PartitionBuffers {
  private readonly messages = new Map<number, SourceMessage[]>();
  private readonly lastOffset = new Map<number, number>();
  private rows = 0;
  private bytes = 0;
  private oldestAt?: number;

  add(partition: number, committedOffset: number, m: SourceMessage): boolean {
    const offset = Number(m.offset);
    const floor = Math.max(committedOffset, this.lastOffset.get(partition) ?? -1);
    if (offset <= floor) return false;
    let list = this.messages.get(partition);
    if (!list) this.messages.set(partition, (list = []));
    list.push(m);
    this.lastOffset.set(partition, offset);
    this.rows++;
    this.bytes += m.value?.length ?? 0;
    this.oldestAt ??= Date.now();
    return true;
  }

  get size(): { rows: number; bytes: number; ageMs: number } {
    return { rows: this.rows, bytes: this.bytes, ageMs: this.oldestAt === undefined ? 0 : Date.now() - this.oldestAt };
  }

  /** Hands over everything buffered and starts empty (offset floors are kept). */
  drain(): Map<number, SourceMessage[]> {
    const out = new Map(this.messages);
    this.messages.clear();
    this.rows = 0;
    this.bytes = 0;
    this.oldestAt = undefined;
    return out;
  }

  /** Forgets buffered messages and offset floors (after a rebalance, everything is re-read from the log's offsets). */
  clear(): void {
    this.drain();
    this.lastOffset.clear();
  }
}
