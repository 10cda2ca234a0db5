// Deep imports: the classify worker loads this module and must not load the DuckDB binding.
import type { ColumnData, DictionaryColumn } from '@app/delta/core';
import { grown, nextCapacity } from '@app/delta/core';
import { isUtf8 } from 'node:buffer';
import { isoToSafeMicros } from '@app/delta/core';
import { CanonicalScan, SPAN_INTS } from './canonical-scan/canonical-scan';
import { isWholeCents, MAX_INT32, SALES_EVENT_FIELDS, SalesEvent, SEGMENT_SET } from './sales-event';

/**
 * The ingestor's fast path: sales events decoded from the raw Kafka payload bytes straight into
 * columns (typed arrays and string dictionaries), without JSON.parse, validateSalesEvent or a row
 * object per message.
 *
 * The scanner accepts only a plain, common subset of JSON and returns "not on the fast path" for
 * anything else. The caller then runs the reference path (parseSalesMessage), which decides and
 * gives the quarantine reason. The rule the scanner keeps: whenever it accepts a payload,
 * parseSalesMessage accepts it too, with exactly the same values (doubles bit for bit, strings,
 * event time). sales-columns.spec.ts checks that differentially against the reference on mutated
 * payloads. Left to the reference, valid or not:
 * - any backslash escape, in keys or values; a contract key given twice;
 * - integers other than `[1-9][0-9]*` in range (so 0, negatives, `1.0`, `1e3`); montant with a
 *   sign or an exponent (so `-0`); numbers JSON does not allow;
 * - objects or arrays as values (also of unknown fields); anything but an object at the top;
 * - event times beyond 2^53 µs of 1970 (before ~1685, after ~2255): put() keeps those as bigints;
 * - whatever else the contract refuses (missing field, blank string, unknown segment, bad time,
 *   an amount or quantity out of bounds, invalid UTF-8).
 */

type SalesField = (typeof SALES_EVENT_FIELDS)[number];

const FIELD_COUNT = SALES_EVENT_FIELDS.length;
const ALL_FIELDS_SEEN = (1 << FIELD_COUNT) - 1;
/** Field names as bytes, to recognise keys without decoding them (the names are ASCII). */
const FIELD_NAME_BYTES: readonly Uint8Array[] = SALES_EVENT_FIELDS.map((f) => new TextEncoder().encode(f.name));
/**
 * What precedes each field's value in the producer's own layout (JSON.stringify of the event:
 * contract order, no whitespace): `{"vente_id":`, then `,"client_id":` and so on.
 */
const CANONICAL_PREFIXES: readonly Uint8Array[] = SALES_EVENT_FIELDS.map((f, i) => new TextEncoder().encode(`${i === 0 ? '{' : ','}"${f.name}":`));

/** Field positions in SALES_EVENT_FIELDS by how the builder stores them, derived from the contract's types. */
const fieldsOfType = (...types: SalesField['type'][]): number[] =>
  SALES_EVENT_FIELDS.flatMap((f, i) => ((types as string[]).includes(f.type) ? [i] : []));
const FLOAT64_FIELDS = fieldsOfType('long', 'double');
const INT32_FIELDS = fieldsOfType('integer');
const STRING_FIELDS = fieldsOfType('string');
const NUMBER_FIELDS = [...FLOAT64_FIELDS, ...INT32_FIELDS];
const [TIMESTAMP_FIELD, ...OTHER_TIMESTAMPS] = fieldsOfType('timestamp');
if (TIMESTAMP_FIELD === undefined || OTHER_TIMESTAMPS.length > 0)
  throw new Error('SalesColumnsBuilder expects exactly one timestamp field in SALES_EVENT_FIELDS');

/**
 * How the scanner reads and checks each field (by position), from its contract type and check:
 * small integers, because switching on the contract's strings per field and row showed in profiles.
 */
