import { Action, DeltaTable, NotFoundError, readCommits } from '@app/delta';
import { BRONZE_TABLE } from '@app/schemas';

/** The bronze partition column: the event day, which is also a grouping key of `ventes_aggreges`. */
export const DAY_COLUMN = BRONZE_TABLE.partitionColumns[0];

/** What the silver client aggregates must recompute to catch up with bronze. */
export type RecomputeScope =
  /** Every day: there is no usable record of what was processed before. */
  | { kind: 'all'; reason: string }
  /** Only these days (possibly none: bronze has no new data changes). */
  | { kind: 'days'; days: string[]; commitsRead: number };

/**
 * The event days whose bronze data changed after `processedVersion`, from the commits
 * `processedVersion + 1 .. bronze.version`: the `jour` of every add or remove with dataChange=true.
 * Compactions (OPTIMIZE, dataChange=false) rewrite files without changing rows and are skipped,
 * which matters because the ingestor compacts past days regularly.
 *
 * Falls back to recomputing everything when that cannot be known exactly: no processed version
 * (first run), a version past the table's (bronze was recreated), commits already cleaned up from
 * the log, a metadata change, or a file without its day.
 */
export async function bronzeChangesSince(bronze: DeltaTable, processedVersion: number | undefined): Promise<RecomputeScope> {
  if (processedVersion === undefined) return { kind: 'all', reason: 'first run: no bronze version processed yet' };
  if (processedVersion > bronze.version) {
    return { kind: 'all', reason: `processed bronze version ${processedVersion} is past the table's version ${bronze.version}` };
  }
  const versions: number[] = [];
  for (let v = processedVersion + 1; v <= bronze.version; v++) versions.push(v);
  let commits: Action[][];
  try {
    commits = await readCommits(bronze.store, versions);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    return { kind: 'all', reason: `bronze commits after version ${processedVersion} are no longer in the log` };
  }
  const days = new Set<string>();
  for (let i = 0; i < commits.length; i++) {
    for (const a of commits[i]) {
      if ('metaData' in a) return { kind: 'all', reason: `bronze metadata changed at version ${versions[i]}` };
      const change = 'add' in a ? a.add : 'remove' in a ? a.remove : undefined;
      if (!change?.dataChange) continue;
      const day = change.partitionValues?.[DAY_COLUMN];
      if (!day) return { kind: 'all', reason: `bronze version ${versions[i]} changed a file without a ${DAY_COLUMN} value` };
      days.add(day);
    }
  }
  return { kind: 'days', days: [...days].sort(), commitsRead: commits.length };
}

/** Every day present in a table partitioned by DAY_COLUMN, ascending. */
export function daysIn(table: DeltaTable): string[] {
  const days = new Set<string>();
  for (const f of table.snapshot.files()) {
    const day = f.partitionValues[DAY_COLUMN];
    if (day) days.add(day);
  }
  return [...days].sort();
}
