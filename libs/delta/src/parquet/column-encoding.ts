import { decimalShape, duckdbType, isPrimitive, PrimitiveType, StructField, typeName } from '../schema/types';
import { ColumnData, isDictionaryColumn } from './column-batch';
import { sqlIdent, sqlString } from './duckdb';
import { CellValue, expectedValue, isoToSafeMicros, toEpochDays, toRawValue } from './values';
import { SchemaViolationError } from '../errors';


/**
 * A column checked and laid out the way it is handed to DuckDB: a block of numbers (typed array)
 * copied into the staging table's vectors in one go, or values set one by one (strings that are
 * not repetitive, booleans, binary). `select` turns the staged column into the Delta type.
 */
export interface EncodedColumn {
  field: StructField;
  /** DuckDB type of the staging column. */
  stageType: StageType;
  /** For stageType ENUM: its values, in index order. */
  dictionary?: readonly string[];
  select: string;
  /**
   * For an ENUM written as it is: COPY's RETURN_STATS gives no min/max for it, and the file's
   * footer has those of the whole ENUM, so they are computed from the rows (enumBounds).
   */
  boundsFromRows?: boolean;
  values: Float64Array | Int32Array | BigInt64Array | ReadonlyArray<string | boolean | Uint8Array | null>;
  /** Rows that are null, for typed values (1 = null); absent when there are none. */
  nulls?: Uint8Array;
}

/**
 * Staging types hold the values as JS has them, so they are copied without conversion: dates as
 * days (DATE is an int32), timestamps as epoch micros (TIMESTAMPTZ is an int64), and repetitive
 * strings as ENUM indexes, which the Parquet writer takes as its dictionary.
 */
export type StageType = 'DOUBLE' | 'INTEGER' | 'BIGINT' | 'DATE' | 'TIMESTAMPTZ' | 'ENUM' | 'VARCHAR' | 'BOOLEAN' | 'BLOB';

/** A string column with at most this many distinct values is staged as an ENUM. */
const MAX_DICTIONARY = 4096;
/** DuckDB's Parquet stats (and COPY's RETURN_STATS) keep strings up to this many bytes whole; longer ones are cut or left out. */
const MAX_EXACT_STATS_BYTES = 256;
/** A UTF-16 surrogate not part of a pair. */
const LONE_SURROGATE = /\p{Surrogate}/u;

function describe(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return `${typeof v} ${text.length > 40 ? text.slice(0, 40) + '…' : text}`;
}

function badCell(field: StructField, row: number, v: CellValue): SchemaViolationError {
  if (v === null || v === undefined)
    return new SchemaViolationError(`row ${row}: column "${field.name}" is not nullable but got null`, field.name, row);
  return new SchemaViolationError(
    `row ${row}: column "${field.name}" (${typeName(field.type)}) expected ${expectedValue(field.type as PrimitiveType)}, got ${describe(v)}`,
    field.name,
    row,
  );
}

function selectFor(type: PrimitiveType, stageType: StageType, c: string): string {
  switch (type) {
    case 'long':
      return stageType === 'DOUBLE' ? `CAST(${c} AS BIGINT)` : c;
    case 'short':
      return `CAST(${c} AS SMALLINT)`;
    case 'byte':
      return `CAST(${c} AS TINYINT)`;
    case 'float':
      return `CAST(${c} AS FLOAT)`;
    case 'timestamp':
      return stageType === 'DOUBLE' ? `make_timestamptz(CAST(${c} AS BIGINT))` : c;
    case 'timestamp_ntz':
      return stageType === 'DOUBLE' ? `make_timestamp(CAST(${c} AS BIGINT))` : `make_timestamp(${c})`;
    default:
      // A decimal is staged as its exact text (toDecimalText), which DuckDB's cast reads exactly.
      if (decimalShape(type)) return `CAST(${c} AS ${duckdbType(type)})`;
      // A string staged as ENUM is written as it is (unless encodeDictionary says otherwise):
      // DuckDB's Parquet writer stores an ENUM as a dictionary-encoded string column straight from
      // its dictionary, where a VARCHAR is hashed value by value into a new one (a bronze batch
      // wrote in a third less time). Readers get the same strings; the file's dictionary page holds
      // the whole ENUM, values of other partitions' rows too, and so do its footer's min/max.
      return c;
  }
}

