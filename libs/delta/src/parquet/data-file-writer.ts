import { randomUUID } from 'node:crypto';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBBlobValue,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBType,
  DuckDBVector,
  ENUM,
  INTEGER,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { AddAction } from '../protocol/actions';
import { ObjectStore } from '../storage/object-store';
import { duckdbType, StructField, StructType } from '../schema/types';
import { CopyStats, fileStats, RawBounds, serializeStats } from './file-stats';
import { ColumnBatch } from './column-batch';
import { SchemaViolationError } from '../errors';
import { encodeColumn, EncodedColumn, encodeRowsColumn, stageDdl } from './column-encoding';
import { sqlIdent, sqlString, withConnection } from './duckdb';
import { encodeLogPath, partitionFolder } from './partition-path';
import { daysToIsoDate, Row } from './values';

/** Rows given as JS objects, as columns, or a DuckDB SELECT whose output columns are named like the table's. */
export type WriteSource = { rows: readonly Row[] } | { columns: ColumnBatch } | { sql: string };

/** DuckDB's standard vector size: the appender takes data chunks of at most this many rows. */
const CHUNK_ROWS = 2048;

/**
 * Writes the source as one snappy Parquet file per partition and returns their `add` actions
 * (dataChange=true). Every value is checked before anything reaches storage. Files land under
 * their final names but stay invisible until a commit references them; a crash before the
 * commit only leaves orphans for VACUUM.
 */
