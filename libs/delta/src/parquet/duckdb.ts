import { availableParallelism } from 'node:os';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgumentError } from '../errors';

/**
 * One in-memory DuckDB per process does all Parquet I/O and SQL. TimeZone is pinned to UTC
 * so TIMESTAMPTZ values and their statistics print in UTC whatever the host's zone is.
 */
let instance: Promise<DuckDBInstance> | undefined;
/** Every core up to 4 unless configured: beyond that a pod's Parquet files are too small to gain, and memory grows per thread. */
let threads = Math.min(4, availableParallelism());

/**
 * Sets DuckDB's worker threads, before its first use (the instance is made once per process). A
 * process whose own threads already keep the cores busy, and whose writes are small, spends less
 * CPU with fewer: the bronze ingestor uses 1.
 */
export function configureDuckDB(options: { threads: number }): void {
  if (instance) throw new InvalidArgumentError('configureDuckDB: DuckDB is already started in this process; configure it before its first use');
  if (!Number.isInteger(options.threads) || options.threads < 1)
    throw new InvalidArgumentError(`configureDuckDB: threads must be a positive integer, got ${options.threads}`);
  threads = options.threads;
}

function sharedInstance(): Promise<DuckDBInstance> {
  if (!instance) {
    instance = DuckDBInstance.create(':memory:', {
      threads: String(threads),
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

/**
 * Connections that finished their work cleanly, ready for the next caller. Opening one and
 * setting its time zone are two trips through the event loop; under load (an ingestor's loop
 * busy with Kafka fetches) each trip waits behind the loop's other work, on every write.
 */
const idleConnections: DuckDBConnection[] = [];
const MAX_IDLE_CONNECTIONS = 4;

async function openConnection(): Promise<DuckDBConnection> {
  const conn = await (await sharedInstance()).connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
  } catch (e) {
    conn.closeSync();
    throw e;
  }
  return conn;
}

/**
 * Runs `fn` on a connection of its own, reused afterwards unless `fn` failed: its session state
 * is then unknown, and failures are rare enough that a new connection costs nothing.
 */
export async function withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = idleConnections.pop() ?? (await openConnection());
  let result: T;
  try {
    result = await fn(conn);
  } catch (e) {
    conn.closeSync();
    throw e;
  }
  if (idleConnections.length < MAX_IDLE_CONNECTIONS) idleConnections.push(conn);
  else conn.closeSync();
  return result;
}

/** A string literal; a NUL (which ends a literal in DuckDB's parser) is spliced in as chr(0). */
export function sqlString(value: string): string {
  const quoted = (part: string) => `'${part.replace(/'/g, "''")}'`;
  if (!value.includes('\0')) return quoted(value);
  return `(${value.split('\0').map(quoted).join(' || chr(0) || ')})`;
}

export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlStringList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}