function encoded(field: StructField, stageType: StageType, values: EncodedColumn['values'], nulls?: Uint8Array): EncodedColumn {
  return { field, stageType, select: selectFor(field.type as PrimitiveType, stageType, sqlIdent(field.name)), values, nulls };
}

/** Longs and both timestamp types: 64-bit integers (timestamps as epoch micros). */
type IntegerType = 'long' | 'timestamp' | 'timestamp_ntz';

function isInteger64(type: PrimitiveType): type is IntegerType {
  return type === 'long' || type === 'timestamp' || type === 'timestamp_ntz';
}

/** The staging type of a column of 64-bit integers given as a BigInt64Array. */
function bigintStage(type: IntegerType): StageType {
  return type === 'timestamp' ? 'TIMESTAMPTZ' : 'BIGINT';
}

/**
 * Whether DuckDB can hold the strings as an ENUM: some, not too many, distinct (an ENUM refuses
 * repeats), without NUL (its DDL is SQL text, where NUL ends the statement) and without lone
 * surrogates (they become U+FFFD in UTF-8, so two distinct ones are a repeat there).
 */
function enumCanHold(dictionary: readonly string[]): boolean {
  if (dictionary.length === 0 || dictionary.length > MAX_DICTIONARY) return false;
  if (dictionary.some((v) => v.includes('\u0000') || LONE_SURROGATE.test(v))) return false;
  return new Set(dictionary).size === dictionary.length;
}

/**
 * Strings as ENUM indexes; any other dictionary (see enumCanHold) is staged as plain strings. The
 * ENUM is written to Parquet as it is when its values are short enough for DuckDB's stats to be
 * exact (see selectFor); otherwise as VARCHAR, whose stats DuckDB cuts its own way.
 */
function encodeDictionary(
  field: StructField,
  dictionary: readonly string[],
  indices: Int32Array,
  numRows: number,
  nulls?: Uint8Array,
): EncodedColumn {
  if (enumCanHold(dictionary)) {
    const exactBounds = dictionary.every((v) => v.length * 3 <= MAX_EXACT_STATS_BYTES || Buffer.byteLength(v) <= MAX_EXACT_STATS_BYTES);
    if (!exactBounds) return { ...encoded(field, 'ENUM', indices, nulls), select: `CAST(${sqlIdent(field.name)} AS VARCHAR)`, dictionary };
    return { ...encoded(field, 'ENUM', indices, nulls), dictionary, boundsFromRows: true };
  }
  const strings = new Array<string | null>(numRows);
  for (let i = 0; i < numRows; i++) strings[i] = nulls?.[i] ? null : dictionary[indices[i]];
  return encoded(field, 'VARCHAR', strings);
}

/**
 * Checks a column given as typed values: the array kind must fit the Delta type, and longs or
 * timestamps in a Float64Array must be exact (safe) integers. Only the first numRows count.
 */
function encodeTyped(field: StructField, data: Exclude<ColumnData, readonly CellValue[]>, numRows: number): EncodedColumn {
  const { name } = field;
  const type = field.type as PrimitiveType;
  const wrongKind = (kind: string) => new SchemaViolationError(`column "${name}" (${type}) cannot be given as ${kind}`, name);
  if (isDictionaryColumn(data)) {
    if (type !== 'string') throw wrongKind('a dictionary');
    const { dictionary, indices } = data;
    if (indices.length < numRows) throw new SchemaViolationError(`column "${name}" has ${indices.length} values for ${numRows} rows`, name);
    for (let i = 0; i < numRows; i++) {
      const k = indices[i];
      if (!(k >= 0 && k < dictionary.length))
        throw new SchemaViolationError(`row ${i}: column "${name}" has dictionary index ${k} out of [0, ${dictionary.length})`, name, i);
    }
    return encodeDictionary(field, dictionary, indices, numRows);
  }
  if (data.length < numRows) throw new SchemaViolationError(`column "${name}" has ${data.length} values for ${numRows} rows`, name);
  // By tag, not instanceof: arrays built in a worker thread or another vm context (jest's) are
  // instances of that realm's constructors.
  const kind = Object.prototype.toString.call(data).slice(8, -1);
  if (kind === 'Float64Array') {
    if (isInteger64(type)) {
      for (let i = 0; i < numRows; i++) if (!Number.isSafeInteger(data[i])) throw badCell(field, i, data[i]);
    } else if (type !== 'double' && type !== 'float') throw wrongKind('a Float64Array');
    return encoded(field, 'DOUBLE', data);
  }
  if (kind === 'Int32Array') {
    if (type === 'short' || type === 'byte') {
      const ints = data as Int32Array;
      const value = (v: number) => toRawValue(type, v);
      for (let i = 0; i < numRows; i++) if (value(ints[i]) === undefined) throw badCell(field, i, ints[i]);
    } else if (type !== 'integer' && type !== 'date') throw wrongKind('an Int32Array');
    return encoded(field, type === 'date' ? 'DATE' : 'INTEGER', data);
  }
  if (kind !== 'BigInt64Array') throw wrongKind(`a ${kind}`);
  if (!isInteger64(type)) throw wrongKind('a BigInt64Array');
  return encoded(field, bigintStage(type), data);
}

