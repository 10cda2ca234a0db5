import { AddAction, parseStats } from '../protocol/actions';
import { PrimitiveType, StructType } from '../schema/types';
import { sqlIdent, sqlString } from '../parquet/duckdb';
import { CellValue, toEpochMicros } from '../parquet/values';

/** A simple predicate on one column; a list of them is a conjunction. */
export interface Filter {
  column: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
  value: CellValue | CellValue[];
}

type Comparable = number | string | bigint;

/** Values of one type compared in their natural order; dates and strings compare as strings. */
function comparable(type: PrimitiveType, v: unknown): Comparable | undefined {
  if (v === null || v === undefined) return undefined;
  switch (type) {
    case 'timestamp':
      return toEpochMicros(v as CellValue);
    case 'date':
      return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
    case 'string':
      // Stats are ordered by UTF-8 bytes (code points); JS compares UTF-16 code units, which puts
      // U+E000..U+FFFF above emoji. One latin1 char per UTF-8 byte makes JS compare bytes.
      return Buffer.from(String(v), 'utf8').toString('latin1');
    case 'boolean':
    case 'binary':
      return undefined;
    case 'long':
      // Exact: rounding a bigint filter value or a partition value beyond 2^53 onto a bound would prune wrongly.
      return typeof v === 'bigint' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : Number(v);
    default:
      return Number(v);
  }
}

/** Could any row with a value in [min, max] satisfy the filter? */
function rangeMayMatch(f: Filter, type: PrimitiveType, min: Comparable, max: Comparable): boolean {
  const values = (Array.isArray(f.value) ? f.value : [f.value]).map((v) => comparable(type, v));
  if (values.some((v) => v === undefined)) return true;
  const [v] = values as Comparable[];
  switch (f.op) {
    case '=':
      return v >= min && v <= max;
    case 'in':
      return (values as Comparable[]).some((x) => x >= min && x <= max);
    case '<':
      return min < v;
    case '<=':
      return min <= v;
    case '>':
      return max > v;
    case '>=':
      return max >= v;
    case '!=':
      return !(min === v && max === v);
  }
}

/**
 * File skipping: partition values are exact; stats bound the data. Timestamp stats are
 * millisecond-truncated by Spark and delta-rs, so their max is widened by 1 ms.
 */
export function fileMayMatch(file: AddAction, filters: readonly Filter[], schema: StructType, partitionColumns: readonly string[]): boolean {
  if (filters.length === 0) return true;
  const stats = parseStats(file);
  for (const f of filters) {
    const field = schema.fields.find((x) => x.name === f.column);
    if (!field) throw new Error(`unknown column "${f.column}" in filter`);
    if (partitionColumns.includes(f.column)) {
      const raw = file.partitionValues[f.column];
      if (raw === null || raw === undefined || raw === '') {
        if (f.op !== '!=') return false;
        continue;
      }
      const value = comparable(field.type, raw);
      if (value === undefined) continue; // a type without an order (boolean, binary): keep the file, not treat it as null
      if (!rangeMayMatch(f, field.type, value, value)) return false;
      continue;
    }
    if (!stats) continue;
    if (stats.numRecords > 0 && stats.nullCount?.[f.column] === stats.numRecords) return false;
    let min = comparable(field.type, stats.minValues?.[f.column]);
    let max = comparable(field.type, stats.maxValues?.[f.column]);
    if (min === undefined || max === undefined) continue;
    // Long stats beyond 2^53 (exact in other writers' JSON) were rounded by JSON.parse: they bound nothing.
    if (field.type === 'long' && !(Number.isSafeInteger(min) && Number.isSafeInteger(max))) continue;
    if (field.type === 'timestamp') {
      min = (min as bigint) - ((min as bigint) % 1000n);
      max = (max as bigint) + 1000n;
    }
    if (!rangeMayMatch(f, field.type, min, max)) return false;
  }
  return true;
}

export function filterToSql(f: Filter, schema: StructType): string {
  const field = schema.fields.find((x) => x.name === f.column);
  if (!field) throw new Error(`unknown column "${f.column}" in filter`);
  const lit = (v: CellValue): string => sqlLiteral(field.type, v);
  if (f.op === 'in') {
    const values = Array.isArray(f.value) ? f.value : [f.value];
    return values.length ? `${sqlIdent(f.column)} IN (${values.map(lit).join(', ')})` : 'false';
  }
  return `${sqlIdent(f.column)} ${f.op === '!=' ? '<>' : f.op} ${lit(f.value as CellValue)}`;
}

export function sqlLiteral(type: PrimitiveType, v: CellValue): string {
  if (v === null || v === undefined) return 'NULL';
  switch (type) {
    case 'string':
      return sqlString(String(v));
    case 'date':
      return `DATE ${sqlString(v instanceof Date ? v.toISOString().slice(0, 10) : String(v))}`;
    case 'timestamp': {
      const micros = toEpochMicros(v);
      if (micros === undefined) throw new Error(`not a timestamp: ${String(v)}`);
      return `make_timestamp(${micros}::BIGINT)::TIMESTAMPTZ`;
    }
    case 'boolean':
      return v ? 'true' : 'false';
    default: {
      // A long partition value (a string) beyond 2^53 must reach SQL exactly, not through a JS number.
      const n = typeof v === 'bigint' ? v : type === 'long' && typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : Number(v);
      if (typeof n === 'number' && !Number.isFinite(n)) throw new Error(`not a number: ${String(v)}`);
      return String(n);
    }
  }
}
