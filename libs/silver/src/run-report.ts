import { SilverTableName } from './silver-tables';

/**
 * How a run brought the client aggregates up to date:
 * - full: every day recomputed from bronze (first run, unusable history, changed thresholds);
 * - incremental: only the days bronze commits touched since the last run;
 * - up-to-date: no bronze data change since the last run (derived tables may still be caught up);
 * - no-bronze-table: nothing to read yet.
 */
export type RunMode = 'full' | 'incremental' | 'up-to-date' | 'no-bronze-table';

export interface RunReport {
  /** Sequence number of the run in this process. */
  runId: number;
  /** What started it (startup, schedule, manual...); callers joining a run get the first caller's report. */
  trigger: string;
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
  /** Rows committed per silver table by this run (0 when the table was not rewritten). */
  rowsWritten: Partial<Record<SilverTableName, number>>;
  /** Version of each silver table after the run. */
  silverVersions: Partial<Record<SilverTableName, number>>;
  error?: string;
}
