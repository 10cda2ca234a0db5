/**
 * The watermark follows Spark's definition (max event time seen minus the delay) but per
 * Kafka partition: the max event time is committed with each partition's offsets, so a replay
 * after a crash classifies every message exactly as the first run did. Times are epoch
 * microseconds as plain numbers (exact from 1685 to 2255), compared once per event.
 *
 * An event time further ahead of the ingestor's clock than `maxAheadMicros` is quarantined as a
 * future event and never moves the max: one sale dated next year would otherwise make every
 * later sale of its partition late. The clock is the time the message was received: re-read
 * after a crash, a future event may have become on time, never the reverse.
 */
export class PartitionWatermarks {
  private readonly maxEventTime = new Map<number, number>();

  constructor(
    private readonly delayMicros: number,
    private readonly maxAheadMicros: number,
  ) {}

  reset(partition: number, maxEventTimeMicros: number | undefined): void {
    if (maxEventTimeMicros === undefined) this.maxEventTime.delete(partition);
    else this.maxEventTime.set(partition, maxEventTimeMicros);
  }

  max(partition: number): number | undefined {
    return this.maxEventTime.get(partition);
  }

  watermark(partition: number): number | undefined {
    const max = this.maxEventTime.get(partition);
    return max === undefined ? undefined : max - this.delayMicros;
  }

  /** Late and future events do not move the max: they are quarantined, not processed. */
  observe(partition: number, eventTimeMicros: number, nowMicros: number): 'on_time' | 'late' | 'future' {
    if (eventTimeMicros > nowMicros + this.maxAheadMicros) return 'future';
    const max = this.maxEventTime.get(partition);
    if (max !== undefined && eventTimeMicros < max - this.delayMicros) return 'late';
    if (max === undefined || eventTimeMicros > max) this.maxEventTime.set(partition, eventTimeMicros);
    return 'on_time';
  }
}

/**
 * A stored max event time no later than `nowMicros`: tables written before future events were
 * quarantined can hold one far ahead, which would make every new event late.
 */
export function healedMaxEventTime(stored: number | undefined, nowMicros: number): number | undefined {
  return stored !== undefined && stored > nowMicros ? nowMicros : stored;
}
