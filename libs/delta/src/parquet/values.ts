import { DuckDBBlobValue, DuckDBDateValue, DuckDBTimestampTZValue, DuckDBValue } from '@duckdb/node-api';
import { PrimitiveType } from '../schema/types';

/**
 * JS values accepted for each Delta type, and their conversion to DuckDB values.
 * - long: number (safe integer) or bigint; read back as bigint so ids above 2^53 stay exact.
 * - timestamp: Date, ISO-8601 string (UTC when it has no offset) or bigint microseconds; read back as ISO string with micros.
 * - date: 'YYYY-MM-DD' string or Date; read back as 'YYYY-MM-DD'.
 */
export type CellValue = string | number | bigint | boolean | Date | Uint8Array | null | undefined;
export type Row = Record<string, CellValue>;

const MS_PER_DAY = 86_400_000;
const INT_RANGE: Partial<Record<PrimitiveType, [number, number]>> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};

/** Returns why a value does not fit a type, or undefined when it does. */
export function typeMismatch(type: PrimitiveType, v: CellValue): string | undefined {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? undefined : 'a string';
    case 'long':
      if (typeof v === 'bigint') return v >= -(2n ** 63n) && v < 2n ** 63n ? undefined : 'a 64-bit integer';
      return typeof v === 'number' && Number.isSafeInteger(v) ? undefined : 'a 64-bit integer';
    case 'integer':
    case 'short':
    case 'byte': {
      const [lo, hi] = INT_RANGE[type]!;
      return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? undefined : `an integer in [${lo}, ${hi}]`;
    }
    case 'double':
    case 'float':
      return typeof v === 'number' ? undefined : 'a number';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'a boolean';
    case 'binary':
      return v instanceof Uint8Array ? undefined : 'bytes';
    case 'date':
      return toEpochDays(v) === undefined ? 'a date (YYYY-MM-DD)' : undefined;
    case 'timestamp':
      return toEpochMicros(v) === undefined ? 'a timestamp (ISO-8601, Date or epoch micros)' : undefined;
  }
}

export function toEpochDays(v: CellValue): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : Math.floor(v.getTime() / MS_PER_DAY);
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  const ms = Date.parse(`${v}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v) return undefined;
  return ms / MS_PER_DAY;
}

const ISO_TS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Microseconds since the epoch; a timestamp without an offset is taken as UTC. */
export function toEpochMicros(v: CellValue): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : BigInt(v.getTime()) * 1000n;
  if (typeof v !== 'string') return undefined;
  const m = ISO_TS.exec(v);
  if (!m) return undefined;
  const [, day, hh, mm, ss, frac = '', zone = 'Z'] = m;
  const offset = zone === 'Z' ? '+00:00' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${day}T${hh}:${mm}:${ss}${offset}`);
  if (Number.isNaN(ms) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return undefined;
  if (new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day) return undefined;
  const micros = Number((frac + '000000').slice(0, 6));
  return BigInt(ms) * 1000n + BigInt(micros);
}

export function microsToIso(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = Number(micros - ms * 1000n);
  const base = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${base.slice(0, 23)}${String(sub).padStart(3, '0')}Z`;
}

export function daysToIsoDate(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Assumes the value passed `typeMismatch`. */
export function toDuckDBValue(type: PrimitiveType, v: CellValue): DuckDBValue {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'long':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'timestamp':
      return new DuckDBTimestampTZValue(toEpochMicros(v)!);
    case 'date':
      return new DuckDBDateValue(toEpochDays(v)!);
    case 'binary':
      return new DuckDBBlobValue(v as Uint8Array);
    default:
      return v as DuckDBValue;
  }
}
