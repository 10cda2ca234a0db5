import { decimalShape, PrimitiveType } from '../schema/types';

/**
 * JS values accepted for each Delta type, and their conversion to DuckDB values.
 * - long: number (safe integer) or bigint; read back as bigint so ids above 2^53 stay exact.
 * - timestamp: Date, ISO-8601 string (UTC when it has no offset) or bigint microseconds; read back as ISO string with micros.
 * - timestamp_ntz: ISO-8601 string without offset, Date (its UTC fields) or bigint microseconds;
 *   read back as 'YYYY-MM-DDTHH:MM:SS.ffffff' (no zone).
 * - decimal(p,s): a decimal string, a bigint or a number (its shortest text); read back as a
 *   string with exactly s decimals, never through a double.
 * - date: 'YYYY-MM-DD' string or Date; read back as 'YYYY-MM-DD'.
 * - struct, array, map (read only): objects, arrays, and arrays of [key, value] pairs.
 */
export type CellValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | null
  | undefined
  | CellValue[]
  | { [field: string]: CellValue };
export type Row = Record<string, CellValue>;

const MS_PER_DAY = 86_400_000;
const INT_RANGE: Partial<Record<PrimitiveType, [number, number]>> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};

/** What each type accepts, for error messages. */
const EXPECTED: Record<Exclude<PrimitiveType, `decimal(${number},${number})`>, string> = {
  string: 'a string',
  long: 'a 64-bit integer',
  integer: `an integer in [${INT_RANGE.integer![0]}, ${INT_RANGE.integer![1]}]`,
  short: `an integer in [${INT_RANGE.short![0]}, ${INT_RANGE.short![1]}]`,
  byte: `an integer in [${INT_RANGE.byte![0]}, ${INT_RANGE.byte![1]}]`,
  double: 'a number',
  float: 'a number',
  boolean: 'a boolean',
  binary: 'bytes',
  date: 'a date (YYYY-MM-DD)',
  timestamp: 'a timestamp (ISO-8601, Date or epoch micros)',
  timestamp_ntz: 'a timestamp without time zone (ISO-8601 without offset, Date or epoch micros)',
};

/** What a type accepts, for error messages. */
export function expectedValue(type: PrimitiveType): string {
  const shape = decimalShape(type);
  if (!shape) return EXPECTED[type as keyof typeof EXPECTED];
  return `a decimal with at most ${shape.precision - shape.scale} integer and ${shape.scale} fractional digits (string, bigint or number)`;
}

/** A decimal number: sign, digits, optional fraction, optional exponent. */
const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The most digits a plain decimal text may get from an exponent (a filter value such as 1e-400 is not one). */
const MAX_PLAIN_DIGITS = 400;

/**
 * A number, bigint or decimal string as plain decimal text: sign, integer digits without
 * leading zeros, and fraction digits without trailing zeros ('1e-7' -> '0.0000001', '-012.50'
 * -> '-12.5'). Exact: a number is taken as its shortest text. Undefined when it is not a number.
 */
export function plainDecimal(v: unknown): { negative: boolean; whole: string; fraction: string } | undefined {
  let text: string;
  if (typeof v === 'string') text = v.trim();
  else if (typeof v === 'bigint') text = v.toString();
  else if (typeof v === 'number' && Number.isFinite(v)) text = String(v);
  else return undefined;
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return undefined;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  if (Math.abs(exponent) > MAX_PLAIN_DIGITS) return undefined;
  let digits = m[2] + (m[3] ?? '');
  let point = m[2].length + exponent;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  const whole = digits.slice(0, point).replace(/^0+/, '') || '0';
  const fraction = digits.slice(point).replace(/0+$/, '');
  return { negative: m[1] === '-' && /[1-9]/.test(whole + fraction), whole, fraction };
}

/**
 * The exact decimal text of a cell for decimal(precision, scale), with the scale's digits
 * ('-0012.5' -> '-12.50'), or undefined when it is not a decimal or does not fit: more integer digits than
 * precision - scale, or non-zero digits beyond the scale (which would have to be rounded).
 * A number goes through its shortest text, so 0.1 is 0.1, not 0.1000000000000000055…
 */
export function toDecimalText(precision: number, scale: number, v: CellValue): string | undefined {
  const d = plainDecimal(v);
  if (!d || d.fraction.length > scale || (d.whole === '0' ? 0 : d.whole.length) > precision - scale) return undefined;
  return `${d.negative ? '-' : ''}${d.whole}${scale > 0 ? '.' + d.fraction.padEnd(scale, '0') : ''}`;
}

/** A timestamp_ntz string must not carry an offset: the type has no time zone to convert to. */
function hasOffset(s: string): boolean {
  return s.length > 19 && /(?:Z|[+-]\d\d:?\d\d)$/i.test(s.slice(19));
}

/**
 * Checks and converts a non-null cell in one step to the raw value the writer stores: bigint
 * for long, epoch micros (bigint) for timestamp, epoch days for date, the value itself
 * otherwise. Returns undefined when the value does not fit the type.
 */
