import { ColumnBatch, microsToIso, Row } from '@app/delta';
import { parseSalesMessage, QuarantineReason, SalesColumnsBuilder } from '@app/schemas';
import { SourceMessage } from './offsets';
import { EventTimeStats } from './progress';
import { PartitionWatermarks } from './watermark';

const DAY_MICROS = 86_400_000_000;

export interface Classified {
  /** Valid, on-time events with their lineage and day: the bronze table's columns. */
  bronze: ColumnBatch;
  late: number;
  eventTimes: EventTimeStats;
}

/**
 * Sorts one flush's messages into bronze and quarantine. Bronze is the validated event plus
 * ingestion metadata, `jour` being the event's UTC day as in the seed's Spark job; it is built
 * as columns, so no row object is made per event. A payload the fast decoder does not take
 * goes through parseSalesMessage, the reference, which either accepts it or gives the reason
 * it is quarantined. Everything that cannot land in bronze goes to quarantine with its raw
 * payload and a reason, never dropped. The watermark is applied per partition in offset order.
 */
export class BatchClassifier {
  private readonly events: SalesColumnsBuilder;
  private partitions: Int32Array;
  private offsets: Float64Array;
  private ingestedAt: Float64Array;
  private days: Int32Array;
  private readonly eventTimes = new EventTimeStats();
  private late = 0;

  constructor(
    private readonly topic: string,
    private readonly watermarks: PartitionWatermarks,
    capacity = 1024,
  ) {
    this.events = new SalesColumnsBuilder(capacity);
    this.partitions = new Int32Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.ingestedAt = new Float64Array(capacity);
    this.days = new Int32Array(capacity);
  }

  /**
   * Classifies one partition's messages, in offset order, received at `ingestionMicros`;
   * returns their quarantine rows.
   */
  add(partition: number, messages: readonly SourceMessage[], ingestionMicros: number): Row[] {
    const quarantine: Row[] = [];
    for (const m of messages) {
      let micros = m.value === null ? undefined : this.events.decode(m.value);
      if (micros === undefined) {
        const parsed = parseSalesMessage(m.value);
        if (!parsed.ok) {
          quarantine.push(this.quarantineRow(partition, m, ingestionMicros, parsed.reason, parsed.message));
          continue;
        }
        this.events.put(parsed.event, parsed.eventTimeMicros);
        micros = Number(parsed.eventTimeMicros);
      }
      if (this.watermarks.observe(partition, micros) === 'late') {
        this.late++;
        const error = `event time ${microsToIso(micros)} is before the watermark ${microsToIso(this.watermarks.watermark(partition)!)}`;
        quarantine.push(this.quarantineRow(partition, m, ingestionMicros, 'late_event', error));
        continue;
      }
      const row = this.events.length;
      if (row === this.partitions.length) this.grow();
      this.partitions[row] = partition;
      this.offsets[row] = Number(m.offset);
      this.ingestedAt[row] = ingestionMicros;
      this.days[row] = Math.floor(micros / DAY_MICROS);
      this.events.keep();
      this.eventTimes.add(micros);
    }
    return quarantine;
  }

  finish(): Classified {
    const { numRows, columns } = this.events.finish();
    const bronze: ColumnBatch = {
      numRows,
      columns: {
        ...columns,
        kafka_topic: { dictionary: [this.topic], indices: new Int32Array(numRows) },
        kafka_partition: this.partitions,
        kafka_offset: this.offsets,
        date_ingestion: this.ingestedAt,
        jour: this.days,
      },
    };
    return { bronze, late: this.late, eventTimes: this.eventTimes };
  }

  private grow(): void {
    const grown = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.partitions = grown(this.partitions);
    this.offsets = grown(this.offsets);
    this.ingestedAt = grown(this.ingestedAt);
    this.days = grown(this.days);
  }

  private quarantineRow(partition: number, m: SourceMessage, ingestionMicros: number, reason: QuarantineReason, error: string): Row {
    return {
      raw_payload: m.value === null ? null : m.value.toString('utf8'),
      reason,
      error,
      kafka_topic: this.topic,
      kafka_partition: partition,
      kafka_offset: BigInt(m.offset),
      date_ingestion: BigInt(ingestionMicros),
      jour: microsToIso(ingestionMicros).slice(0, 10),
    };
  }
}
