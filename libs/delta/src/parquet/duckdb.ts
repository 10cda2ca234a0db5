import { availableParallelism } from 'node:os';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * One in-memory DuckDB per process does all Parquet I/O and SQL. TimeZone is pinned to UTC
 * so TIMESTAMPTZ values and their statistics print in UTC whatever the host's zone is.
 */
let instance: Promise<DuckDBInstance> | undefined;

function sharedInstance(): Promise<DuckDBInstance> {
  if (!instance) {
    instance = DuckDBInstance.create(':memory:', {
      // Every core up to 4: beyond that a pod's Parquet files are too small to gain, and memory grows per thread.
      threads: String(Math.min(4, availableParallelism())),
      // Parquet written by us or read back must never depend on DuckDB extensions fetched at run time.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // Memory freed after each write goes back to the OS instead of staying cached (up to 128 MiB
      // by default): a long-running ingestor otherwise keeps its peak for good.
      allocator_flush_threshold: '16MB',
      allocator_bulk_deallocation_flush_threshold: '16MB',
    });
  }
  return instance;
}

export async function withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = await (await sharedInstance()).connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlStringList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}
