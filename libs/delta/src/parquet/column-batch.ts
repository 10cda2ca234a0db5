import { CellValue } from './values';

/** Strings as indexes into a per-batch dictionary, like Arrow's DictionaryArray: cheap for repetitive values. */
export interface DictionaryColumn {
  dictionary: readonly string[];
  /** 0-based positions in `dictionary`. */
  indices: Int32Array;
}

/**
 * One column of a ColumnBatch. Typed arrays and dictionaries hold no nulls; they may be longer
 * than the batch (a builder's spare capacity), only the first numRows values count.
 * - Float64Array: double, float; long and timestamp (epoch microseconds) as safe integers;
 * - Int32Array: integer, short, byte; date as days since 1970-01-01;
 * - BigInt64Array: long; timestamp as epoch microseconds;
 * - DictionaryColumn: string;
 * - an array of cells: any type, checked cell by cell as rows are (null where the schema allows).
 */
export type ColumnData = Float64Array | Int32Array | BigInt64Array | DictionaryColumn | readonly CellValue[];

/**
 * Rows given column by column, as delta-rs and Spark take them (Arrow record batches). Numbers
 * and dictionary indexes go to DuckDB as whole memory blocks instead of one JS value at a time,
 * which is what makes this the fast way to append.
 */
export interface ColumnBatch {
  numRows: number;
  /** Every column of the table's schema, by name. */
  columns: Readonly<Record<string, ColumnData>>;
}

/** A typed array of the same kind, `capacity` long, starting with `array`'s values: how column builders grow. */
export function grown<T extends Float64Array | Int32Array | BigInt64Array>(array: T, capacity: number): T {
  const larger = new (array.constructor as new (length: number) => T)(capacity);
  larger.set(array as never); // same element type on both sides, which TypeScript cannot see through T
  return larger;
}

/**
 * Capacity for a builder's next batch: the power of two that held the last one (at least
 * `initial`), so that batches of a steady size are not grown, and copied, twice or more each.
 * Pages of a typed array that are never written are not resident, so a spare capacity costs no RSS.
 */
export function nextCapacity(initial: number, lastRows: number): number {
  let capacity = Math.max(1, initial);
  while (capacity < lastRows) capacity *= 2;
  return capacity;
}

export function isDictionaryColumn(c: ColumnData): c is DictionaryColumn {
  return !ArrayBuffer.isView(c) && !Array.isArray(c) && 'dictionary' in c;
}
