import { isWholeCents, MAX_INT32, SALES_EVENT_FIELDS } from '@app/schemas';

/**
 * The contract's fields as the decoders read them: by position in SALES_EVENT_FIELDS, with small
 * integer codes for how each is read and checked (switching on the contract's strings per field
 * and row showed in profiles), and the layouts payloads are written in.
 */

export type SalesField = (typeof SALES_EVENT_FIELDS)[number];

export const FIELD_COUNT = SALES_EVENT_FIELDS.length;
export const ALL_FIELDS_SEEN = (1 << FIELD_COUNT) - 1;
/** Field names as bytes, to recognise keys without decoding them (the names are ASCII). */
export const FIELD_NAME_BYTES: readonly Uint8Array[] = SALES_EVENT_FIELDS.map((f) => new TextEncoder().encode(f.name));

/** Field positions in SALES_EVENT_FIELDS by how the columns store them, derived from the contract's types. */
const fieldsOfType = (...types: SalesField['type'][]): number[] =>
  SALES_EVENT_FIELDS.flatMap((f, i) => ((types as string[]).includes(f.type) ? [i] : []));
export const FLOAT64_FIELDS = fieldsOfType('long', 'double');
export const INT32_FIELDS = fieldsOfType('integer');
export const STRING_FIELDS = fieldsOfType('string');
export const NUMBER_FIELDS = [...FLOAT64_FIELDS, ...INT32_FIELDS];
const [timestampField, ...otherTimestamps] = fieldsOfType('timestamp');
if (timestampField === undefined || otherTimestamps.length > 0)
  throw new Error('the decoders expect exactly one timestamp field in SALES_EVENT_FIELDS');
export const TIMESTAMP_FIELD: number = timestampField;

/** How each field is read; layout-scan.c shares these codes. */
export const READ_LONG = 0;
export const READ_INT32 = 1;
export const READ_DOUBLE = 2;
export const READ_TIMESTAMP = 3;
export const READ_STRING = 4;
export const FIELD_READERS = Uint8Array.from(SALES_EVENT_FIELDS, (f) => {
  switch (f.type) {
    case 'long':
      return READ_LONG;
    case 'integer':
      return READ_INT32;
    case 'double':
      return READ_DOUBLE;
    case 'timestamp':
      return READ_TIMESTAMP;
    case 'string':
      return READ_STRING;
    default: {
      const unsupported: never = f;
      throw new Error(`decoders: unsupported contract field ${JSON.stringify(unsupported)}`);
    }
  }
});
/** The largest value of each integer field (0 for the others): the bound the integer readers check. */
export const INTEGER_MAXIMA = SALES_EVENT_FIELDS.map((f, i) =>
  FIELD_READERS[i] === READ_LONG ? Number.MAX_SAFE_INTEGER : FIELD_READERS[i] === READ_INT32 ? ('max' in f ? f.max : MAX_INT32) : 0,
);
/** The largest value of each field with a `max` in the contract (Infinity for the others): for the amount. */
const FIELD_MAXIMA = Float64Array.from(SALES_EVENT_FIELDS, (f) => ('max' in f ? f.max : Infinity));
export const CHECK_NONE = 0;
export const CHECK_POSITIVE = 1;
export const CHECK_CENTS = 2;
export const CHECK_NON_EMPTY = 3;
export const CHECK_SEGMENT = 4;
export const FIELD_CHECKS = Uint8Array.from(SALES_EVENT_FIELDS, (f) => {
  switch (f.check) {
    case 'none':
      return CHECK_NONE;
    case 'positive':
      return CHECK_POSITIVE;
    case 'cents':
      return CHECK_CENTS;
    case 'nonEmpty':
      return CHECK_NON_EMPTY;
    case 'segment':
      return CHECK_SEGMENT;
    default: {
      const unsupported: never = f;
      throw new Error(`decoders: unsupported contract check ${JSON.stringify(unsupported)}`);
    }
  }
});

/**
 * A number field's SALES_EVENT_FIELDS check. The number readers take no sign, so their values are
 * already > 0 and >= 0 (kept as a guard, for the WebAssembly scan's numbers too); integers are
 * bounded by their readers (INTEGER_MAXIMA), an amount here.
 */
export function numberPassesCheck(field: number, value: number): boolean {
  const check = FIELD_CHECKS[field];
  if (check === CHECK_CENTS) return value >= 0 && value <= FIELD_MAXIMA[field] && isWholeCents(value);
  return check !== CHECK_POSITIVE || value > 0;
}

/**
 * How one producer writes the event: the contract fields in some order, and the bytes around
 * their values (keys, punctuation, whitespace), which are the same in every payload of that
 * producer. A decoder that knows the layout reads a payload with one comparison per key.
 */
export interface PayloadLayout {
  /** Field position in SALES_EVENT_FIELDS of each value, in the order they are written. */
  readonly order: Uint8Array;
  /** What precedes each value (FIELD_COUNT of them), then what follows the last one. */
  readonly around: readonly Uint8Array[];
}

/** Our producer's layout: JSON.stringify of the event, contract order, no whitespace. */
export const PRODUCER_LAYOUT: PayloadLayout = {
  order: Uint8Array.from(SALES_EVENT_FIELDS, (_, i) => i),
  around: [
    ...SALES_EVENT_FIELDS.map((f, i) => new TextEncoder().encode(`${i === 0 ? '{' : ','}"${f.name}":`)),
    new TextEncoder().encode('}'),
  ],
};

export function sameLayout(a: PayloadLayout, b: PayloadLayout): boolean {
  if (a.order.length !== b.order.length || a.around.length !== b.around.length) return false;
  for (let k = 0; k < a.order.length; k++) if (a.order[k] !== b.order[k]) return false;
  return a.around.every((bytes, k) => Buffer.compare(bytes, b.around[k]) === 0);
}

/** 10^k for k <= 22: every one is an exact double (Clinger's fast path relies on it). */
export const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** 'YYYY-MM-DDTHH:MM:SS': the part of an event time that events of the same second share. */
export const SECONDS_PREFIX_LENGTH = 19;
export const FAIL = -1;
const DOT = 0x2e;
const DIGIT_ZERO = 0x30;
const UPPER_Z = 0x5a;

/**
 * The microseconds of a timestamp's tail after the seconds, bytes[i, end), when it is one of
 * isoToSafeMicros' UTC forms: nothing, 'Z', or '.' and 1 to 9 digits (the first 6 count),
 * optionally followed by 'Z'. FAIL for anything else (offsets among them).
 */
export function utcTailMicros(b: Uint8Array, i: number, end: number): number {
  let micros = 0;
  if (i < end && b[i] === DOT) {
    const from = ++i;
    for (; i < end && i - from < 9; i++) {
      const digit = b[i] - DIGIT_ZERO;
      if (digit < 0 || digit > 9) break;
      if (i - from < 6) micros = micros * 10 + digit;
    }
    if (i === from) return FAIL;
    if (i - from < 6) micros *= EXACT_POWERS_OF_TEN[6 - (i - from)];
  }
  if (i === end || (i === end - 1 && b[i] === UPPER_Z)) return micros;
  return FAIL;
}

/** A Buffer of the bytes, for its UTF-8 decoding of a byte range: a view, no copy, when given a plain Uint8Array. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