export function toRawValue(type: PrimitiveType, v: CellValue): string | number | bigint | boolean | Uint8Array | undefined {
  const shape = decimalShape(type);
  if (shape) return toDecimalText(shape.precision, shape.scale, v);
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'long':
      if (typeof v === 'bigint') return BigInt.asIntN(64, v) === v ? v : undefined;
      return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
    case 'integer':
    case 'short':
    case 'byte': {
      const [lo, hi] = INT_RANGE[type]!;
      return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : undefined;
    }
    case 'double':
    case 'float':
      return typeof v === 'number' ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'binary':
      return v instanceof Uint8Array ? v : undefined;
    case 'date':
      return toEpochDays(v);
    case 'timestamp':
    case 'timestamp_ntz': {
      if (type === 'timestamp_ntz' && typeof v === 'string' && hasOffset(v)) return undefined;
      const micros = toEpochMicros(v);
      return micros !== undefined && BigInt.asIntN(64, micros) === micros ? micros : undefined;
    }
  }
  return undefined;
}

export function toEpochDays(v: CellValue): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : Math.floor(v.getTime() / MS_PER_DAY);
  return typeof v === 'string' && v.length === 10 ? civilDays(v) : undefined;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days since 1970-01-01 of the 'YYYY-MM-DD' at the start of s (proleptic Gregorian), or undefined
 * when it is not one or that day does not exist. Integer arithmetic (days_from_civil) on the
 * characters in place, instead of Date.parse or slices: this runs for every date and timestamp
 * cell written and was most of the append time.
 */
function civilDays(s: string): number | undefined {
  if (s[4] !== '-' || s[7] !== '-') return undefined;
  const y = digits(s, 0, 4);
  const m = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  // NaN (a non-digit) fails every comparison.
  if (!(y >= 0 && m >= 1 && m <= 12 && d >= 1)) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (!(d <= (m === 2 && leap ? 29 : MONTH_DAYS[m - 1]))) return undefined;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Digit at position i as a number, or NaN (so any bad character poisons the result). */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + digit(s, i + k);
  return v;
}

/** The sub-second microseconds of the last timestamp parseIsoSeconds accepted (a result without an allocation). */
let parsedMicros = 0;

/**
 * Seconds since the epoch of 'YYYY-MM-DD[T ]HH:MM:SS[.f…][Z|±HH:MM|±HHMM]' (no offset means UTC),
 * leaving the microseconds in parsedMicros; NaN when it is not one. Parsed by hand, in plain
 * numbers and without allocating, because this runs for every timestamp written or ingested.
 */
function parseIsoSeconds(s: string): number {
  const n = s.length;
  if (n < 19 || (s[10] !== 'T' && s[10] !== ' ') || s[13] !== ':' || s[16] !== ':') return NaN;
  const days = civilDays(s);
  const h = digits(s, 11, 2);
  const min = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (days === undefined || !(h <= 23 && min <= 59 && sec <= 59)) return NaN;
  let i = 19;
  let micros = 0;
  if (s[i] === '.') {
    const from = ++i;
    while (i < n && i - from < 9 && digit(s, i) === digit(s, i)) i++;
    const len = i - from;
    if (len === 0) return NaN;
    micros = len >= 6 ? digits(s, from, 6) : digits(s, from, len) * 10 ** (6 - len);
  }
  let offsetSeconds = 0;
  if (i < n) {
    const sign = s[i];
    if (sign === 'Z' && i === n - 1) {
      // UTC
    } else if ((sign === '+' || sign === '-') && (n - i === 6 ? s[i + 3] === ':' : n - i === 5)) {
      const oh = digits(s, i + 1, 2);
      const om = digits(s, n - 2, 2);
      if (!(oh <= 23 && om <= 59)) return NaN;
      offsetSeconds = (sign === '-' ? -60 : 60) * (oh * 60 + om);
    } else return NaN;
  }
  parsedMicros = micros;
  return days * 86_400 + h * 3600 + min * 60 + sec - offsetSeconds;
}

function isoToMicros(s: string): bigint | undefined {
  const seconds = parseIsoSeconds(s);
  if (Number.isNaN(seconds)) return undefined;
  const total = seconds * 1_000_000 + parsedMicros;
  return Number.isSafeInteger(total) ? BigInt(total) : BigInt(seconds) * 1_000_000n + BigInt(parsedMicros);
}

/**
 * toEpochMicros of an ISO-8601 string as a plain number, without allocating a BigInt; undefined
 * when it is not a timestamp or lies beyond 2^53 microseconds of 1970 (before 1685 or after 2255),
 * where only the bigint form is exact.
 */
export function isoToSafeMicros(s: string): number | undefined {
  const total = parseIsoSeconds(s) * 1_000_000 + parsedMicros;
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Microseconds since the epoch; a timestamp without an offset is taken as UTC. */
export function toEpochMicros(v: CellValue): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : BigInt(v.getTime()) * 1000n;
  if (typeof v !== 'string') return undefined;
  return isoToMicros(v);
}

/** 'YYYY-MM-DDTHH:MM:SS.ffffffZ' of epoch microseconds (a number is rounded to the microsecond). */
export function microsToIso(epochMicros: bigint | number): string {
  const micros = typeof epochMicros === 'bigint' ? epochMicros : BigInt(Math.round(epochMicros));
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = Number(micros - ms * 1000n);
  const base = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${base.slice(0, 23)}${String(sub).padStart(3, '0')}Z`;
}

export function daysToIsoDate(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}