export async function writeDataFiles(
  store: ObjectStore,
  schema: StructType,
  partitionColumns: readonly string[],
  source: WriteSource,
): Promise<AddAction[]> {
  const encoded =
    'rows' in source ? encodeRows(schema, source.rows) : 'columns' in source ? encodeBatch(schema, source.columns) : undefined;
  return withConnection(async (conn) => {
    const stage = `stage_${randomUUID().replace(/-/g, '')}`;
    try {
      const relation = encoded
        ? await stageColumns(conn, stage, encoded.columns, encoded.numRows)
        : await insertQuery(conn, stage, schema, (source as { sql: string }).sql);
      const partitions =
        encoded && partitionColumns.length ? distinctPartitions(encoded.columns, partitionColumns, encoded.numRows) : undefined;
      const boundsFromRows = new Set(encoded?.columns.filter((c) => c.boundsFromRows).map((c) => c.field.name));
      return await copyPartitions(conn, store, relation, schema, partitionColumns, boundsFromRows, partitions);
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${stage}`);
    }
  });
}

function encodeRows(schema: StructType, rows: readonly Row[]): { columns: EncodedColumn[]; numRows: number } {
  return { columns: schema.fields.map((f) => encodeRowsColumn(f, rows)), numRows: rows.length };
}

function encodeBatch(schema: StructType, batch: ColumnBatch): { columns: EncodedColumn[]; numRows: number } {
  const known = new Set(schema.fields.map((f) => f.name));
  const unknown = Object.keys(batch.columns).find((name) => !known.has(name));
  if (unknown !== undefined) throw new SchemaViolationError(`column "${unknown}" is not in the table's schema`, unknown);
  return { columns: schema.fields.map((f) => encodeColumn(f, batch.columns[f.name], batch.numRows)), numRows: batch.numRows };
}

/**
 * Appends the encoded columns to a staging table, one data chunk at a time: typed values are
 * copied into DuckDB's vectors as memory blocks, the rest one value at a time. Returns the SQL
 * converting the staged columns to the Delta types, which the Parquet COPY reads directly.
 */
async function stageColumns(conn: DuckDBConnection, stage: string, columns: EncodedColumn[], numRows: number): Promise<string> {
  await conn.run(`CREATE TEMP TABLE ${stage} (${columns.map((c) => `${sqlIdent(c.field.name)} ${stageDdl(c)}`).join(', ')})`);
  const appender = await conn.createAppender(stage);
  const types = columns.map(chunkType);
  // One chunk and one set of vector wrappers, refilled for every slice: a wrapper per slice
  // re-read each ENUM's whole dictionary from DuckDB, and a chunk per slice rebuilt the type.
  const chunk = DuckDBDataChunk.create(types, CHUNK_ROWS);
  chunk.rowCount = Math.min(numRows, CHUNK_ROWS);
  const vectors = columns.map((_, c) => chunk.getColumnVector(c));
  for (let start = 0; start < numRows; start += CHUNK_ROWS) {
    const n = Math.min(numRows, start + CHUNK_ROWS) - start;
    chunk.rowCount = n;
    columns.forEach((col, c) => fillVector(vectors[c], col, start, n));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  return `SELECT ${columns.map((c) => `${c.select} AS ${sqlIdent(c.field.name)}`).join(', ')} FROM ${stage}`;
}

const STAGE_TYPES: Record<Exclude<EncodedColumn['stageType'], 'ENUM'>, DuckDBType> = {
  DOUBLE,
  INTEGER,
  BIGINT,
  DATE,
  TIMESTAMPTZ,
  VARCHAR,
  BOOLEAN,
  BLOB,
};

/** The data chunk's type of a staging column, the same as its DDL type. */
function chunkType(col: EncodedColumn): DuckDBType {
  return col.stageType === 'ENUM' ? ENUM(col.dictionary!) : STAGE_TYPES[col.stageType];
}

/** A vector's validity bits; every row's is set, since a refilled vector keeps the previous slice's. */
interface Validity {
  setItemValid(row: number, valid: boolean): void;
}

function fillVector(vector: DuckDBVector, col: EncodedColumn, start: number, n: number): void {
  const { values, nulls } = col;
  if (ArrayBuffer.isView(values)) {
    // Numeric, DATE, TIMESTAMPTZ and ENUM vectors expose their memory as a typed array of the
    // same width (ENUM: 8, 16 or 32-bit indexes, which set() narrows from the Int32Array).
    const items = (vector as unknown as { items: typeof values }).items;
    (items as Float64Array).set((values as Float64Array).subarray(start, start + n));
    if (nulls) {
      const validity = (vector as unknown as { validity: Validity }).validity;
      for (let i = 0; i < n; i++) validity.setItemValid(i, nulls[start + i] === 0);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[start + i];
      vector.setItem(i, v instanceof Uint8Array ? new DuckDBBlobValue(v) : v);
    }
  }
  vector.flush();
}

function columnDdl(f: StructField): string {
  return `${sqlIdent(f.name)} ${duckdbType(f.type)}${f.nullable ? '' : ' NOT NULL'}`;
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

type PartitionValues = Record<string, string | null>;

/**
 * The distinct partition values of staged columns, found in JS when every partition column is a
 * date, an integer or a string (what partitioned tables use), which saves DuckDB a pass over the
 * batch. Undefined otherwise: DuckDB is asked. Values are as the log stores them.
 */
function distinctPartitions(
  columns: readonly EncodedColumn[],
  partitionColumns: readonly string[],
  numRows: number,
): PartitionValues[] | undefined {
  const parts = partitionColumns.map((name) => columns.find((c) => c.field.name === name)!);
  const texts: Array<(row: number) => string | null> = [];
  for (const { field, stageType, values, nulls, dictionary } of parts) {
    const isNull = (r: number) => nulls?.[r] === 1 || values[r] === null;
    if (stageType === 'DATE') texts.push((r) => (isNull(r) ? null : daysToIsoDate(values[r] as number)));
    else if (stageType === 'ENUM') texts.push((r) => (isNull(r) ? null : dictionary![values[r] as number]));
    else if (
      stageType === 'VARCHAR' ||
      (stageType === 'INTEGER' && field.type !== 'short' && field.type !== 'byte') ||
      (stageType === 'DOUBLE' && field.type === 'long')
    ) {
      texts.push((r) => (isNull(r) ? null : String(values[r])));
    } else return undefined;
  }
  // Rows are told apart by their staged values (numbers, indexes), cheaper than by text.
  const NULL = Symbol('null');
  const key = (k: number, r: number) => (parts[k].nulls?.[r] === 1 ? NULL : parts[k].values[r]);
  const firstRows = new Map<unknown, number>();
  for (let r = 0; r < numRows; r++) {
    const id = parts.length === 1 ? key(0, r) : JSON.stringify(parts.map((_, k) => String(key(k, r))));
    if (!firstRows.has(id)) firstRows.set(id, r);
  }
  return [...firstRows.values()].map((r) => Object.fromEntries(partitionColumns.map((c, k) => [c, texts[k](r)])));
}

async function queryPartitions(
  conn: DuckDBConnection,
  relation: string,
  schema: StructType,
  partitionColumns: readonly string[],
): Promise<PartitionValues[]> {
  const sel = partitionColumns.map((c) => `${partitionText(schema, c)} AS ${sqlIdent(c)}`).join(', ');
  const res = await conn.runAndReadAll(`SELECT DISTINCT ${sel} FROM (${relation})`);
  return res.getRowObjectsJS() as PartitionValues[];
}

async function copyPartitions(
  conn: DuckDBConnection,
  store: ObjectStore,
  relation: string,
  schema: StructType,
  partitionColumns: readonly string[],
  boundsFromRows: ReadonlySet<string>,
  known?: PartitionValues[],
): Promise<AddAction[]> {
  const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
  const partitions = partitionColumns.length === 0 ? [{}] : (known ?? (await queryPartitions(conn, relation, schema, partitionColumns)));
  const adds: AddAction[] = [];
  for (const values of partitions) {
    // A batch of one partition is copied whole; only several need a filter each.
    const where =
      partitions.length > 1
        ? 'WHERE ' +
          partitionColumns
            .map((c) => (values[c] === null ? `${sqlIdent(c)} IS NULL` : `${partitionText(schema, c)} = ${sqlString(values[c]!)}`))
            .join(' AND ')
        : '';
    const folder = partitionFolder(partitionColumns, values);
    const relative = `${folder ? folder + '/' : ''}part-00000-${randomUUID()}-c000.snappy.parquet`;
    const target = await store.stagingPath(relative);
    const cols = dataFields.map((f) => sqlIdent(f.name)).join(', ');
    const rows = `(${relation}) ${where}`;
    const res = await conn.runAndReadAll(
      `COPY (SELECT ${cols} FROM ${rows}) TO ${sqlString(target)} ` +
        `(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880, RETURN_STATS)`,
    );
    const [out] = res.getRowObjectsJson() as unknown as CopyStats[];
    const enums = dataFields.filter((f) => boundsFromRows.has(f.name));
    const stats = fileStats(dataFields, out, enums.length ? await enumBounds(conn, rows, enums) : undefined);
    await store.publish(relative, target);
    adds.push({
      path: encodeLogPath(relative),
      partitionValues: values,
      size: Number(out.file_size_bytes),
      modificationTime: Date.now(),
      dataChange: true,
      stats: serializeStats(stats),
    });
  }
  return adds;
}

/**
 * Min and max of the file's string columns written from ENUMs (EncodedColumn.boundsFromRows):
 * those of the rows copied, cast to strings, so compared as bytes like Parquet's order. Their
 * values are short enough for RETURN_STATS to give a VARCHAR's whole, so these are the stats the
 * same strings written as VARCHAR get. A column of nulls only gets none, as RETURN_STATS gives none.
 */
async function enumBounds(conn: DuckDBConnection, rows: string, fields: readonly StructField[]): Promise<Map<string, RawBounds>> {
  const strings = fields.map((f) => `CAST(${sqlIdent(f.name)} AS VARCHAR)`);
  const res = await conn.runAndReadAll(`SELECT ${strings.map((c) => `min(${c}), max(${c})`).join(', ')} FROM ${rows}`);
  const [bounds] = res.getRows() as Array<Array<string | null>>;
  const out = new Map<string, RawBounds>();
  fields.forEach((f, k) => {
    const [min, max] = [bounds[2 * k], bounds[2 * k + 1]];
    if (min !== null && max !== null) out.set(f.name, { min, max });
  });
  return out;
}

/**
 * A partition value as the log stores it (PROTOCOL.md "Partition Value Serialization"): timestamps
 * as ISO-8601 UTC with microseconds, not DuckDB's '2024-12-12 10:00:00.5+00', which no reader
 * parses; timestamp_ntz as '{year}-{month}-{day} {hour}:{minute}:{second}.{microsecond}', as
 * the protocol spells it; decimals with their scale's digits ('12.50'), as Spark writes them.
 */
function partitionText(schema: StructType, column: string): string {
  const c = sqlIdent(column);
  const type = schema.fields.find((f) => f.name === column)?.type;
  if (type === 'timestamp') return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (type === 'timestamp_ntz') return `strftime(${c}, '%Y-%m-%d %H:%M:%S.%f')`;
  return `CAST(${c} AS VARCHAR)`;
}
