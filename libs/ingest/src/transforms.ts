import { isUtf8 } from 'node:buffer';
import type { ColumnBatch, Row } from '@app/delta';
// This module runs in the classify worker, which must not load the DuckDB binding: hence
// @app/delta/core, and only types from @app/delta.
import { grown, microsToIso, nextCapacity } from '@app/delta/core';
import type { QuarantineReason } from '@app/schemas';
import { createPayloadDecoder } from './decode/decoder-factory';
import { DEFAULT_PAYLOAD_DECODER, PayloadDecoder, PayloadDecoderKind } from './decode/payload-decoder';
import { PackedMessages } from './packed-messages';
import { EventTimeStats, EventTimeTotals } from './progress';
import { PartitionWatermarks } from './watermark';

const DAY_MICROS = 86_400_000_000;

/**
 * A payload in the quarantine table: as text, and when it is not valid UTF-8 (which the text
 * would hold with U+FFFD in place of the bad bytes) also its exact bytes in base64.
 */
export function rawPayloadColumns(value: Buffer | null): { raw_payload: string | null; raw_payload_base64: string | null } {
  if (value === null) return { raw_payload: null, raw_payload_base64: null };
  return { raw_payload: value.toString('utf8'), raw_payload_base64: isUtf8(value) ? null : value.toString('base64') };
}

/** A packed payload as a view, null for a null value. */
function payloadAt(bytes: Buffer, start: number, length: number): Buffer | null {
  return length < 0 ? null : bytes.subarray(start, start + length);
}

/** One micro-batch, classified. */
export interface ClassifiedBatch {
  /** Valid, on-time events with their lineage and day: the bronze table's columns. */
  bronze: ColumnBatch;
  /** Everything else, with its raw payload and reason, in offset order per partition. */
  quarantine: Row[];
  late: number;
  /** Event times further ahead of the clock than allowed (quarantined as future_event). */
  future: number;
  eventTimes: EventTimeTotals;
  /** Each partition of the batch with its max event time after its last message, and the watermark that gives. */
  partitions: Array<{ partition: number; maxEventTime?: number; watermark?: number }>;
}

/**
 * Sorts messages into bronze and quarantine, one micro-batch at a time. Bronze is the validated
 * event plus ingestion metadata, `jour` being the event's UTC day as in the seed's Spark job; it
 * is built as columns, so no row object is made per event, by the PayloadDecoder configured
 * (PAYLOAD_DECODER): each accepts what parseSalesMessage, the reference, accepts, and gives its
 * reason for the rest. Everything that cannot land in bronze goes to quarantine with its
 * raw payload and a reason, never dropped. The watermarks live across batches and are applied
 * per partition in offset order.
 */
export class BatchClassifier {
  private readonly watermarks: PartitionWatermarks;
  private readonly events: PayloadDecoder;
  private partitions!: Int32Array;
  private offsets!: Float64Array;
  private ingestedAt!: Float64Array;
  private days!: Int32Array;
  private eventTimes!: EventTimeStats;
  private late!: number;
  private future!: number;
  private quarantine!: Row[];
  private readonly partitionsSeen = new Set<number>();

  constructor(
    private readonly topic: string,
    watermarkDelayMicros: number,
    maxEventTimeAheadMicros: number,
    private readonly capacity = 1024,
    decoder: PayloadDecoderKind = DEFAULT_PAYLOAD_DECODER,
  ) {
    this.watermarks = new PartitionWatermarks(watermarkDelayMicros, maxEventTimeAheadMicros);
    this.events = createPayloadDecoder(decoder, capacity);
    this.startBatch();
  }

