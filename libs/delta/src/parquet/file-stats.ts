import { FileStats } from '../protocol/actions';
import { decimalShape, hasMinMaxStats, isPrimitive, PrimitiveType, StructField } from '../schema/types';
import { microsToIso, toEpochMicros } from './values';

/** A decimal bound as its exact text, written into the stats JSON as a number without going through a double. */
export class DecimalText {
  constructor(readonly text: string) {}
}

/** The stats of one file, as COPY ... RETURN_STATS reports them. */
export interface CopyStats {
  count: string;
  file_size_bytes: string;
  column_statistics: Array<{ key: string; value: Array<{ key: string; value: string }> }> | null;
}

/** A column's bounds as DuckDB prints them. */
export interface RawBounds {
  min: string;
  max: string;
}

/** Timestamps whose ISO-8601 text has a four-digit year (0001..9999), as every Delta reader parses it. */
const MIN_ISO_MICROS = -62135596800000000n;
const MAX_ISO_MICROS = 253402300799999999n;

/**
 * Delta stats from DuckDB's RETURN_STATS; partition columns are left out, as Spark and delta-rs do,
 * and so are nested columns, which this library does not write. A column whose bounds have no
 * exact text (NaN, a timestamp outside years 1..9999) gets its nullCount only.
 *
 * `rowBounds` gives bounds computed from the rows for columns RETURN_STATS has none for (ENUMs).
 */
export function fileStats(dataFields: readonly StructField[], out: CopyStats, rowBounds?: ReadonlyMap<string, RawBounds>): FileStats {
  const stats: FileStats = { numRecords: Number(out.count), minValues: {}, maxValues: {}, nullCount: {} };
  const byColumn = new Map<string, Map<string, string>>();
  for (const c of out.column_statistics ?? []) {
    byColumn.set(c.key.replace(/^"|"$/g, '').replace(/""/g, '"'), new Map(c.value.map((kv) => [kv.key, kv.value])));
  }
  for (const f of dataFields) {
    if (!isPrimitive(f.type)) continue;
    const s = byColumn.get(f.name);
    stats.nullCount[f.name] = s?.has('null_count') ? Number(s.get('null_count')) : 0;
    if (!hasMinMaxStats(f.type) || s?.get('has_nan') === 'true') continue;
    const min = rowBounds?.get(f.name)?.min ?? s?.get('min');
    const max = rowBounds?.get(f.name)?.max ?? s?.get('max');
    if (min === undefined || max === undefined) continue;
    const minValue = statValue(f.type, min);
    const maxValue = statValue(f.type, max);
    if (minValue === undefined || maxValue === undefined) continue;
    stats.minValues[f.name] = minValue;
    stats.maxValues[f.name] = maxValue;
  }
  return stats;
}

/**
 * A bound as the stats JSON holds it, exactly: longs as bigint and decimals as DecimalText
 * (serializeStats writes both as JSON numbers digit for digit), timestamps as ISO-8601 with
 * microseconds (PROTOCOL.md allows truncating them to milliseconds; exact bounds need no
 * rounding up, which overflowed past year 9999). Undefined when the bound has no exact text.
 */
function statValue(type: PrimitiveType, raw: string): unknown {
  if (decimalShape(type)) return new DecimalText(raw);
  switch (type) {
    case 'long':
      return BigInt(raw);
    case 'float':
      // DuckDB prints the shortest float32 text ("0.1"); as a double it lies inside the float's value
      // (0.10000000149011612), so a max would not bound it. fround gives the stored value exactly.
      return Math.fround(Number(raw));
    case 'string':
    case 'date':
      return raw;
    case 'timestamp':
    case 'timestamp_ntz': {
      // DuckDB prints '2024-01-02 03:04:05.123456+00' (timestamp) or without the offset (timestamp_ntz).
      const micros = toEpochMicros(raw.replace(/\+00$/, 'Z'));
      if (micros === undefined || micros < MIN_ISO_MICROS || micros > MAX_ISO_MICROS) return undefined;
      const iso = microsToIso(micros);
      return type === 'timestamp' ? iso : iso.slice(0, -1);
    }
    default:
      return Number(raw);
  }
}

/** A stats value as JSON text: bigint and DecimalText as bare numbers, exactly. */
function jsonValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof DecimalText) return v.text;
  return JSON.stringify(v);
}

function jsonObject(values: Record<string, unknown>): string {
  return `{${Object.entries(values)
    .map(([k, v]) => `${JSON.stringify(k)}:${jsonValue(v)}`)
    .join(',')}}`;
}

/** `add.stats` text of a file's stats; JSON.stringify cannot write a bigint, nor a decimal beyond a double's digits. */
export function serializeStats(stats: FileStats): string {
  return (
    `{"numRecords":${stats.numRecords},"minValues":${jsonObject(stats.minValues)},` +
    `"maxValues":${jsonObject(stats.maxValues)},"nullCount":${jsonObject(stats.nullCount)}}`
  );
}
