import { SilverTableName } from './silver-tables';

/**
 * How a run brought the client aggregates up to date:
 * - full: every day recomputed from bronze (first run, unusable history, changed thresholds);
 * - incremental: only the days bronze commits touched since the last run, plus the days whose
 *   sales lost or regained their first occurrence because of them;
 * - up-to-date: no bronze data change since the last run (derived tables may still be caught up);
 * - no-bronze-table: nothing to read yet.
 */
export type RunMode = 'full' | 'incremental' | 'up-to-date' | 'no-bronze-table';

/** A day left out of a run because aggregating it failed; the other days were refreshed. */
export interface FailedDay {
  day: string;
  errorClass: string;
  error: string;
}

/** Duplicates among the occurrences of the days a run recomputed (see first-occurrences.ts). */
export interface DuplicateCounts {
  /** Bronze rows of those days not counted: later occurrences of a sale. */
  dropped: number;
  /** Of those, rows whose payload differs from the first occurrence's. */
  conflicts: number;
  /** Change of `dropped` and `conflicts` over those days against the previous run: duplicates this run found. */
  newlyDropped: number;
  newConflicts: number;
}

export interface RunReport {
  /** Sequence number of the run in this process. */
  runId: number;
  /** What started it (startup, schedule, bronze, manual, retry...); callers joining a run get the first caller's report. */
  trigger: string;
  /**
   * failed: the run raised an error, or some days could not be aggregated (`failedDays`; the
   * other days were committed, and silver still records the previous bronze version, so the
   * next run retries them).
   */
  status: 'running' | 'succeeded' | 'failed';
  mode?: RunMode;
  /** Why the run was full (or had nothing to read). */
  reason?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /**
   * Bronze version read (after a successful run, silver reflects all its data), and the one
   * recorded in ventes_aggreges before the run. Commits that change no data (compactions) do not
   * move the recorded version: they are re-read, cheaply, by the next run.
   */
  bronzeVersion: number | null;
  previousBronzeVersion: number | null;
  bronzeCommitsRead: number;
  /** Bronze rows aggregated (sum of the scanned files' numRecords). */
  bronzeRowsRead: number;
  daysRecomputed: string[];
  failedDays: FailedDay[];
  duplicates: DuplicateCounts;
  /** Rows committed per silver table by this run (0 when the table was not rewritten). */
  rowsWritten: Partial<Record<SilverTableName, number>>;
  /** Version of each silver table after the run. */
  silverVersions: Partial<Record<SilverTableName, number>>;
  /** Class (constructor name) and first line of the error that failed the run. */
  errorClass?: string;
  error?: string;
}

/**
 * An error's class and a message fit for reports and logs: its first line, bounded (DuckDB
 * messages can carry whole SQL texts). DuckDB throws plain Errors whose message starts with its
 * own class ("Conversion Error: ..."), which is the more useful one.
 */
export function describeError(e: unknown): { errorClass: string; error: string } {
  const isError = typeof e === 'object' && e !== null && typeof (e as Error).message === 'string';
  const text = isError ? (e as Error).message : String(e);
  const firstLine = text.split('\n')[0];
  const duckdbClass = /^([A-Z][A-Za-z ]*Error):/.exec(firstLine)?.[1];
  const ownClass = isError ? ((e as Error).constructor?.name ?? 'Error') : typeof e;
  const errorClass = ownClass === 'Error' && duckdbClass ? duckdbClass : ownClass;
  return { errorClass, error: firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine };
}
