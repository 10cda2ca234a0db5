import { sqlIdent, sqlString, withConnection } from '@app/delta';

/**
 * DuckDB settings for silver's queries, applied once per process before its first run: a memory
 * limit, past which DuckDB spills sorts, joins, aggregates and scratch tables to `tempDirectory`,
 * so a full refresh over any bronze size runs in bounded memory.
 */
export interface SilverDuckDBSettings {
  /** DuckDB syntax, e.g. "256MB". */
  memoryLimit: string;
  tempDirectory: string;
}

/**
 * Runs `fn` with these settings, restored to DuckDB's defaults afterwards: they are process-wide,
 * and other users of the process's DuckDB (maintenance, tests writing bronze) keep their own.
 */
export async function withSilverDuckDBSettings<T>(s: SilverDuckDBSettings, fn: () => Promise<T>): Promise<T> {
  await withConnection(async (conn) => {
    await conn.run(`SET memory_limit = ${sqlString(s.memoryLimit)}`);
    await conn.run(`SET temp_directory = ${sqlString(s.tempDirectory)}`);
  });
  try {
    return await fn();
  } finally {
    await withConnection(async (conn) => {
      for (const setting of ['memory_limit', 'temp_directory']) await conn.run(`RESET ${setting}`);
    });
  }
}

/**
 * Intermediate results of one run, as tables of the process's DuckDB database (visible to every
 * connection, so a Delta write's query can read them), dropped when the run ends.
 */
export class ScratchTables {
  private readonly names: string[] = [];

  constructor(private readonly prefix: string) {}

  /** Materializes `sql` as a table; returns its quoted name for use in later queries. */
  async create(name: string, sql: string): Promise<string> {
    const table = sqlIdent(`${this.prefix}_${name}`);
    await withConnection((conn) => conn.run(`CREATE OR REPLACE TABLE ${table} AS ${sql}`));
    this.names.push(table);
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
