import { randomUUID } from 'node:crypto';
import { CommitConflictError, DeltaTable, Filter, microsToIso, Row, withConnection } from '@app/delta';
import { parseSalesMessage } from '@app/schemas';
import { eventTimeAppId } from '../offsets';
import { healedMaxEventTime } from '../watermark';
import { checkSelection, QuarantineSelection, quarantineRowsSql } from './quarantine-query';

export interface ReplayOptions {
  /** The ingestor's appId (INGEST_APP_ID): its partitions' max event times give the watermark, and the replays' txn is named after it. */
  appId: string;
  watermarkDelayMs: number;
  maxEventTimeAheadMs: number;
  /** Lands events older than their partition's watermark (late sales that should count). */
  skipWatermark?: boolean;
  /** Lands events dated further ahead of the clock than allowed. */
  skipFutureCheck?: boolean;
  /** Rows per bronze commit: a replay killed midway keeps the chunks it committed, and a rerun skips them. */
  chunkRows?: number;
  /** Validates and counts, writes nothing. */
  dryRun?: boolean;
  /** Told after each chunk is committed (its bronze version and rows). */
  onChunk?(chunk: { version: number; rows: number; index: number; chunks: number }): void;
}

export interface ReplayReport {
  replayId: string;
  /** Quarantine rows selected. */
  selected: number;
  /** Rows that passed validation and landed in bronze by this replay. */
  replayed: number;
  /** Rows that passed validation and were already in bronze (an earlier replay, possibly killed midway). */
  alreadyInBronze: number;
  /** Rows still refused, per quarantine reason, with the first few. */
  refused: Record<string, number>;
  refusedSamples: Array<{ kafka_partition: number; kafka_offset: number; reason: string; error: string }>;
  /** Bronze versions this replay committed. */
  versions: number[];
  dryRun: boolean;
}

/** The txn appId under which every replay into bronze commits: replays running at once conflict, and the loser checks again. */
export function replayAppId(appId: string): string {
  return `${appId}-quarantine-replay`;
}

interface Candidate {
  row: Row;
  key: string;
}

const coordinates = (topic: unknown, partition: unknown, offset: unknown): string => `${String(topic)}/${String(partition)}/${String(offset)}`;

/**
 * Puts selected quarantine rows back into bronze. Each goes through parseSalesMessage, then the
 * future and watermark checks (against the partition's max event time stored in bronze) unless
 * skipped; it keeps its Kafka coordinates. Exactly once: before each chunk's commit, the
 * coordinates already in bronze are left out, and every replay commit carries the same txn
 * appId, so two replays running at once conflict and the second checks again. A replay killed
 * midway left whole chunks or nothing (a commit is atomic), and running it again lands the rest.
 * Every commit records the replay in its commitInfo: operation QUARANTINE REPLAY, with the
 * selection and options as parameters.
 */
