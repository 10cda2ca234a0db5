import { randomUUID } from 'node:crypto';
import { DuckDBBlobValue, DuckDBConnection, DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import { AddAction, FileStats } from '../protocol/actions';
import { ObjectStore } from '../storage/object-store';
import { duckdbType, hasMinMaxStats, PrimitiveType, StructField, StructType } from '../schema/types';
import { sqlIdent, sqlString, withConnection } from './duckdb';
import { encodeLogPath, partitionFolder } from './partition-path';
import { EXPECTED, microsToIso, Row, toEpochMicros, toRawValue } from './values';

/** Rows given as JS objects, or a DuckDB SELECT whose output columns are named like the table's. */
export type WriteSource = { rows: readonly Row[] } | { sql: string };

export class SchemaViolationError extends Error {
  constructor(
    message: string,
    readonly column: string,
    readonly row?: number,
  ) {
    super(message);
    this.name = 'SchemaViolationError';
  }
}

const CHUNK_ROWS = 2048;
const MAX_SAFE_LONG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Writes the source as one snappy Parquet file per partition and returns their `add` actions
 * (dataChange=true). Files land under their final names but stay invisible until a commit
 * references them; a crash before the commit only leaves orphans for VACUUM.
 */
export async function writeDataFiles(
  store: ObjectStore,
  schema: StructType,
  partitionColumns: readonly string[],
  source: WriteSource,
): Promise<AddAction[]> {
  return withConnection(async (conn) => {
    const stage = `stage_${randomUUID().replace(/-/g, '')}`;
    try {
      const relation = 'rows' in source ? await appendRows(conn, stage, schema, source.rows) : await insertQuery(conn, stage, schema, source.sql);
      return await copyPartitions(conn, store, relation, schema, partitionColumns);
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${stage}`);
    }
  });
}

function columnDdl(f: StructField): string {
  return `${sqlIdent(f.name)} ${duckdbType(f.type)}${f.nullable ? '' : ' NOT NULL'}`;
}

function describe(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return `${typeof v} ${text.length > 40 ? text.slice(0, 40) + '…' : text}`;
}

/** A string column with few distinct values is appended as indexes into a per-batch dictionary. */
const MAX_DICTIONARY = 4096;

interface RawColumn {
  field: StructField;
  /** Type of the raw staging column: what JS hands to DuckDB before the SQL conversion. */
  rawType: string;
  /** SQL turning the raw column into the Delta type. */
  select: string;
  dictionary?: Map<string, number>;
}

function rawColumns(schema: StructType, rows: readonly Row[]): RawColumn[] {
  return schema.fields.map((field) => {
    const c = sqlIdent(field.name);
    if (field.type === 'timestamp') return { field, rawType: 'BIGINT', select: `make_timestamp(${c})::TIMESTAMPTZ` };
    if (field.type === 'date') return { field, rawType: 'INTEGER', select: `CAST(DATE '1970-01-01' + ${c} AS DATE)` };
    if (field.type === 'string') {
      const dictionary = new Map<string, number>();
      for (const row of rows) {
        const v = row[field.name];
        if (typeof v === 'string' && !dictionary.has(v)) {
          dictionary.set(v, dictionary.size + 1);
          if (dictionary.size > MAX_DICTIONARY || dictionary.size * 4 > rows.length) break;
        }
      }
      if (dictionary.size <= MAX_DICTIONARY && dictionary.size * 4 <= rows.length) {
        return { field, rawType: 'INTEGER', select: `(${sqlStringArray([...dictionary.keys()])})[${c}]`, dictionary };
      }
    }
    return { field, rawType: duckdbType(field.type), select: c };
  });
}

function sqlStringArray(values: string[]): string {
  return `[${values.map(sqlString).join(', ')}]::VARCHAR[]`;
}

/**
 * Appends JS rows: each cell is checked and converted once, straight into DuckDB's column
 * vectors (typed arrays for numbers, dictionary indexes for repetitive strings), so few values
 * cross into native code one by one. A bad cell aborts the write with its row and column, before
 * anything reaches storage. Returns the SQL converting the raw columns to the Delta types,
 * which the Parquet COPY reads directly.
 */
async function appendRows(conn: DuckDBConnection, stage: string, schema: StructType, rows: readonly Row[]): Promise<string> {
  const columns = rawColumns(schema, rows);
  await conn.run(`CREATE TEMP TABLE ${stage} (${columns.map((c) => `${sqlIdent(c.field.name)} ${c.rawType}`).join(', ')})`);
  const appender = await conn.createAppender(stage);
  const probe = await conn.runAndReadAll(`SELECT * FROM ${stage} LIMIT 0`);
  const types: DuckDBType[] = columns.map((_, i) => probe.columnType(i));
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const n = Math.min(rows.length, start + CHUNK_ROWS) - start;
    const chunk = DuckDBDataChunk.create(types, n);
    columns.forEach((col, c) => fillVector(chunk, c, col, rows, start, n));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  return `SELECT ${columns.map((c) => `${c.select} AS ${sqlIdent(c.field.name)}`).join(', ')} FROM ${stage}`;
}

function fillVector(chunk: DuckDBDataChunk, index: number, col: RawColumn, rows: readonly Row[], start: number, n: number): void {
  const vector = chunk.getColumnVector(index) as unknown as { setItem(i: number, v: unknown): void; flush(): void };
  const { field, dictionary } = col;
  for (let i = 0; i < n; i++) {
    const v = rows[start + i][field.name];
    if (v === null || v === undefined) {
      if (!field.nullable) throw new SchemaViolationError(`row ${start + i}: column "${field.name}" is not nullable but got null`, field.name, start + i);
      vector.setItem(i, null);
      continue;
    }
    const value = toRawValue(field.type, v);
    if (value === undefined) {
      throw new SchemaViolationError(`row ${start + i}: column "${field.name}" (${field.type}) expected ${EXPECTED[field.type]}, got ${describe(v)}`, field.name, start + i);
    }
    if (dictionary) vector.setItem(i, dictionary.get(value as string));
    else vector.setItem(i, field.type === 'binary' ? new DuckDBBlobValue(value as Uint8Array) : value);
  }
  vector.flush();
}

/** A query's rows go through a typed table first, so NOT NULL columns are enforced. */
async function insertQuery(conn: DuckDBConnection, stage: string, schema: StructType, sql: string): Promise<string> {
  await conn.run(`CREATE TEMP TABLE ${stage} (${schema.fields.map(columnDdl).join(', ')})`);
  try {
    await conn.run(`INSERT INTO ${stage} BY NAME (${sql})`);
  } catch (e) {
    const msg = (e as Error).message;
    const notNull = /NOT NULL constraint failed: \S+\.(\S+)/.exec(msg);
    if (notNull) throw new SchemaViolationError(`column "${notNull[1]}" is not nullable but the query produced null`, notNull[1]);
    throw e;
  }
  return `SELECT * FROM ${stage}`;
}

async function copyPartitions(
  conn: DuckDBConnection,
  store: ObjectStore,
  relation: string,
  schema: StructType,
  partitionColumns: readonly string[],
): Promise<AddAction[]> {
  const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
  const partitions: Record<string, string | null>[] = [];
  if (partitionColumns.length === 0) partitions.push({});
  else {
    const sel = partitionColumns.map((c) => `${partitionText(schema, c)} AS ${sqlIdent(c)}`).join(', ');
    const res = await conn.runAndReadAll(`SELECT DISTINCT ${sel} FROM (${relation})`);
    for (const r of res.getRowObjectsJS()) partitions.push(r as Record<string, string | null>);
  }
  const adds: AddAction[] = [];
  for (const values of partitions) {
    const where = partitionColumns.length
      ? 'WHERE ' +
        partitionColumns
          .map((c) => (values[c] === null ? `${sqlIdent(c)} IS NULL` : `${partitionText(schema, c)} = ${sqlString(values[c]!)}`))
          .join(' AND ')
      : '';
    const folder = partitionFolder(partitionColumns, values);
    const relative = `${folder ? folder + '/' : ''}part-00000-${randomUUID()}-c000.snappy.parquet`;
    const target = await store.stagingPath(relative);
    const cols = dataFields.map((f) => sqlIdent(f.name)).join(', ');
    const res = await conn.runAndReadAll(
      `COPY (SELECT ${cols} FROM (${relation}) ${where}) TO ${sqlString(target)} ` +
        `(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880, RETURN_STATS)`,
    );
    const [out] = res.getRowObjectsJson() as unknown as CopyStats[];
    await store.publish(relative, target);
    adds.push({
      path: encodeLogPath(relative),
      partitionValues: values,
      size: Number(out.file_size_bytes),
      modificationTime: Date.now(),
      dataChange: true,
      stats: JSON.stringify(fileStats(dataFields, out)),
    });
  }
  return adds;
}

/**
 * A partition value as the log stores it (PROTOCOL.md "Partition Value Serialization"): timestamps
 * as ISO-8601 UTC with microseconds, not DuckDB's '2024-12-12 10:00:00.5+00', which no reader parses.
 */
function partitionText(schema: StructType, column: string): string {
  const c = sqlIdent(column);
  const type = schema.fields.find((f) => f.name === column)?.type;
  return type === 'timestamp' ? `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ')` : `CAST(${c} AS VARCHAR)`;
}

interface CopyStats {
  count: string;
  file_size_bytes: string;
  column_statistics: Array<{ key: string; value: Array<{ key: string; value: string }> }> | null;
}

/** Delta stats from DuckDB's RETURN_STATS; partition columns are left out, as Spark and delta-rs do. */
export function fileStats(dataFields: readonly StructField[], out: CopyStats): FileStats {
  const stats: FileStats = { numRecords: Number(out.count), minValues: {}, maxValues: {}, nullCount: {} };
  const byColumn = new Map<string, Map<string, string>>();
  for (const c of out.column_statistics ?? []) {
    byColumn.set(c.key.replace(/^"|"$/g, '').replace(/""/g, '"'), new Map(c.value.map((kv) => [kv.key, kv.value])));
  }
  for (const f of dataFields) {
    const s = byColumn.get(f.name);
    stats.nullCount[f.name] = s?.has('null_count') ? Number(s.get('null_count')) : 0;
    if (!s || !hasMinMaxStats(f.type) || s.get('has_nan') === 'true') continue;
    const min = s.get('min');
    const max = s.get('max');
    if (min === undefined || max === undefined) continue;
    const minValue = statValue(f.type, min, 'min');
    const maxValue = statValue(f.type, max, 'max');
    if (minValue !== undefined) stats.minValues[f.name] = minValue;
    if (maxValue !== undefined) stats.maxValues[f.name] = maxValue;
  }
  return stats;
}

/**
 * Timestamps are truncated to milliseconds, the max rounded up so it still bounds the data.
 * A long beyond +-(2^53-1) has no exact JS number: it is left out (undefined) rather than written
 * rounded, which would not bound the data, or as 2^63, which int64 readers (delta-rs) reject.
 */
function statValue(type: PrimitiveType, raw: string, bound: 'min' | 'max'): unknown {
  switch (type) {
    case 'long': {
      const exact = BigInt(raw);
      return exact >= -MAX_SAFE_LONG && exact <= MAX_SAFE_LONG ? Number(exact) : undefined;
    }
    case 'float':
      // DuckDB prints the shortest float32 text ("0.1"); as a double it lies inside the float's value
      // (0.10000000149011612), so a max would not bound it. fround gives the stored value exactly.
      return Math.fround(Number(raw));
    case 'string':
    case 'date':
      return raw;
    case 'timestamp': {
      const micros = toEpochMicros(raw.replace(/\+00$/, 'Z'))!;
      // Floor, not BigInt's truncation toward zero, which would raise a pre-1970 min above the data.
      let ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
      if (bound === 'max' && micros % 1000n !== 0n) ms += 1n;
      return microsToIso(ms * 1000n).slice(0, 23) + 'Z';
    }
    default:
      return Number(raw);
  }
}
