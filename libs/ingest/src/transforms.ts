import { microsToIso, Row } from '@app/delta';
import { parseSalesMessage, QuarantineReason } from '@app/schemas';
import { SourceMessage } from './offsets';
import { PartitionWatermarks } from './watermark';

export interface Lineage {
  topic: string;
  partition: number;
  ingestionMicros: bigint;
}

export interface Classified {
  bronze: Row[];
  quarantine: Row[];
  late: number;
  eventTimes: bigint[];
}

function lineage(l: Lineage, m: SourceMessage): Row {
  return {
    kafka_topic: l.topic,
    kafka_partition: l.partition,
    kafka_offset: BigInt(m.offset),
    date_ingestion: l.ingestionMicros,
  };
}

function quarantineRow(l: Lineage, m: SourceMessage, reason: QuarantineReason, error: string): Row {
  return {
    raw_payload: m.value === null ? null : m.value.toString('utf8'),
    reason,
    error,
    ...lineage(l, m),
    jour: microsToIso(l.ingestionMicros).slice(0, 10),
  };
}

/**
 * Bronze = the validated event plus ingestion metadata: `jour` is the event's UTC day, as in
 * the seed's Spark job. Everything that cannot land in bronze goes to quarantine with its raw
 * payload and a reason, never dropped.
 */
export function classify(messages: readonly SourceMessage[], l: Lineage, watermarks: PartitionWatermarks): Classified {
  const out: Classified = { bronze: [], quarantine: [], late: 0, eventTimes: [] };
  for (const m of messages) {
    const parsed = parseSalesMessage(m.value);
    if (!parsed.ok) {
      out.quarantine.push(quarantineRow(l, m, parsed.reason, parsed.message));
      continue;
    }
    const micros = parsed.eventTimeMicros;
    if (watermarks.observe(l.partition, micros) === 'late') {
      const wm = watermarks.watermark(l.partition)!;
      out.late++;
      out.quarantine.push(quarantineRow(l, m, 'late_event', `event time ${microsToIso(micros)} is before the watermark ${microsToIso(wm)}`));
      continue;
    }
    out.eventTimes.push(micros);
    out.bronze.push({ ...parsed.event, timestamp: micros, ...lineage(l, m), jour: microsToIso(micros).slice(0, 10) });
  }
  return out;
}
