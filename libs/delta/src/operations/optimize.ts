import { AddAction, removeActionFor } from '../protocol/actions';
import { writeDataFiles } from '../parquet/data-file-writer';
import { fileMayMatch, Filter } from '../scan/filter';
import { planScan } from '../scan/scan';
import { Snapshot } from '../log/snapshot';
import { commitTransaction, TableLog } from '../log/transaction';
import { footprint } from '../log/conflict-checker';

export interface OptimizeOptions {
  /** Only partitions matching these filters on partition columns are compacted. */
  partitionFilters?: Filter[];
  /** Only these partitions (partition-value maps) are compacted. */
  partitions?: Record<string, string | null>[];
  /** Files at or above this size are left alone (default 128 MiB, as Spark's maxFileSize default is 1 GiB and delta-rs's target 100 MiB). */
  targetFileSize?: number;
  /** A partition is compacted only when it has at least this many small files. */
  minFilesToCompact?: number;
}

export interface OptimizeResult {
  version?: number;
  numFilesRemoved: number;
  numFilesAdded: number;
  partitionsOptimized: number;
}

/**
 * Bin-packing compaction: the small files of each partition are rewritten into one file and
 * committed as removes + adds with dataChange=false, so streaming readers skip the commit
 * and concurrent appends do not conflict with it.
 */
export async function optimize(log: TableLog, snap: Snapshot, opts: OptimizeOptions = {}): Promise<OptimizeResult> {
  const target = opts.targetFileSize ?? 128 * 1024 * 1024;
  const minFiles = Math.max(2, opts.minFilesToCompact ?? 2);
  const only = opts.partitions && new Set(opts.partitions.map((p) => partitionKey(snap.partitionColumns, p)));
  const groups = new Map<string, AddAction[]>();
  for (const f of snap.files()) {
    if (f.size >= target) continue;
    if (!fileMayMatch(f, opts.partitionFilters ?? [], snap.schema, snap.partitionColumns)) continue;
    const key = partitionKey(snap.partitionColumns, f.partitionValues);
    if (only && !only.has(key)) continue;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const removed: AddAction[] = [];
  const added: AddAction[] = [];
  for (const files of groups.values()) {
    if (files.length < minFiles) continue;
    const plan = await planScan(log.store, snap.schema, snap.partitionColumns, files);
    const adds = await writeDataFiles(log.store, snap.schema, snap.partitionColumns, { sql: plan.sql });
    removed.push(...files);
    added.push(...adds.map((a) => ({ ...a, dataChange: false })));
  }
  if (removed.length === 0) return { numFilesRemoved: 0, numFilesAdded: 0, partitionsOptimized: 0 };
  const now = log.clock();
  const paths = new Set(removed.map((f) => f.path));
  const { version } = await commitTransaction(log, snap, {
    actions: [
      ...removed.map((f) => ({
        remove: removeActionFor(f, now, false),
      })),
      ...added.map((add) => ({ add })),
    ],
    operation: 'OPTIMIZE',
    operationParameters: { predicate: JSON.stringify(opts.partitionFilters ?? []), targetSize: String(target) },
    operationMetrics: { numRemovedFiles: String(removed.length), numAddedFiles: String(added.length) },
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: footprint({ readFiles: paths, removedFiles: paths, rearrangeOnly: true }),
  });
  return { version, numFilesRemoved: removed.length, numFilesAdded: added.length, partitionsOptimized: added.length };
}

/** Identifies a partition by its values in partition-column order. */
export function partitionKey(partitionColumns: readonly string[], values: Record<string, string | null>): string {
  return JSON.stringify(partitionColumns.map((c) => values[c] ?? null));
}
