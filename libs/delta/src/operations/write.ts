import { Action, AddAction, countRecords, RemoveAction, removeActionFor, TxnAction } from '../protocol/actions';
import { writeDataFiles, WriteSource } from '../parquet/data-file-writer';
import { Snapshot } from '../log/snapshot';
import { tableConfig } from '../log/table-config';
import { commitTransaction, PostCommitReport, TableLog } from '../log/transaction';
import { StructType } from '../schema/types';
import { AppendOnlyTableError, InvalidArgumentError } from '../errors';
import { mergeSchemas, metadataWithSchema } from './schema-evolution';
import { footprint } from '../log/conflict-checker';

export interface AppendOptions {
  /** Application transaction versions committed atomically with the data (idempotent writers). */
  txns?: Array<{ appId: string; version: number }>;
  operation?: string;
  operationParameters?: Record<string, string>;
  /**
   * Spark's `mergeSchema`: the data's schema. Its columns the table lacks are added (nullable, at
   * the end) in the same commit as the data; a type change is a SchemaMismatchError.
   */
  mergeSchema?: StructType;
}

export interface CommitSummary {
  version: number;
  addedFiles: number;
  removedFiles: number;
  /** What the post-commit hooks did (checkpoint, log cleanup, auto-compaction), and their errors. */
  postCommit?: PostCommitReport[];
}

const reported = (reports: PostCommitReport[]): PostCommitReport[] | undefined => (reports.length ? reports : undefined);

function txnActions(txns: AppendOptions['txns'], now: number): Action[] {
  return (txns ?? []).map((t): { txn: TxnAction } => ({ txn: { appId: t.appId, version: t.version, lastUpdated: now } }));
}

/** The schema to write with, and the metaData action that adds the merged columns when there are any. */
function schemaToWrite(snap: Snapshot, opts: AppendOptions): { schema: StructType; metadata: Action[] } {
  if (!opts.mergeSchema) return { schema: snap.schema, metadata: [] };
  const { schema, added } = mergeSchemas(snap.schema, opts.mergeSchema);
  return { schema, metadata: added.length ? [{ metaData: metadataWithSchema(snap, schema) }] : [] };
}

/** Blind append: conflicts only with protocol or metadata changes, or another writer using one of our appIds. */
export async function append(log: TableLog, snap: Snapshot, source: WriteSource, opts: AppendOptions = {}): Promise<CommitSummary> {
  const { schema } = schemaToWrite(snap, opts);
  const adds = await writeDataFiles(log.store, schema, snap.partitionColumns, source);
  return commitAdds(log, snap, adds, opts);
}

/** Commits data files written earlier (split out so a crash between the two steps can be tested). */
export async function commitAdds(log: TableLog, snap: Snapshot, adds: AddAction[], opts: AppendOptions = {}): Promise<CommitSummary> {
  const now = log.clock();
  const numRows = countRecords(adds);
  const { metadata } = schemaToWrite(snap, opts);
  const { version, postCommit } = await commitTransaction(log, snap, {
    actions: [...metadata, ...txnActions(opts.txns, now), ...adds.map((add) => ({ add }))],
    operation: opts.operation ?? 'WRITE',
    operationParameters: { mode: 'Append', partitionBy: JSON.stringify(snap.partitionColumns), ...opts.operationParameters },
    operationMetrics: { numFiles: String(adds.length), numOutputRows: String(numRows), numOutputBytes: String(adds.reduce((n, a) => n + a.size, 0)) },
    readVersion: snap.version,
    isBlindAppend: metadata.length === 0,
    footprint: footprint({ appIds: new Set((opts.txns ?? []).map((t) => t.appId)), changesMetadata: metadata.length > 0 }),
  });
  return { version, addedFiles: adds.length, removedFiles: 0, postCommit: reported(postCommit) };
}

export interface OverwriteOptions extends AppendOptions {
  /**
   * Partitions to replace, as partition-value maps. 'dynamic' replaces exactly the partitions
   * the new data falls in (Spark's partitionOverwriteMode=dynamic); omitted means the whole table.
   */
  partitions?: 'dynamic' | Record<string, string | null>[];
}

function inPartitions(pv: Record<string, string | null>, partitions: Record<string, string | null>[]): boolean {
  return partitions.some((p) => Object.entries(p).every(([k, v]) => (pv[k] ?? null) === v));
}

/** Overwrite or replace partitions: removes and adds in one commit, so readers see the old or the new data, never a mix. */
export async function overwrite(log: TableLog, snap: Snapshot, source: WriteSource, opts: OverwriteOptions = {}): Promise<CommitSummary> {
  refuseAppendOnly(snap);
  const adds = await writeDataFiles(log.store, schemaToWrite(snap, opts).schema, snap.partitionColumns, source);
  return commitOverwrite(log, snap, adds, opts);
}

/**
 * Commits data files written earlier (`writeDataFiles`, possibly in several batches) as an
 * overwrite: a writer whose new data is too large to hold at once writes it in parts and still
 * replaces the old data in one commit.
 */
export async function commitOverwrite(log: TableLog, snap: Snapshot, adds: AddAction[], opts: OverwriteOptions = {}): Promise<CommitSummary> {
  refuseAppendOnly(snap);
  const { metadata } = schemaToWrite(snap, opts);
  let partitions: 'all' | Record<string, string | null>[] = 'all';
  if (opts.partitions === 'dynamic') {
    const seen = new Map<string, Record<string, string | null>>();
    for (const a of adds) seen.set(JSON.stringify(a.partitionValues), a.partitionValues);
    partitions = [...seen.values()];
  } else if (opts.partitions) {
    partitions = opts.partitions;
    const outside = adds.find((a) => !inPartitions(a.partitionValues, opts.partitions as Record<string, string | null>[]));
    if (outside) throw new InvalidArgumentError(`new data falls outside the partitions being replaced: ${JSON.stringify(outside.partitionValues)}`);
  }
  const now = log.clock();
  const removed: RemoveAction[] = snap
    .files()
    .filter((f) => partitions === 'all' || inPartitions(f.partitionValues, partitions))
    .map((f) => removeActionFor(f, now, true));
  const removedPaths = new Set(removed.map((r) => r.path));
  const { version, postCommit } = await commitTransaction(log, snap, {
    actions: [...metadata, ...txnActions(opts.txns, now), ...removed.map((remove) => ({ remove })), ...adds.map((add) => ({ add }))],
    operation: opts.operation ?? 'WRITE',
    operationParameters: {
      mode: 'Overwrite',
      partitionBy: JSON.stringify(snap.partitionColumns),
      ...(partitions === 'all' ? {} : { predicate: JSON.stringify(partitions) }),
      ...opts.operationParameters,
    },
    operationMetrics: { numFiles: String(adds.length), numRemovedFiles: String(removed.length) },
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: {
      readPartitions: partitions,
      readFiles: removedPaths,
      removedFiles: removedPaths,
      appIds: new Set((opts.txns ?? []).map((t) => t.appId)),
      changesMetadata: metadata.length > 0,
      rearrangeOnly: false,
    },
  });
  return { version, addedFiles: adds.length, removedFiles: removed.length, postCommit: reported(postCommit) };
}

function refuseAppendOnly(snap: Snapshot): void {
  if (tableConfig(snap.configuration).appendOnly) throw new AppendOnlyTableError(snap.metadata.name ?? snap.metadata.id, 'overwrite is not allowed');
}
