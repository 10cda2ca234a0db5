/**
 * The watermark follows Spark's definition (max event time seen minus the delay) but per
 * Kafka partition: the max event time is committed with each partition's offsets, so a replay
 * after a crash classifies every message exactly as the first run did. Times are epoch
 * microseconds as plain numbers (exact from 1685 to 2255), compared once per event.
 */
export class PartitionWatermarks {
  private readonly maxEventTime = new Map<number, number>();

  constructor(private readonly delayMicros: number) {}

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

  /** Late events do not move the max: they are quarantined, not processed. */
  observe(partition: number, eventTimeMicros: number): 'on_time' | 'late' {
    const max = this.maxEventTime.get(partition);
    if (max !== undefined && eventTimeMicros < max - this.delayMicros) return 'late';
    if (max === undefined || eventTimeMicros > max) this.maxEventTime.set(partition, eventTimeMicros);
    return 'on_time';
  }
}