/** Tracks the null cells of a column: refused (naming the row) when the column is not nullable. */
class NullRows {
  mask?: Uint8Array;
  constructor(
    private readonly field: StructField,
    private readonly numRows: number,
  ) {}

  /** True when the cell is null (or undefined) and allowed; throws when the column may not hold it. */
  check(row: number, v: CellValue): boolean {
    if (v !== null && v !== undefined) return false;
    if (!this.field.nullable) throw badCell(this.field, row, v);
    (this.mask ??= new Uint8Array(this.numRows))[row] = 1;
    return true;
  }
}

type CellAt = (row: number) => CellValue;

/**
 * Checks and lays out cells given one by one (rows, or a column as an array): each is converted
 * once, with an error naming its row and column. Numbers land in typed arrays; longs and
 * timestamps as doubles while they are exact, so no BigInt is made per cell; a string column
 * with few distinct values becomes dictionary indexes.
 */
function encodeCells(field: StructField, numRows: number, cellAt: CellAt): EncodedColumn {
  const type = field.type as PrimitiveType;
  const nulls = new NullRows(field, numRows);
  if (decimalShape(type)) return encodeDecimals(field, numRows, cellAt, nulls);
  switch (type) {
    case 'string':
      return encodeStrings(field, numRows, cellAt, nulls);
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz':
      return encodeExactIntegers(field, numRows, cellAt, nulls);
    case 'integer':
    case 'short':
    case 'byte':
    case 'date': {
      const out = new Int32Array(numRows);
      for (let i = 0; i < numRows; i++) {
        const v = cellAt(i);
        if (nulls.check(i, v)) continue;
        const raw = type === 'date' ? toEpochDays(v) : toRawValue(type, v);
        if (raw === undefined) throw badCell(field, i, v);
        out[i] = raw as number;
      }
      return encoded(field, type === 'date' ? 'DATE' : 'INTEGER', out, nulls.mask);
    }
    case 'double':
    case 'float': {
      const out = new Float64Array(numRows);
      for (let i = 0; i < numRows; i++) {
        const v = cellAt(i);
        if (nulls.check(i, v)) continue;
        if (typeof v !== 'number') throw badCell(field, i, v);
        out[i] = v;
      }
      return encoded(field, 'DOUBLE', out, nulls.mask);
    }
    default: {
      const out = new Array<boolean | Uint8Array | null>(numRows);
      for (let i = 0; i < numRows; i++) {
        const v = cellAt(i);
        if (nulls.check(i, v)) out[i] = null;
        else {
          const raw = toRawValue(type, v);
          if (raw === undefined) throw badCell(field, i, v);
          out[i] = raw as boolean | Uint8Array;
        }
      }
      return encoded(field, type === 'boolean' ? 'BOOLEAN' : 'BLOB', out);
    }
  }
}

/** Decimals as their exact text (toDecimalText), which the select casts to DECIMAL(p,s). */
function encodeDecimals(field: StructField, numRows: number, cellAt: CellAt, nulls: NullRows): EncodedColumn {
  const type = field.type as PrimitiveType;
  const out = new Array<string | null>(numRows);
  for (let i = 0; i < numRows; i++) {
    const v = cellAt(i);
    if (nulls.check(i, v)) out[i] = null;
    else {
      const text = toRawValue(type, v);
      if (text === undefined) throw badCell(field, i, v);
      out[i] = text as string;
    }
  }
  return encoded(field, 'VARCHAR', out);
}

