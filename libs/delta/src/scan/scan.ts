import {
  DuckDBDateValue,
  DuckDBMapType,
  DuckDBMapValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBValueConverter,
  JS,
  JSDuckDBValueConverter,
} from '@duckdb/node-api';
import { AddAction } from '../protocol/actions';
import { duckdbType, StructField, StructType } from '../schema/types';
import { ColumnMappingMode, fieldId, impliedColumnMappingMode, logicalColumnSql, logicalFile, physicalName, physicalType } from '../schema/column-mapping';
import { sqlIdent, sqlString, withConnection } from '../parquet/duckdb';
import { decodeLogPath } from '../parquet/partition-path';
import { CellValue, daysToIsoDate, microsToIso, Row } from '../parquet/values';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { fileMayMatch, Filter, filterToSql, sqlLiteral } from './filter';
import { DataFileMissingError } from '../errors';
import { deletedRowsSql, DeletionVectorReader } from './deletion-vectors';

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
  columnMapping: ColumnMappingMode = impliedColumnMappingMode(schema),
): Promise<ScanPlan> {
  // Pruning and partition values use logical names; the plan lists the files as the log has them.
  const candidates = [...allFiles].map((add) => ({ add, logical: logicalFile(add, schema, columnMapping) }));
  const kept = candidates.filter((c) => fileMayMatch(c.logical, filters, schema, partitionColumns));
  const files = kept.map((c) => c.add);
  const groups = new Map<string, { values: Record<string, string | null>; files: AddAction[] }>();
  for (const { add, logical } of kept) {
    const key = JSON.stringify(partitionColumns.map((c) => logical.partitionValues[c] ?? null));
    const g = groups.get(key) ?? { values: logical.partitionValues, files: [] };
    g.files.push(add);
    groups.set(key, g);
  }
  const where = filters.length ? ` WHERE ${filters.map((f) => filterToSql(f, schema)).join(' AND ')}` : '';
  if (groups.size === 0) {
    const cols = schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
    return { files, sql: `SELECT ${cols} WHERE false` };
  }
  const dataColumns = schema.fields.filter((f) => !partitionColumns.includes(f.name));
  const reader = new DataFileReader(store, dataColumns, columnMapping);
  const parts: string[] = [];
  for (const { values, files: groupFiles } of groups.values()) {
    const cols = schema.fields.map((f) => {
      const source = partitionColumns.includes(f.name)
        ? sqlLiteral(f.type, partitionValueOf(values[f.name]))
        : logicalColumnSql(f, columnMapping);
      return `CAST(${source} AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`;
    });
    parts.push(`SELECT ${cols.join(', ')} FROM ${await reader.relation(groupFiles)}`);
  }
  return { files, sql: `SELECT * FROM (${parts.join(' UNION ALL ')})${where}` };
}

/**
 * The rows of some data files as one relation, with their columns by physical name: files
 * without deletion vectors in one read_parquet, each file with one in its own, anti-joined on
 * its deleted row indexes; in `id` mode columns are found by Parquet field id.
 */