const READ_LONG = 0;
const READ_INT32 = 1;
const READ_DOUBLE = 2;
const READ_TIMESTAMP = 3;
const READ_STRING = 4;
const FIELD_READERS = Uint8Array.from(SALES_EVENT_FIELDS, (f) => {
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
      throw new Error(`SalesColumnsBuilder: unsupported contract field ${JSON.stringify(unsupported)}`);
    }
  }
});
/** The largest value of each integer field (0 for the others): the bound readPositiveInteger checks. */
const INTEGER_MAXIMA = SALES_EVENT_FIELDS.map((f, i) =>
  FIELD_READERS[i] === READ_LONG ? Number.MAX_SAFE_INTEGER : FIELD_READERS[i] === READ_INT32 ? ('max' in f ? f.max : MAX_INT32) : 0,
);
/** The largest value of each field with a `max` in the contract (Infinity for the others): for the amount. */
const FIELD_MAXIMA = Float64Array.from(SALES_EVENT_FIELDS, (f) => ('max' in f ? f.max : Infinity));
const CHECK_NONE = 0;
const CHECK_POSITIVE = 1;
const CHECK_CENTS = 2;
const CHECK_NON_EMPTY = 3;
const CHECK_SEGMENT = 4;
const FIELD_CHECKS = Uint8Array.from(SALES_EVENT_FIELDS, (f) => {
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
      throw new Error(`SalesColumnsBuilder: unsupported contract check ${JSON.stringify(unsupported)}`);
    }
  }
});

/** A Buffer of the bytes, for its UTF-8 decoding of a byte range: a view, no copy, when given a plain Uint8Array. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A number field's SALES_EVENT_FIELDS check. The number readers take no sign, so their values are
 * already > 0 and >= 0 (kept as a guard, for CanonicalScan's numbers too); integers are bounded by
 * their readers (INTEGER_MAXIMA), an amount here.
 */
function numberPassesCheck(field: number, value: number): boolean {
  const check = FIELD_CHECKS[field];
  if (check === CHECK_CENTS) return value >= 0 && value <= FIELD_MAXIMA[field] && isWholeCents(value);
  return check !== CHECK_POSITIVE || value > 0;
}

/** 10^k for k <= 22: every one is an exact double (the Clinger fast path below relies on it). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

const FAIL = -1;
const UNKNOWN_FIELD = -1;
const NO_ENTRY = -1;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_ZERO = 0x30;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const UPPER_Z = 0x5a;
/** 'YYYY-MM-DDTHH:MM:SS': the part of an event time that events of the same second share. */
const SECONDS_PREFIX_LENGTH = 19;
const LITERALS: readonly Uint8Array[] = ['true', 'false', 'null'].map((s) => new TextEncoder().encode(s));

/**
 * The values of one event, by field position in SALES_EVENT_FIELDS: the slot that decode() and
 * put() fill and keep() appends to the columns.
 */
class EventSlot {
  /** Numeric fields (integers are exact in a double). */
  readonly numbers = new Float64Array(FIELD_COUNT);
  readonly texts: string[] = new Array<string>(FIELD_COUNT).fill('');
  /** For string fields: the RecentStrings entry the text came from, or NO_ENTRY (put(), or not remembered). */
  readonly entries = new Int32Array(FIELD_COUNT).fill(NO_ENTRY);
  /** Event time in epoch microseconds, a safe integer... */
  micros = 0;
  /** ...unless it lies beyond 2^53 µs of 1970 (only put() can get such a time): then exact here. */
  bigMicros: bigint | undefined = undefined;
}

/**
 * The strings one field decoded lately, by their bytes. Sales repeat a limited set of client
 * names, products, categories, countries and segments, so most values are found here and cost
 * neither a string allocation nor the contract check; each entry also remembers its value's index
 * in the current batch's dictionary, so keep() need not look it up in the dictionary's Map.
 * Direct-mapped by a hash of the bytes; a collision replaces the entry. Equal bytes always decode
 * to the same string, so a hit is exact; only values that passed the field's check are remembered.
 */
class RecentStrings {
  static readonly SIZE = 4096; // a power of two
  private readonly keys: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(RecentStrings.SIZE).fill(undefined);
  readonly values: string[] = new Array<string>(RecentStrings.SIZE).fill('');
  /** Per entry, the DictionaryColumnBuilder (by id; 0 = none) whose dictionary has the value, and its index there. */
  readonly dictionaryIds = new Int32Array(RecentStrings.SIZE);
  readonly dictionaryIndices = new Int32Array(RecentStrings.SIZE);

  /** @param onRemember told each entry set, with its bytes (CanonicalScan keeps a copy). */
  constructor(private readonly onRemember: (entry: number, key: Uint8Array) => void) {}

