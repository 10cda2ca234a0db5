/**
 * `npm run lakehouse -- rebuild-bronze [--execute] [--acceptDataLoss]`: bronze rebuilt from Kafka
 * (docs/recovery.md), with the bronze-ingestor's settings (LAKEHOUSE_ROOT, KAFKA_*, INGEST_APP_ID,
 * KAFKA_GROUP_ID, validated as the ingestor does). Without `--execute` it only reports, per
 * partition of the topic: the earliest offset Kafka still retains, the end, and the offset bronze
 * holds (its txn); `complete` says whether Kafka still has every message from offset 0, i.e.
 * whether a rebuild gets back everything ever ingested. With `--execute` it deletes
 * bronze/ventes_stream (log first, then data files), so that the next ingestor start rebuilds it
 * from the earliest retained offsets; it refuses while the consumer group has members (stop every
 * ingestor replica first) and, unless `--acceptDataLoss`, when Kafka no longer has the topic's
 * first messages. Prints the report as JSON; exit code 2 on a refusal (named on stderr).
 */
import { Kafka } from 'kafkajs';
import { loadEnv } from '@app/common';
import { DeltaTable, LOG_DIR, storeForUri, TableNotFoundError } from '@app/delta';
import { offsetAppId } from '@app/ingest';
import { kafkaClientConfig, loadKafkaSecurity } from '@app/kafka';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { BRONZE_ENV, BronzeConfig } from '../../apps/bronze-ingestor/src/config';
import { InvalidOptionError, parseOptions } from './cli-options';
import type { OperatorCommand } from './operator-command';

const USAGE = 'usage: npm run lakehouse -- rebuild-bronze [--execute] [--acceptDataLoss]';

interface PartitionReport {
  partition: number;
  /** The oldest offset Kafka still has: messages before it are gone (retention). */
  earliestRetained: number;
  /** The offset the next message will get. */
  end: number;
  /** The last offset bronze holds for the partition (its txn); null without bronze or offsets. */
  bronzeOffset: number | null;
}

interface RebuildReport {
  table: string;
  topic: string;
  consumerGroup: { id: string; state: string; members: number };
  bronze: { exists: boolean; version: number | null; rows: number | null };
  partitions: PartitionReport[];
  /** Kafka retains every message from offset 0 of every partition: a rebuild loses nothing. */
  complete: boolean;
  /** Messages Kafka no longer has, summed over the partitions. */
  messagesNoLongerInKafka: number;
  executed: boolean;
  filesDeleted?: number;
}

class RefusedError extends Error {}

async function inspect(config: BronzeConfig, uri: string): Promise<RebuildReport> {
  const admin = new Kafka(kafkaClientConfig(`${config.INGEST_APP_ID}-operator`, config.KAFKA_BROKERS, loadKafkaSecurity(config))).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(config.KAFKA_TOPIC);
    const {
      groups: [group],
    } = await admin.describeGroups([config.KAFKA_GROUP_ID]);
    const bronze = await DeltaTable.open(uri).catch((e: unknown) => {
      if (e instanceof TableNotFoundError) return undefined;
      throw e;
    });
    const partitions = offsets
      .map((o) => ({
        partition: o.partition,
        earliestRetained: Number(o.low),
        end: Number(o.high),
        bronzeOffset: bronze?.txnVersion(offsetAppId(config.INGEST_APP_ID, config.KAFKA_TOPIC, o.partition)) ?? null,
      }))
      .sort((a, b) => a.partition - b.partition);
    const lost = partitions.reduce((n, p) => n + p.earliestRetained, 0);
    return {
      table: uri,
      topic: config.KAFKA_TOPIC,
      consumerGroup: { id: config.KAFKA_GROUP_ID, state: group.state, members: group.members.length },
      bronze: { exists: bronze !== undefined, version: bronze?.version ?? null, rows: bronze?.snapshot.numRecords() ?? null },
      partitions,
      complete: lost === 0,
      messagesNoLongerInKafka: lost,
      executed: false,
    };
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the table: its log first, so that it stops being a table before its files go. */
async function deleteTable(uri: string): Promise<number> {
  const store = storeForUri(uri);
  const files = await store.listRecursive('');
  const logFirst = [...files.filter((f) => f.path.startsWith(`${LOG_DIR}/`)), ...files.filter((f) => !f.path.startsWith(`${LOG_DIR}/`))];
  for (const f of logFirst) await store.delete(f.path);
  return logFirst.length;
}

export const command: OperatorCommand = {
  usage: USAGE,
  async run(args) {
    const config = loadEnv(BRONZE_ENV);
    const uri = tableLocation(config.LAKEHOUSE_ROOT, BRONZE_TABLE);
    try {
      const params = parseOptions(args, new Set(['execute', 'acceptDataLoss']), USAGE);
      const unknown = Object.keys(params).filter((k) => k !== 'execute' && k !== 'acceptDataLoss');
      if (unknown.length) throw new InvalidOptionError(unknown[0], `unknown option\n${USAGE}`);
      const report = await inspect(config, uri);
      if (params.execute === 'true') {
        if (report.consumerGroup.members > 0) {
          throw new RefusedError(
            `consumer group ${report.consumerGroup.id} has ${report.consumerGroup.members} member(s): stop every bronze-ingestor replica before deleting bronze`,
          );
        }
        if (!report.complete && params.acceptDataLoss !== 'true') {
          const gone = report.partitions.filter((p) => p.earliestRetained > 0).map((p) => `partition ${p.partition} from offset ${p.earliestRetained}`);
          throw new RefusedError(
            `Kafka no longer has ${report.messagesNoLongerInKafka} message(s) of ${report.topic} (it starts at ${gone.join(', ')}): ` +
              'a rebuild would not get them back; pass --acceptDataLoss to rebuild anyway, or put a backup clone back in place first (docs/recovery.md)',
          );
        }
        report.filesDeleted = await deleteTable(uri);
        report.executed = true;
      }
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof InvalidOptionError) && !(e instanceof RefusedError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
  },
};
