import { AddAction } from '../protocol/actions';
import { duckdbType, StructType } from '../schema/types';
import { sqlIdent, sqlString, withConnection } from '../parquet/duckdb';
import { decodeLogPath } from '../parquet/partition-path';
import { Row } from '../parquet/values';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { fileMayMatch, Filter, filterToSql, sqlLiteral } from './filter';
import { DataFileMissingError } from '../errors';

export interface ScanPlan {
  /** Files left after partition pruning and stats skipping. */
  files: AddAction[];
  /** A DuckDB SELECT over those files returning the table's columns with their Delta types. */
  sql: string;
}

/**
 * Builds a scan: prune files, then one read_parquet per partition, with partition columns
 * taken from the log (never from folder names) and every column cast to its Delta type, so
 * files written by other engines (dictionary pages, other physical widths) read the same.
 */
export async function planScan(
  store: ObjectStore,
  schema: StructType,
  partitionColumns: readonly string[],
  allFiles: Iterable<AddAction>,
  filters: readonly Filter[] = [],
): Promise<ScanPlan> {
  const files = [...allFiles].filter((f) => fileMayMatch(f, filters, schema, partitionColumns));
  const groups = new Map<string, { values: Record<string, string | null>; paths: string[] }>();
  for (const f of files) {
    const key = JSON.stringify(partitionColumns.map((c) => f.partitionValues[c] ?? null));
    const g = groups.get(key) ?? { values: f.partitionValues, paths: [] };
    // An object store copies the file before DuckDB reads it: a vacuumed file is missing here already.
    const readable = await store.readablePath(decodeLogPath(f.path)).catch((e: Error) => {
      throw e instanceof NotFoundError ? new DataFileMissingError(e) : e;
    });
    g.paths.push(readable);
    groups.set(key, g);
  }
  const where = filters.length ? ` WHERE ${filters.map((f) => filterToSql(f, schema)).join(' AND ')}` : '';
  if (groups.size === 0) {
    const cols = schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
    return { files, sql: `SELECT ${cols} WHERE false` };
  }
  const parts = [...groups.values()].map(({ values, paths }) => {
    const cols = schema.fields.map((f) => {
      const source = partitionColumns.includes(f.name)
        ? sqlLiteral(f.type, partitionValueOf(values[f.name]))
        : sqlIdent(f.name);
      return `CAST(${source} AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`;
    });
    // Files written before a column was added lack it: UNION BY NAME with an empty relation of
    // every data column makes it read as NULL (a plain reference would not bind).
    const dataColumns = schema.fields.filter((f) => !partitionColumns.includes(f.name));
    const allColumns = dataColumns.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
    const source =
      `(SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name=true)` +
      (dataColumns.length ? ` UNION ALL BY NAME SELECT ${allColumns} WHERE false)` : ')');
    return `SELECT ${cols.join(', ')} FROM ${source}`;
  });
  return { files, sql: `SELECT * FROM (${parts.join(' UNION ALL ')})${where}` };
}

function partitionValueOf(v: string | null | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}

/**
 * Runs a scan into JS rows: long as bigint, timestamp as ISO-8601 UTC with microseconds,
 * date as 'YYYY-MM-DD', the rest as JS primitives.
 */
export async function readScan(schema: StructType, plan: ScanPlan): Promise<Row[]> {
  const cols = schema.fields.map((f) => {
    const c = sqlIdent(f.name);
    if (f.type === 'timestamp') return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${c}`;
    if (f.type === 'date') return `strftime(${c}, '%Y-%m-%d') AS ${c}`;
    return c;
  });
  return withConnection(async (conn) => {
    try {
      const reader = await conn.runAndReadAll(`SELECT ${cols.join(', ')} FROM (${plan.sql})`);
      return reader.getRowObjectsJS() as Row[];
    } catch (e) {
      if (/No files found|No such file or directory/i.test((e as Error).message)) throw new DataFileMissingError(e as Error);
      throw e;
    }
  });
}

