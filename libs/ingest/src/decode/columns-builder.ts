import type { ColumnData, DictionaryColumn } from '@app/delta';
import { grown, nextCapacity } from '@app/delta/core';
import { SALES_EVENT_FIELDS, SalesEvent } from '@app/schemas';
import { FIELD_COUNT, FLOAT64_FIELDS, INT32_FIELDS, STRING_FIELDS, TIMESTAMP_FIELD } from './field-layout';
import { NO_ENTRY, RecentStrings } from './recent-strings';

/**
 * The values of one event, by field position in SALES_EVENT_FIELDS: what a decoder fills and
 * SalesColumnsBuilder.keep() appends to the columns.
 */
export class EventSlot {
  /** Numeric fields (integers are exact in a double). */
  readonly numbers = new Float64Array(FIELD_COUNT);
  readonly texts: string[] = new Array<string>(FIELD_COUNT).fill('');
  /** For string fields: the entry of `recent[field]` the text came from, or NO_ENTRY. */
  readonly entries = new Int32Array(FIELD_COUNT).fill(NO_ENTRY);
  readonly recent: Array<RecentStrings | undefined> = new Array<RecentStrings | undefined>(FIELD_COUNT).fill(undefined);
  /** Event time in epoch microseconds, a safe integer... */
  micros = 0;
  /** ...unless it lies beyond 2^53 µs of 1970 (only put() can get such a time): then exact here. */
  bigMicros: bigint | undefined = undefined;
}

/** A string column being built: a per-batch dictionary and each row's 0-based index into it. */
class DictionaryColumnBuilder {
  private static lastId = 0;
  /** Tells this batch's dictionary from the others in RecentStrings' entries. */
  private readonly id = ++DictionaryColumnBuilder.lastId;
  private readonly positions = new Map<string, number>();
  readonly dictionary: string[] = [];
  constructor(public indices: Int32Array) {}

  /** Sets row's index to `value`'s, adding it to the dictionary if new; `entry` of `recent` holds value when not NO_ENTRY. */
  append(row: number, value: string, recent: RecentStrings | undefined, entry: number): void {
    if (entry !== NO_ENTRY && recent!.dictionaryIds[entry] === this.id) {
      this.indices[row] = recent!.dictionaryIndices[entry];
      return;
    }
    let position = this.positions.get(value);
    if (position === undefined) {
      position = this.dictionary.length;
      this.positions.set(value, position);
      this.dictionary.push(value);
    }
    if (entry !== NO_ENTRY) {
      recent!.dictionaryIds[entry] = this.id;
      recent!.dictionaryIndices[entry] = position;
    }
    this.indices[row] = position;
  }
}

/** Kept events as the contract's columns, by name, for the Delta writer (a ColumnBatch's columns). */
export interface DecodedColumns {
  numRows: number;
  columns: Record<string, ColumnData>;
}

/**
 * Sales events as columns (typed arrays and string dictionaries). A decoder writes an event into
 * the slot after the last kept row (or put() does), and keep() appends it. A slot not kept is
 * simply overwritten by the next one, which is how the ingestor drops late events.
 */
export class SalesColumnsBuilder {
  readonly slot = new EventSlot();
  /** Whether the slot holds an event keep() may append (a failed decode leaves it half written). */
  slotFilled = false;
  private readonly initialCapacity: number;
  private capacity: number;
  private numRows = 0;
  private float64Columns!: Float64Array[];
  private int32Columns!: Int32Array[];
  private stringColumns!: DictionaryColumnBuilder[];
  /** Epoch micros as safe-integer doubles, until an event time beyond 2^53 µs switches the batch to bigints. */
  private timestamps!: Float64Array | BigInt64Array;

  constructor(initialCapacity = 1024) {
    this.initialCapacity = Math.max(1, Math.floor(initialCapacity));
    this.capacity = this.initialCapacity;
    this.startBatch();
  }

  /** Rows kept so far in this batch. */
  get length(): number {
    return this.numRows;
  }