  /** The entry that holds bytes[start, end), whose FNV-1a hash is `hash`, or NO_ENTRY. */
  find(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const entry = RecentStrings.entryOf(hash);
    const key = this.keys[entry];
    if (key === undefined || key.length !== end - start) return NO_ENTRY;
    for (let k = 0; k < key.length; k++) if (key[k] !== bytes[start + k]) return NO_ENTRY;
    return entry;
  }

  /** Remembers `value` as the string of bytes[start, end), hashed `hash`; returns its entry. */
  remember(bytes: Uint8Array, start: number, end: number, hash: number, value: string): number {
    const entry = RecentStrings.entryOf(hash);
    // A copy (Buffer#slice would be a view): the caller may reuse the payload's memory, and a view would pin it.
    const key = new Uint8Array(bytes.subarray(start, end));
    this.keys[entry] = key;
    this.values[entry] = value;
    this.dictionaryIds[entry] = 0;
    this.onRemember(entry, key);
    return entry;
  }

  private static entryOf(hash: number): number {
    return (hash ^ (hash >>> 15)) & (RecentStrings.SIZE - 1);
  }
}

/**
 * Byte-level scanner of one payload into an EventSlot. Methods take the position to read from and
 * return the position after what they read, or FAIL; values land in `number` / `text` / `hash` /
 * `field` first. Hot loops copy `bytes` and `end` to locals.
 */
class SalesPayloadScanner {
  private bytes: Buffer = Buffer.alloc(0);
  private end = 0;
  private number = 0;
  private text = '';
  /** The RecentStrings entry of the last checked string. */
  private entry = NO_ENTRY;
  /** FNV-1a hash of the bytes of the last string skipped. */
  private hash = 0;
  /** The contract field named by the last key read, or UNKNOWN_FIELD. */
  private field = 0;
  /** The seconds prefix of the last UTC event time parsed whole, and its value in epoch microseconds (see readTimestamp). */
  private readonly secondsPrefix = new Uint8Array(SECONDS_PREFIX_LENGTH);
  private prefixMicros: number | undefined = undefined;

  /**
   * @param recentStrings by field position, for the string fields.
   * @param onSecondsPrefix told each new seconds prefix of event times (see readTimestamp).
   */
  constructor(
    private readonly recentStrings: ReadonlyArray<RecentStrings | undefined>,
    private readonly onSecondsPrefix: (prefix: Uint8Array, micros: number) => void,
  ) {}

  /** True when the payload bytes[start, end) are on the fast path; then `slot` holds all of its fields. */
  scan(bytes: Uint8Array, start: number, end: number, slot: EventSlot): boolean {
    this.bytes = asBuffer(bytes);
    this.end = end;
    return this.scanCanonical(start, slot) || this.scanAny(start, slot);
  }

  /**
   * The producer's own layout only (CANONICAL_PREFIXES, then `}`): each key and its punctuation in
   * one comparison. What it accepts, scanAny accepts with the same values (it reads the same
   * fields the same way); anything else is left to scanAny, from the start.
   */
  private scanCanonical(start: number, slot: EventSlot): boolean {
    let i = start;
    for (let field = 0; field < FIELD_COUNT; field++) {
      const prefix = CANONICAL_PREFIXES[field];
      if (i + prefix.length > this.end || !this.bytesEqual(i, prefix)) return false;
      i = this.readField(field, i + prefix.length, slot);
      if (i === FAIL) return false;
    }
    return i === this.end - 1 && this.bytes[i] === CLOSE_BRACE;
  }