/** A long, or a timestamp in epoch micros, as a number when it is exact, else as a bigint; undefined when the cell does not fit. */
function exactInteger(type: IntegerType, v: CellValue): number | bigint | undefined {
  if (type === 'long' && typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (type === 'timestamp' && typeof v === 'string') {
    const micros = isoToSafeMicros(v);
    if (micros !== undefined) return micros;
  }
  if (type === 'timestamp' && v instanceof Date && Number.isSafeInteger(v.getTime() * 1000)) return v.getTime() * 1000;
  const raw = toRawValue(type, v) as bigint | undefined;
  return raw !== undefined && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
}

/** Longs and timestamps as doubles until a value needs all 64 bits, then as a BigInt64Array. */
function encodeExactIntegers(field: StructField, numRows: number, cellAt: CellAt, nulls: NullRows): EncodedColumn {
  const type = field.type as IntegerType;
  let doubles: Float64Array | undefined = new Float64Array(numRows);
  let longs: BigInt64Array | undefined;
  for (let i = 0; i < numRows; i++) {
    const v = cellAt(i);
    if (nulls.check(i, v)) continue;
    const raw = exactInteger(type, v);
    if (raw === undefined) throw badCell(field, i, v);
    if (doubles && typeof raw === 'bigint') {
      longs = BigInt64Array.from(doubles, (d) => BigInt(d));
      doubles = undefined;
    }
    if (doubles) doubles[i] = raw as number;
    else longs![i] = BigInt(raw);
  }
  if (doubles) return encoded(field, 'DOUBLE', doubles, nulls.mask);
  return encoded(field, bigintStage(type), longs!, nulls.mask);
}

function encodeStrings(field: StructField, numRows: number, cellAt: CellAt, nulls: NullRows): EncodedColumn {
  const dictionary = new Map<string, number>();
  let indices: Int32Array | undefined = new Int32Array(numRows);
  const strings = new Array<string | null>(numRows);
  for (let i = 0; i < numRows; i++) {
    const v = cellAt(i);
    if (nulls.check(i, v)) {
      strings[i] = null;
      continue;
    }
    if (typeof v !== 'string') throw badCell(field, i, v);
    strings[i] = v;
    if (!indices) continue;
    let k = dictionary.get(v);
    if (k === undefined) {
      dictionary.set(v, (k = dictionary.size));
      // Mostly distinct values gain nothing from a dictionary: they are staged as they are.
      if (dictionary.size > MAX_DICTIONARY || dictionary.size * 4 > numRows) indices = undefined;
    }
    if (indices) indices[i] = k;
  }
  if (!indices) return encoded(field, 'VARCHAR', strings);
  return encodeDictionary(field, [...dictionary.keys()], indices, numRows, nulls.mask);
}

/** The staging column's DDL type. */
export function stageDdl(col: EncodedColumn): string {
  return col.stageType === 'ENUM' ? `ENUM(${col.dictionary!.map(sqlString).join(', ')})` : col.stageType;
}

/** Nested columns are read, not written: their Parquet layout and stats are not implemented here. */
function assertWritable(field: StructField): void {
  if (!isPrimitive(field.type)) {
    throw new SchemaViolationError(`column "${field.name}" is a ${field.type.type}: this library reads nested columns but does not write them`, field.name);
  }
}

/** Encodes one schema column of a batch given as rows. */
export function encodeRowsColumn(field: StructField, rows: readonly Record<string, CellValue>[]): EncodedColumn {
  assertWritable(field);
  const { name } = field;
  return encodeCells(field, rows.length, (i) => rows[i][name]);
}

/** Encodes one schema column of a batch given as columns. */
export function encodeColumn(field: StructField, data: ColumnData | undefined, numRows: number): EncodedColumn {
  assertWritable(field);
  if (data === undefined) {
    if (!field.nullable) throw new SchemaViolationError(`column "${field.name}" is not nullable but is missing from the batch`, field.name);
    return encodeCells(field, numRows, () => null);
  }
  if (Array.isArray(data)) {
    if (data.length < numRows)
      throw new SchemaViolationError(`column "${field.name}" has ${data.length} values for ${numRows} rows`, field.name);
    const cells = data as readonly CellValue[];
    return encodeCells(field, numRows, (i) => cells[i]);
  }
  return encodeTyped(field, data as Exclude<ColumnData, readonly CellValue[]>, numRows);
}