  /** Writes a reference-validated event (parseSalesMessage's event and eventTimeMicros) into the slot, without keeping it. */
  put(event: SalesEvent, eventTimeMicros: bigint): void {
    const slot = this.slot;
    const values = event as unknown as Record<string, number | string>;
    for (const field of FLOAT64_FIELDS) slot.numbers[field] = values[SALES_EVENT_FIELDS[field].name] as number;
    for (const field of INT32_FIELDS) slot.numbers[field] = values[SALES_EVENT_FIELDS[field].name] as number;
    for (const field of STRING_FIELDS) {
      slot.texts[field] = values[SALES_EVENT_FIELDS[field].name] as string;
      slot.entries[field] = NO_ENTRY;
    }
    const micros = Number(eventTimeMicros);
    const safe = Number.isSafeInteger(micros);
    slot.micros = safe ? micros : 0;
    slot.bigMicros = safe ? undefined : eventTimeMicros;
    this.slotFilled = true;
  }

  /** Keeps the slot last written by a decoder or put(). */
  keep(): void {
    if (!this.slotFilled)
      throw new Error('keep(): no event to keep (nothing decoded or put since the last keep, or the last decode failed)');
    this.slotFilled = false;
    const row = this.numRows;
    if (row === this.capacity) this.grow();
    const { numbers, texts, entries, recent } = this.slot;
    for (let k = 0; k < FLOAT64_FIELDS.length; k++) this.float64Columns[k][row] = numbers[FLOAT64_FIELDS[k]];
    for (let k = 0; k < INT32_FIELDS.length; k++) this.int32Columns[k][row] = numbers[INT32_FIELDS[k]];
    for (let k = 0; k < STRING_FIELDS.length; k++) {
      const field = STRING_FIELDS[k];
      this.stringColumns[k].append(row, texts[field], recent[field], entries[field]);
    }
    this.keepTimestamp(row);
    this.numRows = row + 1;
  }

  /**
   * Hands over the kept rows as columns of the contract fields, by name, and starts an empty batch.
   * The returned arrays are never touched again (they are written to Parquet asynchronously); they
   * may be longer than numRows. A slot filled but not kept yet is not part of this batch;
   * keep() still may append it to the next one.
   */
  finish(): DecodedColumns {
    const columns: Record<string, ColumnData> = {};
    FLOAT64_FIELDS.forEach((field, k) => (columns[SALES_EVENT_FIELDS[field].name] = this.float64Columns[k]));
    INT32_FIELDS.forEach((field, k) => (columns[SALES_EVENT_FIELDS[field].name] = this.int32Columns[k]));
    STRING_FIELDS.forEach((field, k) => {
      const { dictionary, indices } = this.stringColumns[k];
      columns[SALES_EVENT_FIELDS[field].name] = { dictionary, indices } satisfies DictionaryColumn;
    });
    columns[SALES_EVENT_FIELDS[TIMESTAMP_FIELD].name] = this.timestamps;
    const numRows = this.numRows;
    this.capacity = nextCapacity(this.initialCapacity, numRows);
    this.startBatch();
    return { numRows, columns };
  }

  private keepTimestamp(row: number): void {
    const { micros, bigMicros } = this.slot;
    if (bigMicros !== undefined) {
      if (this.timestamps instanceof Float64Array) this.switchTimestampsToBigInt();
      this.timestamps[row] = bigMicros;
    } else if (this.timestamps instanceof Float64Array) {
      this.timestamps[row] = micros;
    } else {
      this.timestamps[row] = BigInt(micros);
    }
  }

  /** Once per batch at most: the first event time a double cannot hold exactly. */
  private switchTimestampsToBigInt(): void {
    const doubles = this.timestamps;
    const bigints = new BigInt64Array(this.capacity);
    for (let row = 0; row < this.numRows; row++) bigints[row] = BigInt(doubles[row]);
    this.timestamps = bigints;
  }

  /** Fresh arrays; a slot not kept yet stays, so it may be kept into the new batch. */
  private startBatch(): void {
    const capacity = this.capacity;
    this.numRows = 0;
    this.float64Columns = FLOAT64_FIELDS.map(() => new Float64Array(capacity));
    this.int32Columns = INT32_FIELDS.map(() => new Int32Array(capacity));
    this.stringColumns = STRING_FIELDS.map(() => new DictionaryColumnBuilder(new Int32Array(capacity)));
    this.timestamps = new Float64Array(capacity);
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.float64Columns = this.float64Columns.map((column) => grown(column, capacity));
    this.int32Columns = this.int32Columns.map((column) => grown(column, capacity));
    for (const column of this.stringColumns) column.indices = grown(column.indices, capacity);
    this.timestamps = grown(this.timestamps, capacity);
    this.capacity = capacity;
  }
}
