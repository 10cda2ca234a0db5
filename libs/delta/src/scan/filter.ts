import { AddAction, parseStats } from '../protocol/actions';
import { DataType, decimalShape, isPrimitive, PrimitiveType, StructField, StructType } from '../schema/types';
import { sqlIdent, sqlString } from '../parquet/duckdb';
import { CellValue, plainDecimal, toEpochMicros } from '../parquet/values';
import { InvalidArgumentError, SchemaMismatchError } from '../errors';

/** A simple predicate on one column; a list of them is a conjunction. */
export interface Filter {
  column: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
  value: CellValue | CellValue[];
}

type Comparable = number | string | bigint;

/** Decimals compare exactly as integers of this many fractional digits (a Delta decimal has at most 38). */
const DECIMAL_COMPARE_SCALE = 38;

/** Relative error allowed on decimal stats read as doubles (decimalStatsMayMatch). */
const DECIMAL_STATS_MARGIN = 1e-9;

/** A decimal value exactly, scaled by 10^38; undefined when it is not one or has more fraction digits than that. */
function scaledDecimal(v: unknown): bigint | undefined {
  const d = plainDecimal(v);
  if (!d || d.fraction.length > DECIMAL_COMPARE_SCALE) return undefined;
  const scaled = BigInt(d.whole + d.fraction.padEnd(DECIMAL_COMPARE_SCALE, '0'));
  return d.negative ? -scaled : scaled;
}

/** Values of one type compared in their natural order; dates and strings compare as strings. */
function comparable(type: PrimitiveType, v: unknown): Comparable | undefined {
  if (v === null || v === undefined) return undefined;
  if (decimalShape(type)) return scaledDecimal(v);
  switch (type) {
    case 'timestamp':
    case 'timestamp_ntz':
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
 * Decimal stats are JSON numbers, which JSON.parse rounds to doubles, and some writers compute
 * them through doubles in the first place (delta-rs: a few ulps off, on either side of the
 * value). So bounds are widened by a relative margin far above those errors and compared with the
 * filter value as a double, strict comparisons made inclusive and `!=` never pruning (two
 * different decimals may be one double).
 */
function decimalStatsMayMatch(f: Filter, min: unknown, max: unknown): boolean {
  const lo = Number(min) - Math.abs(Number(min)) * DECIMAL_STATS_MARGIN;
  const hi = Number(max) + Math.abs(Number(max)) * DECIMAL_STATS_MARGIN;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || f.op === '!=') return true;
  const values = (Array.isArray(f.value) ? f.value : [f.value]).map((v) => {
    const d = plainDecimal(v);
    return d ? Number(`${d.negative ? '-' : ''}${d.whole}.${d.fraction || '0'}`) : NaN;
  });
  if (values.some((v) => Number.isNaN(v))) return true;
  const [v] = values;
  switch (f.op) {
    case '=':
      return v >= lo && v <= hi;
    case 'in':
      return values.some((x) => x >= lo && x <= hi);
    case '<':
    case '<=':
      return lo <= v;
    case '>':
    case '>=':
      return hi >= v;
  }
}

/** The schema field a filter names; nested columns cannot be filtered on. */
function filterField(f: Filter, schema: StructType): StructField & { type: PrimitiveType } {
  const field = schema.fields.find((x) => x.name === f.column);
  if (!field) throw new InvalidArgumentError(`unknown column "${f.column}" in filter`);
  if (!isPrimitive(field.type)) {
    throw new SchemaMismatchError(`column "${f.column}" is a ${field.type.type}: filters apply to columns of primitive types only`);
  }
  return field as StructField & { type: PrimitiveType };
}

/** Floor division of a bigint, where BigInt's `/` truncates toward zero. */
function floorTo(v: bigint, unit: bigint): bigint {
  const r = v % unit;
  return v - (r < 0n ? r + unit : r);
}

/**
 * File skipping: partition values are exact; stats bound the data. Timestamp stats are
 * millisecond-truncated by Spark and delta-rs, so their max is widened by 1 ms.
 */
export function fileMayMatch(file: AddAction, filters: readonly Filter[], schema: StructType, partitionColumns: readonly string[]): boolean {
  if (filters.length === 0) return true;
  const stats = parseStats(file);
  for (const f of filters) {
    const field = filterField(f, schema);
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
    const [rawMin, rawMax] = [stats.minValues?.[f.column], stats.maxValues?.[f.column]];
    if (rawMin === undefined || rawMin === null || rawMax === undefined || rawMax === null) continue;
    if (decimalShape(field.type)) {
      if (!decimalStatsMayMatch(f, rawMin, rawMax)) return false;
      continue;
    }
    let min = comparable(field.type, rawMin);
    let max = comparable(field.type, rawMax);
    if (min === undefined || max === undefined) continue;
    // Long stats beyond 2^53 (exact in other writers' JSON) were rounded by JSON.parse: they bound nothing.
    if (field.type === 'long' && !(Number.isSafeInteger(min) && Number.isSafeInteger(max))) continue;
    if (field.type === 'timestamp' || field.type === 'timestamp_ntz') {
      min = floorTo(min as bigint, 1000n);
      max = (max as bigint) + 1000n;
    }
    if (!rangeMayMatch(f, field.type, min, max)) return false;
  }
  return true;
}

export function filterToSql(f: Filter, schema: StructType): string {
  const field = filterField(f, schema);
  const lit = (v: CellValue): string => sqlLiteral(field.type, v);
  if (f.op === 'in') {
    const values = Array.isArray(f.value) ? f.value : [f.value];
    return values.length ? `${sqlIdent(f.column)} IN (${values.map(lit).join(', ')})` : 'false';
  }
  return `${sqlIdent(f.column)} ${f.op === '!=' ? '<>' : f.op} ${lit(f.value as CellValue)}`;
}

/**
 * A value as a DuckDB literal of the column's type. A decimal is written as a numeric literal of
 * its own digits (DuckDB reads it as a DECIMAL of that width), so comparing a column with a value
 * finer than its scale stays exact rather than rounding the value to the column's scale.
 */
export function sqlLiteral(type: DataType, v: CellValue): string {
  if (v === null || v === undefined) return 'NULL';
  if (!isPrimitive(type)) throw new SchemaMismatchError(`a ${type.type} value cannot be written as a SQL literal`);
  if (decimalShape(type)) {
    const d = plainDecimal(v);
    if (!d) throw new InvalidArgumentError(`not a decimal: ${String(v)}`);
    return `${d.negative ? '-' : ''}${d.whole}${d.fraction ? '.' + d.fraction : ''}`;
  }
  switch (type) {
    case 'string':
      return sqlString(String(v));
    case 'date':
      return `DATE ${sqlString(v instanceof Date ? v.toISOString().slice(0, 10) : String(v))}`;
    case 'timestamp':
    case 'timestamp_ntz': {
      const micros = toEpochMicros(v);
      if (micros === undefined) throw new InvalidArgumentError(`not a timestamp: ${String(v)}`);
      return type === 'timestamp' ? `make_timestamp(${micros}::BIGINT)::TIMESTAMPTZ` : `make_timestamp(${micros}::BIGINT)`;
    }
    case 'boolean':
      return v ? 'true' : 'false';
    case 'binary':
      if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(`not bytes: ${String(v)}`);
      return `from_hex('${Buffer.from(v).toString('hex')}')`;
    default: {
      // A long partition value (a string) beyond 2^53 must reach SQL exactly, not through a JS number.
      const n = typeof v === 'bigint' ? v : type === 'long' && typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : Number(v);
      if (typeof n === 'number' && !Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${String(v)}`);
      return String(n);
    }
  }
}