class DataFileReader {
  private readonly deletionVectors: DeletionVectorReader;
  private readonly options: string;
  private readonly allColumns: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly dataColumns: readonly StructField[],
    mode: ColumnMappingMode,
  ) {
    this.deletionVectors = new DeletionVectorReader(store);
    // Columns keep their physical names inside too: planScan rebuilds the logical ones.
    const fileType = (f: StructField) => duckdbType(physicalType(f.type, mode));
    // DuckDB's schema map gives field ids to top-level columns only: nested fields are found by
    // physical name, which Spark writes as well as their ids.
    const byId = () => dataColumns.map((f) => `${fieldId(f)}: {name: ${sqlString(physicalName(f, mode))}, type: ${sqlString(fileType(f))}, default_value: NULL}`);
    // A schema by field id already reads a column missing from a file as NULL; DuckDB does not take it with union_by_name.
    this.options = mode === 'id' ? `, schema=map {${byId().join(', ')}}` : ', union_by_name=true';
    this.allColumns = dataColumns.map((f) => `CAST(NULL AS ${fileType(f)}) AS ${sqlIdent(physicalName(f, mode))}`).join(', ');
  }

  /** An object store copies the file before DuckDB reads it: a vacuumed file is missing here already. */
  private readablePath(f: AddAction): Promise<string> {
    return this.store.readablePath(decodeLogPath(f.path)).catch((e: Error) => {
      throw e instanceof NotFoundError ? new DataFileMissingError(e) : e;
    });
  }

  async relation(files: readonly AddAction[]): Promise<string> {
    const reads: string[] = [];
    const plain = files.filter((f) => !f.deletionVector);
    if (plain.length) {
      const paths = await Promise.all(plain.map((f) => this.readablePath(f)));
      reads.push(`SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}]${this.options})`);
    }
    for (const f of files) {
      if (!f.deletionVector) continue;
      const [file, deleted] = await Promise.all([this.readablePath(f), this.deletionVectors.rowIndexes(f.deletionVector)]);
      reads.push(
        `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(file)}, file_row_number=true${this.options}) ` +
          `ANTI JOIN ${deletedRowsSql(deleted)} USING (file_row_number)`,
      );
    }
    // Files written before a column was added lack it: UNION BY NAME with an empty relation of
    // every data column makes it read as NULL (a plain reference would not bind).
    if (this.dataColumns.length) reads.push(`SELECT ${this.allColumns} WHERE false`);
    return `(${reads.join(' UNION ALL BY NAME ')})`;
  }
}

function partitionValueOf(v: string | null | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}

/**
 * DuckDB values as the JS values of Row: decimals as their exact text (never a double),
 * timestamps as ISO-8601 with microseconds (UTC with a Z, timestamp_ntz without), dates as
 * 'YYYY-MM-DD', maps as [key, value] pairs (keys may be any type), the rest as JS values.
 */
const rowValue: DuckDBValueConverter<CellValue> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL:
      return String(value);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return microsToIso((value as DuckDBTimestampTZValue).micros);
    case DuckDBTypeId.TIMESTAMP:
      return microsToIso((value as DuckDBTimestampValue).micros).slice(0, -1);
    case DuckDBTypeId.DATE:
      return daysToIsoDate((value as DuckDBDateValue).days);
    case DuckDBTypeId.MAP: {
      const { keyType, valueType } = type as DuckDBMapType;
      return (value as DuckDBMapValue).entries.map((e) => [converter(e.key, keyType, converter), converter(e.value, valueType, converter)]);
    }
    default:
      return JSDuckDBValueConverter(value, type, converter as unknown as DuckDBValueConverter<JS>) as CellValue;
  }
};

/**
 * Runs a scan into JS rows: long as bigint, timestamp as ISO-8601 UTC with microseconds,
 * timestamp_ntz the same without the Z, date as 'YYYY-MM-DD', decimal as exact text, struct as
 * an object, array as an array, map as [key, value] pairs, the rest as JS primitives.
 * Top-level timestamps and dates are formatted by DuckDB, which is faster than per value in JS.
 */
export async function readScan(schema: StructType, plan: ScanPlan): Promise<Row[]> {
  const cols = schema.fields.map((f) => {
    const c = sqlIdent(f.name);
    if (f.type === 'timestamp') return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${c}`;
    if (f.type === 'timestamp_ntz') return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%f') AS ${c}`;
    if (f.type === 'date') return `strftime(${c}, '%Y-%m-%d') AS ${c}`;
    return c;
  });
  return withConnection(async (conn) => {
    try {
      const reader = await conn.runAndReadAll(`SELECT ${cols.join(', ')} FROM (${plan.sql})`);
      return reader.convertRowObjects(rowValue) as Row[];
    } catch (e) {
      if (/No files found|No such file or directory/i.test((e as Error).message)) throw new DataFileMissingError(e as Error);
      throw e;
    }
  });
}

