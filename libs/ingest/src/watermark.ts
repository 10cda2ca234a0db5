/**
 * The watermark follows Spark's definition (max event time seen minus the delay) but per
 * Kafka partition: the max event time is committed with each partition's offsets, so a replay
 * after a crash classifies every message exactly as the first run did.
 */
export class PartitionWatermarks {
  private readonly maxEventTime = new Map<number, bigint>();

  constructor(private readonly delayMicros: bigint) {}

  reset(partition: number, maxEventTimeMicros: bigint | undefined): void {
    if (maxEventTimeMicros === undefined) this.maxEventTime.delete(partition);
    else this.maxEventTime.set(partition, maxEventTimeMicros);
  }

  max(partition: number): bigint | undefined {
    return this.maxEventTime.get(partition);
  }

  watermark(partition: number): bigint | undefined {
    const max = this.maxEventTime.get(partition);
    return max === undefined ? undefined : max - this.delayMicros;
  }

  /** Late events do not move the max: they are quarantined, not processed. */
  observe(partition: number, eventTimeMicros: bigint): 'on_time' | 'late' {
    const wm = this.watermark(partition);
    if (wm !== undefined && eventTimeMicros < wm) return 'late';
    const max = this.maxEventTime.get(partition);
    if (max === undefined || eventTimeMicros > max) this.maxEventTime.set(partition, eventTimeMicros);
    return 'on_time';
  }

  snapshot(): Map<number, bigint> {
    return new Map(this.maxEventTime);
  }

  restore(saved: Map<number, bigint>): void {
    this.maxEventTime.clear();
    for (const [p, v] of saved) this.maxEventTime.set(p, v);
  }
}