export async function replayQuarantine(
  bronze: DeltaTable,
  quarantine: DeltaTable,
  selection: QuarantineSelection,
  opts: ReplayOptions,
): Promise<ReplayReport> {
  checkSelection(selection);
  await Promise.all([bronze.update(), quarantine.update()]);
  const report: ReplayReport = {
    replayId: randomUUID(),
    selected: 0,
    replayed: 0,
    alreadyInBronze: 0,
    refused: {},
    refusedSamples: [],
    versions: [],
    dryRun: opts.dryRun ?? false,
  };
  const nowMicros = Date.now() * 1000;
  const dateIngestion = microsToIso(nowMicros);
  const maxEventTimes = new Map<string, number | undefined>();
  const candidates: Candidate[] = [];
  const refuse = (r: Record<string, unknown>, reason: string, error: string) => {
    report.refused[reason] = (report.refused[reason] ?? 0) + 1;
    if (report.refusedSamples.length < 20) report.refusedSamples.push({ kafka_partition: Number(r.kafka_partition), kafka_offset: Number(r.kafka_offset), reason, error });
  };

  const sql = await quarantineRowsSql(quarantine, selection);
  const selected = await withConnection(async (conn) =>
    (
      await conn.runAndReadAll(
        // One row per Kafka record, should a record ever be quarantined twice.
        `SELECT DISTINCT ON (kafka_topic, kafka_partition, kafka_offset) raw_payload, raw_payload_base64, kafka_topic, kafka_partition, kafka_offset
         FROM (${sql}) ORDER BY kafka_topic, kafka_partition, kafka_offset`,
      )
    ).getRowObjectsJS(),
  );
  report.selected = selected.length;
  for (const r of selected) {
    const payload = r.raw_payload_base64 != null ? Buffer.from(String(r.raw_payload_base64), 'base64') : r.raw_payload == null ? null : Buffer.from(String(r.raw_payload), 'utf8');
    const parsed = parseSalesMessage(payload);
    if (!parsed.ok) {
      refuse(r, parsed.reason, parsed.message);
      continue;
    }
    const micros = parsed.eventTimeMicros;
    if (!opts.skipFutureCheck && micros > BigInt(nowMicros + opts.maxEventTimeAheadMs * 1000)) {
      refuse(r, 'future_event', `event time ${microsToIso(micros)} is ahead of the clock ${dateIngestion} by more than allowed`);
      continue;
    }
    if (!opts.skipWatermark) {
      const topicPartition = `${String(r.kafka_topic)}/${String(r.kafka_partition)}`;
      if (!maxEventTimes.has(topicPartition)) {
        const stored = bronze.txnVersion(eventTimeAppId(opts.appId, String(r.kafka_topic), Number(r.kafka_partition)));
        maxEventTimes.set(topicPartition, healedMaxEventTime(stored, nowMicros));
      }
      const max = maxEventTimes.get(topicPartition);
      if (max !== undefined && micros < BigInt(max - opts.watermarkDelayMs * 1000)) {
        refuse(r, 'late_event', `event time ${microsToIso(micros)} is before the watermark ${microsToIso(max - opts.watermarkDelayMs * 1000)}`);
        continue;
      }
    }
    const timestamp = microsToIso(micros);
    candidates.push({
      key: coordinates(r.kafka_topic, r.kafka_partition, r.kafka_offset),
      row: {
        ...parsed.event,
        vente_id: BigInt(parsed.event.vente_id),
        timestamp,
        kafka_topic: String(r.kafka_topic),
        kafka_partition: Number(r.kafka_partition),
        kafka_offset: BigInt(r.kafka_offset as bigint),
        date_ingestion: dateIngestion,
        jour: timestamp.slice(0, 10),
      },
    });
  }

  const chunkRows = Math.max(1, opts.chunkRows ?? 50_000);
  const chunks = Math.ceil(candidates.length / chunkRows);
  for (let index = 0; index < chunks; index++) {
    const chunk = candidates.slice(index * chunkRows, (index + 1) * chunkRows);
    for (;;) {
      await bronze.update();
      const present = await coordinatesInBronze(bronze, chunk);
      const rows = chunk.filter((c) => !present.has(c.key)).map((c) => c.row);
      if (opts.dryRun || rows.length === 0) {
        report.alreadyInBronze += chunk.length - rows.length;
        if (opts.dryRun) report.replayed += rows.length;
        break;
      }
      const app = replayAppId(opts.appId);
      try {
        const { version } = await bronze.append(
          { rows },
          {
            txns: [{ appId: app, version: (bronze.txnVersion(app) ?? -1) + 1 }],
            operation: 'QUARANTINE REPLAY',
            operationParameters: {
              replayId: report.replayId,
              selection: JSON.stringify(selection),
              skipWatermark: String(opts.skipWatermark ?? false),
              skipFutureCheck: String(opts.skipFutureCheck ?? false),
              chunk: `${index + 1}/${chunks}`,
            },
          },
        );
        report.versions.push(version);
        report.replayed += rows.length;
        report.alreadyInBronze += chunk.length - rows.length;
        opts.onChunk?.({ version, rows: rows.length, index, chunks });
        break;
      } catch (e) {
        // Another replay committed meanwhile: check again which rows it landed.
        if (!(e instanceof CommitConflictError)) throw e;
      }
    }
  }
  return report;
}

/** The chunk's Kafka coordinates that bronze already holds, read from the days they fall in. */
async function coordinatesInBronze(bronze: DeltaTable, chunk: Candidate[]): Promise<Set<string>> {
  const days = [...new Set(chunk.map((c) => c.row.jour as string))];
  const partitions = [...new Set(chunk.map((c) => c.row.kafka_partition as number))];
  const offsets = chunk.map((c) => c.row.kafka_offset as bigint);
  const min = offsets.reduce((a, b) => (b < a ? b : a));
  const max = offsets.reduce((a, b) => (b > a ? b : a));
  const filters: Filter[] = [
    { column: 'jour', op: 'in', value: days },
    { column: 'kafka_partition', op: 'in', value: partitions },
    { column: 'kafka_offset', op: '>=', value: min },
    { column: 'kafka_offset', op: '<=', value: max },
  ];
  const plan = await bronze.scan(filters);
  const found = await withConnection(async (conn) =>
    (await conn.runAndReadAll(`SELECT DISTINCT kafka_topic, kafka_partition, kafka_offset FROM (${plan.sql})`)).getRowObjectsJS(),
  );
  return new Set(found.map((r) => coordinates(r.kafka_topic, r.kafka_partition, r.kafka_offset)));
}
