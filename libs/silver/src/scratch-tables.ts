import { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent, sqlString, withConnection } from '@app/delta';

/**
 * A DuckDB memory limit for silver's heavy queries (ranking occurrences, aggregating days) and
 * the writes of their results, past which DuckDB spills sorts, joins, aggregates and scratch
 * tables to `tempDirectory`. A full refresh works in batches of days (silver-job.ts), so the
 * limit is a safety net for a day too large for it rather than what bounds the refresh.
 *
 * It is process-wide in DuckDB, so it is set around that work only and set back afterwards: the
 * rest of the process (Delta log reads, maintenance) keeps the process's own setting.
 */
export interface SilverDuckDBSettings {
  /** DuckDB syntax, e.g. "256MB". */
  memoryLimit: string;
  tempDirectory: string;
}

async function withSettings<T>(conn: DuckDBConnection, s: SilverDuckDBSettings | undefined, fn: () => Promise<T>): Promise<T> {
  if (!s) return fn();
  const [previous] = (await conn.runAndReadAll(`SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t`)).getRowObjectsJS() as { m: string; t: string }[];
  try {
    // Inside the try: DuckDB can keep a limit it failed to enforce (memory in use above it) and throw.
    await conn.run(`SET memory_limit = ${sqlString(s.memoryLimit)}`);
    // Left in place afterwards: DuckDB refuses to move a temp folder it has files in.
    if (previous.t !== s.tempDirectory) await conn.run(`SET temp_directory = ${sqlString(s.tempDirectory)}`);
    return await fn();
  } finally {
    // Set back explicitly: RESET restores the setting's value but not the buffer pool's limit.
    await conn.run(`SET memory_limit = ${sqlString(previous.m)}`);
  }
}

/**
 * Intermediate results of one run, as tables of the process's DuckDB database (visible to every
 * connection, so a Delta write's query can read them), dropped when the run ends.
 */
export class ScratchTables {
  private readonly names: string[] = [];

  constructor(
    private readonly prefix: string,
    private readonly settings?: SilverDuckDBSettings,
  ) {}

  /** Materializes `sql` as a table, under the memory limit; returns its quoted name for use in later queries. */
  async create(name: string, sql: string): Promise<string> {
    const table = sqlIdent(`${this.prefix}_${name}`);
    await withConnection((conn) => withSettings(conn, this.settings, () => conn.run(`CREATE OR REPLACE TABLE ${table} AS ${sql}`)));
    if (!this.names.includes(table)) this.names.push(table);
    return table;
  }

  /** Runs `fn` (which may use connections of its own: the limit is process-wide) under the memory limit. */
  limited<T>(fn: () => Promise<T>): Promise<T> {
    return withConnection((conn) => withSettings(conn, this.settings, fn));
  }

  async dropAll(): Promise<void> {
    const names = this.names.splice(0);
    if (names.length === 0) return;
    await withConnection(async (conn) => {
      for (const n of names) await conn.run(`DROP TABLE IF EXISTS ${n}`);
    });
  }
}

/** Rows of a query as JS objects (BIGINT as bigint). */
export async function queryRows<T>(sql: string): Promise<T[]> {
  return withConnection(async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[]);
}
