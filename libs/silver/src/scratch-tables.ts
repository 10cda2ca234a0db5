import { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent, sqlString, withConnection } from '@app/delta';

/**
 * A DuckDB memory limit for silver's heavy queries (ranking occurrences, aggregating days), past
 * which DuckDB spills sorts, joins, aggregates and scratch tables to `tempDirectory`, so a full
 * refresh over any bronze size runs in bounded memory.
 *
 * It is process-wide in DuckDB, so it is set around those queries only, not around Delta
 * commits: a checkpoint reads the log with a 1 GiB maximum JSON object size, for which DuckDB
 * reserves 2 GiB, and would fail under any useful limit.
 */
export interface SilverDuckDBSettings {
  /** DuckDB syntax, e.g. "256MB". */
  memoryLimit: string;
  tempDirectory: string;
}

async function withSettings<T>(conn: DuckDBConnection, s: SilverDuckDBSettings | undefined, fn: () => Promise<T>): Promise<T> {
  if (!s) return fn();
  const [previous] = (await conn.runAndReadAll(`SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t`)).getRowObjectsJS() as { m: string; t: string }[];
  await conn.run(`SET memory_limit = ${sqlString(s.memoryLimit)}`);
  // Left in place afterwards: DuckDB refuses to move a temp folder it has files in.
  if (previous.t !== s.tempDirectory) await conn.run(`SET temp_directory = ${sqlString(s.tempDirectory)}`);
  try {
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
