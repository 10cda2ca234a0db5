/**
 * Progress is stored only in the Delta log, as `txn` actions committed with the data
 * (kafka-delta-ingest's design): one appId per Kafka partition holding the last offset
 * written (inclusive), and one holding the partition's max event time for the watermark.
 */
export function offsetAppId(appId: string, topic: string, partition: number): string {
  return `${appId}-${topic}-${partition}`;
}

export function eventTimeAppId(appId: string, topic: string, partition: number): string {
  return `${appId}-${topic}-${partition}-max-event-time-us`;
}

/** A Kafka message as the ingestor needs it, independent of the client library. */
export interface SourceMessage {
  offset: string;
  value: Buffer | null;
  /** Broker timestamp, ms since the epoch, as a string (kafkajs' shape). */
  timestamp: string;
  /**
   * Where `value` lies in a larger buffer, when the client decoded it in place (libs/kafka's
   * FetchedRecord): packing then copies runs of values as one block, without making `value`.
   */
  readonly sourceBuffer?: Uint8Array;
  readonly valueStart?: number;
  /** -1 for a null value. */
  readonly valueLength?: number;
}

/** What the ingestor asks of the Kafka consumer. */
export interface ConsumerControl {
  /** Moves the partition's fetch position; offset -1 means the earliest available. */
  seek(topic: string, partition: number, offset: number): void;
  /** Commits `offset` (the next to read) to Kafka, for lag monitoring only. */
  commitOffsets(offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void>;
}
