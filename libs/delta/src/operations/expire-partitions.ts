import { RemoveAction, removeActionFor } from '../protocol/actions';
import type { DeltaTable } from '../table';
import { AppendOnlyTableError, InvalidArgumentError } from '../errors';

export interface ExpirePartitionsOptions {
  /** A partition column of type date (e.g. `jour`). */
  column: string;
  /** Partitions whose value is strictly before this day (YYYY-MM-DD) are removed. */
  before: string;
}

export interface ExpirePartitionsResult {
  /** The commit's version; absent when nothing had expired. */
  version?: number;
  /** Partition values removed, ascending. */
  partitionsRemoved: string[];
  filesRemoved: number;
}


/**
 * Retention by partition: removes every file of the partitions whose `column` value is before
 * `before`, in one commit (operation DELETE, like Spark's `DELETE WHERE jour < ...` on partition
 * columns, which only drops files). The removes have dataChange=true: rows leave the table, and
 * readers of its changes (silver) see those days change. The files stay on disk for time travel
 * until VACUUM deletes them past the table's retention.
 *
 * An append-only table refuses, as Spark and delta-rs do for any delete: retention there is a
 * decision the table's owner takes by unsetting the property, not one maintenance takes silently.
 */
export async function expirePartitions(table: DeltaTable, opts: ExpirePartitionsOptions): Promise<ExpirePartitionsResult> {
  const snap = table.snapshot;
  if (!snap.partitionColumns.includes(opts.column)) throw new InvalidArgumentError(`"${opts.column}" is not a partition column of the table at ${table.uri}`);
  const type = snap.schema.fields.find((f) => f.name === opts.column)?.type;
  if (type !== 'date') throw new InvalidArgumentError(`partition column "${opts.column}" has type ${String(type)}; retention needs a date column`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.before)) throw new InvalidArgumentError(`retention cutoff must be a day (YYYY-MM-DD), got "${opts.before}"`);
  const expired = snap.files().filter((f) => {
    const v = f.partitionValues[opts.column];
    return v !== null && v !== undefined && v !== '' && v < opts.before;
  });
  if (expired.length === 0) return { partitionsRemoved: [], filesRemoved: 0 };
  if (table.config.appendOnly) throw new AppendOnlyTableError(table.uri);
  const now = Date.now();
  const removes: RemoveAction[] = expired.map((f) => removeActionFor(f, now, true));
  const days = [...new Set(expired.map((f) => f.partitionValues[opts.column]!))].sort();
  const paths = new Set(removes.map((r) => r.path));
  const version = await table.commit({
    actions: removes.map((remove) => ({ remove })),
    operation: 'DELETE',
    operationParameters: { predicate: JSON.stringify([`${opts.column} < '${opts.before}'`]) },
    operationMetrics: { numRemovedFiles: String(removes.length), numDeletedPartitions: String(days.length) },
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: {
      // A concurrent write into an expiring day conflicts (ConcurrentAppend) instead of landing in a day being dropped.
      readPartitions: days.map((d) => ({ [opts.column]: d })),
      readFiles: paths,
      removedFiles: paths,
      appIds: new Set(),
      changesMetadata: false,
      rearrangeOnly: false,
    },
  });
  return { version, partitionsRemoved: days, filesRemoved: removes.length };
}