  /** Any layout: whitespace, key order and unknown fields with scalar values. */
  private scanAny(start: number, slot: EventSlot): boolean {
    const b = this.bytes;
    const end = this.end;
    let i = this.skipWhitespace(start);
    if (i >= end || b[i] !== OPEN_BRACE) return false;
    let seen = 0;
    let nextInContractOrder = 0;
    i = this.skipWhitespace(i + 1);
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return false; // also refuses `{}` and a trailing comma
      i = this.readKey(i + 1, nextInContractOrder);
      if (i === FAIL) return false;
      i = this.skipWhitespace(i + 1);
      if (i >= end || b[i] !== COLON) return false;
      i = this.skipWhitespace(i + 1);
      const field = this.field;
      if (field === UNKNOWN_FIELD) {
        i = this.skipScalar(i);
      } else {
        // JSON.parse keeps the last of duplicate keys; rather than replicate that, leave it to the reference.
        if (seen & (1 << field)) return false;
        seen |= 1 << field;
        nextInContractOrder = field + 1;
        i = this.readField(field, i, slot);
      }
      if (i === FAIL) return false;
      i = this.skipWhitespace(i);
      if (i < end && b[i] === COMMA) {
        i = this.skipWhitespace(i + 1);
        continue;
      }
      if (i >= end || b[i] !== CLOSE_BRACE) return false;
      break;
    }
    return seen === ALL_FIELDS_SEEN && this.skipWhitespace(i + 1) === end;
  }

  /**
   * A key, from just after its opening quote: returns the position of its closing quote (or FAIL)
   * and sets `field`. Producers write the fields in contract order, so the bytes are first compared
   * with the field after the previous one, closing quote included (names hold no quote).
   */
  private readKey(start: number, likely: number): number {
    if (likely < FIELD_COUNT) {
      const name = FIELD_NAME_BYTES[likely];
      const close = start + name.length;
      if (close < this.end && this.bytes[close] === QUOTE && this.bytesEqual(start, name)) {
        this.field = likely;
        return close;
      }
    }
    const close = this.skipString(start);
    if (close === FAIL) return FAIL;
    this.field = UNKNOWN_FIELD;
    for (let field = 0; field < FIELD_COUNT; field++) {
      if (FIELD_NAME_BYTES[field].length === close - start && this.bytesEqual(start, FIELD_NAME_BYTES[field])) {
        this.field = field;
        break;
      }
    }
    return close;
  }

  /** Reads the value of a contract field with the same checks as validateSalesEvent (its type, then its SALES_EVENT_FIELDS check). */
  private readField(field: number, i: number, slot: EventSlot): number {
    switch (FIELD_READERS[field]) {
      case READ_LONG:
      case READ_INT32:
        i = this.readPositiveInteger(i, INTEGER_MAXIMA[field]);
        break;
      case READ_DOUBLE:
        i = this.readUnsignedDecimal(i);
        break;
      case READ_TIMESTAMP:
        i = this.readTimestamp(i);
        if (i === FAIL) return FAIL;
        slot.micros = this.number;
        slot.bigMicros = undefined;
        return i;
      default: // READ_STRING
        i = this.readCheckedString(field, i);
        slot.texts[field] = this.text;
        slot.entries[field] = this.entry;
        return i;
    }
    if (i === FAIL || !numberPassesCheck(field, this.number)) return FAIL;
    slot.numbers[field] = this.number;
    return i;
  }

  /** A string field's value, from its opening quote, into `text` and `entry` (see checkString). */
  private readCheckedString(field: number, i: number): number {
    if (i >= this.end || this.bytes[i] !== QUOTE) return FAIL;
    const start = i + 1;
    const close = this.skipString(start);
    if (close === FAIL || !this.checkString(field, start, close, this.hash)) return FAIL;
    return close + 1;
  }

  /**
   * A string field's value that CanonicalScan found at bytes[start, close), with the FNV-1a hash
   * skipString gives, into the slot: what readCheckedString does once it has found the string.
   */
  readFoundString(bytes: Buffer, field: number, start: number, close: number, hash: number, slot: EventSlot): boolean {
    this.bytes = bytes;
    // Not one of the recent strings, which are valid: its bytes are checked as skipString does.
    if (!isUtf8(bytes.subarray(start, close)) || !this.checkString(field, start, close, hash)) return false;
    slot.texts[field] = this.text;
    slot.entries[field] = this.entry;
    return true;
  }

  /**
   * The string bytes[start, close), hashed `hash`, into `text` and `entry`: one of the field's
   * recent strings, or decoded and checked like validateSalesEvent.
   */
  private checkString(field: number, start: number, close: number, hash: number): boolean {
    const recent = this.recentStrings[field]!;
    this.entry = recent.find(this.bytes, start, close, hash);
    if (this.entry !== NO_ENTRY) {
      this.text = recent.values[this.entry];
      return true;
    }
    this.text = this.utf8(start, close);
    switch (FIELD_CHECKS[field]) {
      case CHECK_NON_EMPTY:
        if (this.text.trim() === '') return false;
        break;
      case CHECK_SEGMENT:
        if (!SEGMENT_SET.has(this.text)) return false;
        break;
    }
    this.entry = recent.remember(this.bytes, start, close, hash, this.text);
    return true;
  }

  /**
   * `[1-9][0-9]*` up to `max` (a safe integer). While the true value is <= max every step is exact;
   * once it exceeds max the rounded double does too, so the comparison stays right.
   */
  private readPositiveInteger(i: number, max: number): number {
    const b = this.bytes;
    const end = this.end;
    let digit = i < end ? b[i] - DIGIT_ZERO : -1;
    if (digit < 1 || digit > 9) return FAIL;
    let value = digit;
    for (i++; i < end; i++) {
      digit = b[i] - DIGIT_ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      if (value > max) return FAIL;
    }
    this.number = value;
    return i;
  }

  /**
   * `(0|[1-9][0-9]*)(\.[0-9]+)?`, as the exact double JSON.parse gives. Clinger's fast path: when the
   * digits without the dot form an integer below 2^53 and there are at most 22 decimals, both it and
   * 10^decimals are exact doubles, so one IEEE division is the correctly rounded result. Otherwise
   * Number() of the text, which rounds the same way as JSON.parse. Exponents and signs are left to
   * the reference (an `e` after the digits fails the delimiter check in scan()).
   */
  private readUnsignedDecimal(i: number): number {
    const b = this.bytes;
    const start = i;
    const first = i < this.end ? b[i] - DIGIT_ZERO : -1;
    if (first < 0 || first > 9) return FAIL;
    let mantissa = 0;
    if (first === 0) {
      i++; // a leading zero stands alone ("01" is not JSON, and fails the delimiter check)
    } else {
      i = this.accumulateDigits(i, 0);
      mantissa = this.number;
    }
    let decimals = 0;
    if (i < this.end && b[i] === DOT) {
      const fractionStart = i + 1;
      i = this.accumulateDigits(fractionStart, mantissa);
      mantissa = this.number;
      decimals = i - fractionStart;
      if (decimals === 0) return FAIL;
    }
    // As in readPositiveInteger: a mantissa computed <= MAX_SAFE_INTEGER is the exact one.
    const value =
      mantissa <= Number.MAX_SAFE_INTEGER && decimals < EXACT_POWERS_OF_TEN.length
        ? mantissa / EXACT_POWERS_OF_TEN[decimals]
        : Number(b.toString('latin1', start, i));
    if (!Number.isFinite(value)) return FAIL;
    this.number = value;
    return i;
  }

  /** Appends the digits from i to `value` (times ten per digit) into `number`: exact below 2^53 only, see readUnsignedDecimal. */
  private accumulateDigits(i: number, value: number): number {
    const b = this.bytes;
    const end = this.end;
    for (; i < end; i++) {
      const digit = b[i] - DIGIT_ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    this.number = value;
    return i;
  }

  /**
   * An event time, from its opening quote, into `number` as epoch microseconds: isoToSafeMicros of
   * the string (out of the safe range, before ~1685 or after ~2255, it fails: the reference path
   * then puts it as a bigint). Events of the same second share the text up to the seconds
   * ('2026-11-26T19:40:20'): when it matches the last one parsed, only the UTC tail (fraction,
   * 'Z') is read here, without decoding a string; otherwise isoToSafeMicros parses it whole, and
   * a UTC timestamp's prefix is remembered.
   */
  private readTimestamp(i: number): number {
    if (i >= this.end || this.bytes[i] !== QUOTE) return FAIL;
    const start = i + 1;
    const close = this.skipString(start);
    if (close === FAIL) return FAIL;
    const tailStart = start + SECONDS_PREFIX_LENGTH;
    if (this.prefixMicros !== undefined && tailStart <= close && this.bytesEqual(start, this.secondsPrefix)) {
      const tail = this.utcTailMicros(tailStart, close);
      if (tail !== FAIL && Number.isSafeInteger(this.prefixMicros + tail)) {
        this.number = this.prefixMicros + tail;
        return close + 1;
      }
    }
    const micros = isoToSafeMicros(this.utf8(start, close));
    if (micros === undefined) return FAIL;
    const tail = tailStart <= close ? this.utcTailMicros(tailStart, close) : FAIL;
    if (tail !== FAIL) {
      this.secondsPrefix.set(this.bytes.subarray(start, tailStart));
      this.prefixMicros = micros - tail;
      this.onSecondsPrefix(this.secondsPrefix, this.prefixMicros);
    }
    this.number = micros;
    return close + 1;
  }

  /**
   * The microseconds of a timestamp's tail after the seconds, when it is one of isoToSafeMicros'
   * UTC forms: nothing, 'Z', or '.' and 1 to 9 digits (the first 6 count), optionally followed by
   * 'Z'. FAIL for anything else (offsets among them), which is left to isoToSafeMicros.
   */
  private utcTailMicros(i: number, end: number): number {
    const b = this.bytes;
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

  /**
   * The bytes between a string's quotes as UTF-8, with Buffer's decoder like parseSalesMessage (not
   * TextDecoder, which drops a leading BOM). It gives the same string as decoding the whole payload
   * then cutting it: a quote is ASCII, so it never belongs to a multi-byte sequence, and invalid
   * sequences become U+FFFD the same way.
   */
  private utf8(start: number, end: number): string {
    return this.bytes.toString('utf8', start, end);
  }

  /**
   * From just after an opening quote to the closing one, hashing the bytes on the way (for
   * RecentStrings); FAIL on an escape (left to the reference) or a control character (invalid JSON).
   */
  private skipString(i: number): number {
    const b = this.bytes;
    const end = this.end;
    const start = i;
    let hash = 0x811c9dc5; // FNV-1a
    let bits = 0;
    for (; i < end; i++) {
      const c = b[i];
      if (c === QUOTE) {
        // Non-ASCII bytes must form valid UTF-8: the reference quarantines the payload otherwise.
        if (bits >= 0x80 && !isUtf8(b.subarray(start, i))) return FAIL;
        this.hash = hash;
        return i;
      }
      if (c < SPACE || c === BACKSLASH) return FAIL;
      bits |= c;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    return FAIL;
  }

  /** Whether the bytes from `start` are `expected` (the caller checks there are enough). */
  private bytesEqual(start: number, expected: Uint8Array): boolean {
    const b = this.bytes;
    for (let k = 0; k < expected.length; k++) if (b[start + k] !== expected[k]) return false;
    return true;
  }

  /** The value of a field outside the contract: a string, number or literal; nested values are left to the reference. */
  private skipScalar(i: number): number {
    if (i >= this.end) return FAIL;
    const c = this.bytes[i];
    if (c === QUOTE) {
      const close = this.skipString(i + 1);
      return close === FAIL ? FAIL : close + 1;
    }
    if (c === MINUS || (c >= DIGIT_ZERO && c <= DIGIT_ZERO + 9)) return this.skipNumber(i);
    for (const literal of LITERALS) if (i + literal.length <= this.end && this.bytesEqual(i, literal)) return i + literal.length;
    return FAIL;
  }

  /** A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. */
  private skipNumber(i: number): number {
    const b = this.bytes;
    if (b[i] === MINUS) i++;
    if (i >= this.end) return FAIL;
    if (b[i] === DIGIT_ZERO) i++;
    else if ((i = this.skipDigits(i)) === FAIL) return FAIL;
    if (i < this.end && b[i] === DOT && (i = this.skipDigits(i + 1)) === FAIL) return FAIL;
    if (i < this.end && (b[i] === LOWER_E || b[i] === UPPER_E)) {
      i++;
      if (i < this.end && (b[i] === PLUS || b[i] === MINUS)) i++;
      if ((i = this.skipDigits(i)) === FAIL) return FAIL;
    }
    return i;
  }

  /** One or more digits. */
  private skipDigits(i: number): number {
    const start = i;
    while (i < this.end && this.bytes[i] >= DIGIT_ZERO && this.bytes[i] <= DIGIT_ZERO + 9) i++;
    return i === start ? FAIL : i;
  }

  /** JSON's whitespace only: space, tab, line feed, carriage return. */
  private skipWhitespace(i: number): number {
    const b = this.bytes;
    const end = this.end;
    while (i < end) {
      const c = b[i];
      if (c !== SPACE && c !== LINE_FEED && c !== TAB && c !== CARRIAGE_RETURN) break;
      i++;
    }
    return i;
  }
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
  append(row: number, value: string, recent: RecentStrings, entry: number): void {
    if (entry !== NO_ENTRY && recent.dictionaryIds[entry] === this.id) {
      this.indices[row] = recent.dictionaryIndices[entry];
      return;
    }
    let position = this.positions.get(value);
    if (position === undefined) {
      position = this.dictionary.length;
      this.positions.set(value, position);
      this.dictionary.push(value);
    }
    if (entry !== NO_ENTRY) {
      recent.dictionaryIds[entry] = this.id;
      recent.dictionaryIndices[entry] = position;
    }
    this.indices[row] = position;
  }
}

/**
 * Sales events as columns for the Delta writer (a ColumnBatch's columns), filled by decode() from
 * raw payloads on the fast path or by put() from reference-validated events. Either writes the slot
 * after the last kept row; keep() appends it. A slot not kept is simply overwritten by the next
 * decode/put, which is how the ingestor drops late events.
 */
export class SalesColumnsBuilder {
  /** Per string field, across batches; shared by the scanner (which fills it) and the dictionaries (which note their indexes in it). */
  private readonly recentStrings = SALES_EVENT_FIELDS.map((f, field) =>
    f.type === 'string'
      ? new RecentStrings((entry, key) => {
          this.entrySetAt[field]![entry] = ++this.entriesSet;
          this.canonicalScan.remember(field, entry, key);
        })
      : undefined,
  );
  /**
   * Per string field, when each RecentStrings entry was last set, counted in entries set: an
   * entry canonicalScan found a string in is stale once set again after that scan (by a row
   * decoded before the one it found it for).
   */
  private readonly entrySetAt = SALES_EVENT_FIELDS.map((f) => (f.type === 'string' ? new Float64Array(RecentStrings.SIZE) : undefined));
  private entriesSet = 0;
  private entriesSetBeforeScan = 0;
  /**
   * The producer's layout scanned in WebAssembly, for decodePacked(): it reads event times of the
   * JavaScript scanner's last second, and finds strings in copies of the recent strings' entries.
   */
  private readonly canonicalScan = new CanonicalScan({
    prefixes: CANONICAL_PREFIXES,
    readers: FIELD_READERS,
    maxima: INTEGER_MAXIMA,
    recentEntries: RecentStrings.SIZE,
  });
  private readonly scanner = new SalesPayloadScanner(this.recentStrings, (prefix, micros) => {
    this.canonicalScan.setSecondsPrefix(prefix, micros);
    // The rows scanned with the previous second keep their values, but decode() would now read
    // them with the new one: scanning them again keeps the scanner's state decode()'s.
    this.scannedTo = this.scannedFrom;
  });
  private readonly slot = new EventSlot();
  /** The payloads decodePacked() reads (see beginPacked). */
  private packedBytes: Buffer = Buffer.alloc(0);
  private packedStarts: Int32Array = new Int32Array(0);
  private packedLengths: Int32Array = new Int32Array(0);
  /** The rows canonicalScan took in its last scan, whose values it holds. */
  private scannedFrom = 0;
  private scannedTo = 0;
  /** Whether the slot holds an event keep() may append (a failed decode leaves it half written). */
  private slotFilled = false;
  private readonly initialCapacity: number;
  private capacity: number;
  private numRows = 0;
  private float64Columns: Float64Array[];
  private int32Columns: Int32Array[];
  private stringColumns: DictionaryColumnBuilder[];
  /** Epoch micros as safe-integer doubles, until an event time beyond 2^53 µs switches the batch to bigints. */
  private timestamps: Float64Array | BigInt64Array;

  constructor(initialCapacity = 1024) {
    this.initialCapacity = Math.max(1, Math.floor(initialCapacity));
    this.capacity = this.initialCapacity;
    this.startBatch();
  }

  /** Rows kept so far in this batch. */
  get length(): number {
    return this.numRows;
  }

  /**
   * Decodes a payload, bytes[start, end), into the slot after the last kept row, without keeping
   * it. Returns the event time in epoch microseconds, or undefined when the payload is not on the
   * fast path: then the caller runs parseSalesMessage and, if it accepts, put(). A range of a
   * larger buffer is read in place (the ingestor's payloads arrive packed in one).
   */
  decode(bytes: Uint8Array, start = 0, end = bytes.length): number | undefined {
    this.slotFilled = this.scanner.scan(bytes, start, end, this.slot);
    return this.slotFilled ? this.slot.micros : undefined;
  }

  /**
   * Starts decoding packed payloads with decodePacked(): row r's payload is bytes[starts[r],
   * starts[r] + lengths[r]). The arrays are read until the next beginPacked(), not copied.
   */
  beginPacked(bytes: Uint8Array, starts: Int32Array, lengths: Int32Array): void {
    this.packedBytes = asBuffer(bytes);
    this.packedStarts = starts;
    this.packedLengths = lengths;
    this.canonicalScan.begin(bytes, starts, lengths);
    this.scannedFrom = this.scannedTo = 0;
  }

  /**
   * decode() of packed row `row` (lengths[row] >= 0), with the same result. Rows in the
   * producer's layout are scanned in WebAssembly, many at a time; rows it refuses (another layout,
   * a new second, a number it cannot read exactly) and strings that fail their check go to the
   * JavaScript scanner, so what is accepted and its values stay decode()'s. Fastest in row order.
   */
  decodePacked(row: number): number | undefined {
    if (row < this.scannedFrom || row >= this.scannedTo) {
      this.scannedFrom = row;
      this.scannedTo = this.canonicalScan.scan(row);
      this.entriesSetBeforeScan = this.entriesSet;
    }
    if (row < this.scannedTo && this.fillScanned(row)) {
      this.slotFilled = true;
      return this.slot.micros;
    }
    const start = this.packedStarts[row];
    return this.decode(this.packedBytes, start, start + this.packedLengths[row]);
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

  /** The slot from canonicalScan's values for `row`; false when a new string fails its check. */
  private fillScanned(row: number): boolean {
    const { numbers, spans } = this.canonicalScan;
    const at = (row - this.canonicalScan.chunkStart) * FIELD_COUNT;
    const slot = this.slot;
    for (let k = 0; k < NUMBER_FIELDS.length; k++) {
      const field = NUMBER_FIELDS[k];
      const value = numbers[at + field];
      if (!numberPassesCheck(field, value)) return false;
      slot.numbers[field] = value;
    }
    slot.micros = numbers[at + TIMESTAMP_FIELD];
    slot.bigMicros = undefined;
    for (let k = 0; k < STRING_FIELDS.length; k++) {
      const field = STRING_FIELDS[k];
      const span = SPAN_INTS * (at + field);
      const entry = spans[span + 3];
      if (entry !== NO_ENTRY && this.entrySetAt[field]![entry] <= this.entriesSetBeforeScan) {
        // The entry holds these bytes (the scan compared them with its copy, and it was not set since): RecentStrings.find's hit.
        slot.texts[field] = this.recentStrings[field]!.values[entry];
        slot.entries[field] = entry;
      } else if (!this.scanner.readFoundString(this.packedBytes, field, spans[span], spans[span + 1], spans[span + 2], slot)) {
        return false;
      }
    }
    return true;
  }

  /** Keeps the slot last written by decode() or put(). */
  keep(): void {
    if (!this.slotFilled)
      throw new Error(
        'SalesColumnsBuilder.keep(): no event to keep (nothing decoded or put since the last keep, or decode() returned undefined)',
      );
    this.slotFilled = false;
    const row = this.numRows;
    if (row === this.capacity) this.grow();
    const { numbers, texts, entries } = this.slot;
    for (let k = 0; k < FLOAT64_FIELDS.length; k++) this.float64Columns[k][row] = numbers[FLOAT64_FIELDS[k]];
    for (let k = 0; k < INT32_FIELDS.length; k++) this.int32Columns[k][row] = numbers[INT32_FIELDS[k]];
    for (let k = 0; k < STRING_FIELDS.length; k++) {
      const field = STRING_FIELDS[k];
      this.stringColumns[k].append(row, texts[field], this.recentStrings[field]!, entries[field]);
    }
    this.keepTimestamp(row);
    this.numRows = row + 1;
  }

  /**
   * Hands over the kept rows as columns of the contract fields, by name, and starts an empty batch.
   * The returned arrays are never touched again (they are written to Parquet asynchronously); they
   * may be longer than numRows. A slot decoded or put but not kept yet is not part of this batch;
   * keep() still may append it to the next one.
   */
  finish(): { numRows: number; columns: Record<string, ColumnData> } {
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
