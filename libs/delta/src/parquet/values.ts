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
  return civilDays(v);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days since 1970-01-01 of a 'YYYY-MM-DD' (proleptic Gregorian), or undefined when that day does
 * not exist. Integer arithmetic (days_from_civil) instead of Date.parse + toISOString: this runs
 * twice per date and timestamp cell on every write, and was most of the append time.
 */
function civilDays(ymd: string): number | undefined {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(5, 7));
  const d = Number(ymd.slice(8, 10));
  if (m < 1 || m > 12 || d < 1) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (m === 2 && leap ? 29 : MONTH_DAYS[m - 1])) return undefined;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
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
  const days = civilDays(day);
  const h = Number(hh);
  const min = Number(mm);
  const sec = Number(ss);
  if (days === undefined || h > 23 || min > 59 || sec > 59) return undefined;
  let offsetSeconds = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(-2));
    if (oh > 23 || om > 59) return undefined;
    offsetSeconds = (zone[0] === '-' ? -60 : 60) * (oh * 60 + om);
  }
  const micros = frac ? Number((frac + '00000').slice(0, 6)) : 0;
  return BigInt(days * 86_400 + h * 3600 + min * 60 + sec - offsetSeconds) * 1_000_000n + BigInt(micros);
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