  /** Classifies one partition's messages, following those already added, received at `ingestionMicros`. */
  add(partition: number, { payloads, starts, lengths, offsets }: PackedMessages, ingestionMicros: number): void {
    this.partitionsSeen.add(partition);
    const bytes = Buffer.from(payloads.buffer, payloads.byteOffset, payloads.byteLength);
    this.events.begin(bytes, starts, lengths);
    for (let i = 0; i < lengths.length; i++) {
      // Decoded in place; a view of the payload is made only for quarantine.
      const micros = this.events.decode(i);
      if (micros === undefined) {
        const { reason, message } = this.events.rejection;
        this.quarantine.push(
          this.quarantineRow(partition, offsets[i], payloadAt(bytes, starts[i], lengths[i]), ingestionMicros, reason, message),
        );
        continue;
      }
      const timing = this.watermarks.observe(partition, micros, ingestionMicros);
      if (timing !== 'on_time') {
        const value = payloadAt(bytes, starts[i], lengths[i]);
        let error: string;
        if (timing === 'late') {
          this.late++;
          error = `event time ${microsToIso(micros)} is before the watermark ${microsToIso(this.watermarks.watermark(partition)!)}`;
        } else {
          this.future++;
          error = `event time ${microsToIso(micros)} is ahead of the ingestor's clock ${microsToIso(ingestionMicros)} by more than allowed`;
        }
        this.quarantine.push(this.quarantineRow(partition, offsets[i], value, ingestionMicros, timing === 'late' ? 'late_event' : 'future_event', error));
        continue;
      }
      const row = this.events.length;
      if (row === this.partitions.length) this.grow();
      this.partitions[row] = partition;
      this.offsets[row] = offsets[i];
      this.ingestedAt[row] = ingestionMicros;
      this.days[row] = Math.floor(micros / DAY_MICROS);
      this.events.keep();
      this.eventTimes.add(micros);
    }
  }

  /** Hands over the batch classified so far and starts the next one. */
  finish(): ClassifiedBatch {
    const { numRows, columns } = this.events.finish();
    const batch: ClassifiedBatch = {
      bronze: {
        numRows,
        columns: {
          ...columns,
          kafka_topic: { dictionary: [this.topic], indices: new Int32Array(numRows) },
          kafka_partition: this.partitions,
          kafka_offset: this.offsets,
          date_ingestion: this.ingestedAt,
          jour: this.days,
        },
      },
      quarantine: this.quarantine,
      late: this.late,
      future: this.future,
      eventTimes: this.eventTimes,
      partitions: [...this.partitionsSeen].map((partition) => ({
        partition,
        maxEventTime: this.watermarks.max(partition),
        watermark: this.watermarks.watermark(partition),
      })),
    };
    this.startBatch(nextCapacity(this.capacity, numRows));
    return batch;
  }

  /** Forgets the batch classified so far (it is re-read from Kafka); the watermarks it moved are reset by the caller. */
  drop(): void {
    this.events.finish();
    this.startBatch();
  }

  /** Sets a partition's max event time, as stored in the log with its offset (undefined: none yet). */
  resetWatermark(partition: number, maxEventTimeMicros: number | undefined): void {
    this.watermarks.reset(partition, maxEventTimeMicros);
  }

  private startBatch(capacity = this.capacity): void {
    this.partitions = new Int32Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.ingestedAt = new Float64Array(capacity);
    this.days = new Int32Array(capacity);
    this.eventTimes = new EventTimeStats();
    this.late = 0;
    this.future = 0;
    this.quarantine = [];
    this.partitionsSeen.clear();
  }

  private grow(): void {
    const capacity = this.partitions.length * 2;
    this.partitions = grown(this.partitions, capacity);
    this.offsets = grown(this.offsets, capacity);
    this.ingestedAt = grown(this.ingestedAt, capacity);
    this.days = grown(this.days, capacity);
  }

  private quarantineRow(partition: number, offset: number, value: Buffer | null, ingestionMicros: number, reason: QuarantineReason, error: string): Row {
    return {
      ...rawPayloadColumns(value),
      reason,
      error,
      kafka_topic: this.topic,
      kafka_partition: partition,
      kafka_offset: BigInt(offset),
      date_ingestion: BigInt(ingestionMicros),
      jour: microsToIso(ingestionMicros).slice(0, 10),
    };
  }
}
