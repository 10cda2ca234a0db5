import { isUtf8 } from 'node:buffer';
import { isoToSafeMicros } from '@app/delta/core';
import type { EventSlot } from './columns-builder';
import {
  ALL_FIELDS_SEEN,
  asBuffer,
  EXACT_POWERS_OF_TEN,
  FAIL,
  FIELD_COUNT,
  FIELD_NAME_BYTES,
  FIELD_READERS,
  INTEGER_MAXIMA,
  numberPassesCheck,
  PayloadLayout,
  PRODUCER_LAYOUT,
  READ_DOUBLE,
  READ_INT32,
  READ_LONG,
  READ_TIMESTAMP,
  SECONDS_PREFIX_LENGTH,
  utcTailMicros,
} from './field-layout';
import { FieldStrings } from './recent-strings';

/**
 * The JavaScript fast path: a sales event decoded from the raw payload bytes straight into an
 * EventSlot, without JSON.parse, validateSalesEvent or a row object per message.
 *
 * The scanner accepts only a plain, common subset of JSON and returns "not on the fast path" for
 * anything else. The caller then runs the reference path (parseSalesMessage), which decides and
 * gives the quarantine reason. The rule the scanner keeps: whenever it accepts a payload,
 * parseSalesMessage accepts it too, with exactly the same values (doubles bit for bit, strings,
 * event time). decoders.spec.ts checks that differentially against the reference on mutated
 * payloads. Left to the reference, valid or not:
 * - any backslash escape in a key or an event time; a contract key given twice;
 * - integers other than `[1-9][0-9]*` in range (so 0, negatives, `1.0`, `1e3`); montant with a
 *   sign or an exponent (so `-0`); numbers JSON does not allow;
 * - objects or arrays as values (also of unknown fields); anything but an object at the top;
 * - event times beyond 2^53 µs of 1970 (before ~1685, after ~2255): put() keeps those as bigints;
 * - whatever else the contract refuses (missing field, blank string, unknown segment, bad time,
 *   an amount or quantity out of bounds, invalid UTF-8).
 *
 * Producers write every payload in the same layout (PayloadLayout): our producer, Python's
 * json.dumps (", " and ": "), JSON.stringify, Jackson (fields in declared order). The scanner
 * reads the layout it last learned with one comparison per key and its punctuation; a payload in
 * another layout is read by the general scan, and when it holds exactly the contract's fields,
 * its layout is learned for the next ones.
 */

const UNKNOWN_FIELD = -1;
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
const LITERALS: readonly Uint8Array[] = ['true', 'false', 'null'].map((s) => new TextEncoder().encode(s));

/**
 * Byte-level scanner of one payload into an EventSlot. Methods take the position to read from and
 * return the position after what they read, or FAIL; values land in `number` / `text` / `hash` /
 * `field` first. Hot loops copy `bytes` and `end` to locals.
 */
export class SalesPayloadScanner {
  private bytes: Buffer = Buffer.alloc(0);
  private end = 0;
  private number = 0;
  /** FNV-1a hash of the bytes of the last string skipped, and whether it held an escape. */
  private hash = 0;
  private escaped = false;
  /** The contract field named by the last key read, or UNKNOWN_FIELD. */
  private field = 0;
  /** The seconds prefix of the last UTC event time parsed whole, and its value in epoch microseconds (see readTimestamp). */
  readonly secondsPrefix = new Uint8Array(SECONDS_PREFIX_LENGTH);
  prefixMicros: number | undefined = undefined;
  /** Counts the seconds prefixes and layouts learned, so that a reader can tell when they change. */
  secondsVersion = 0;
  layoutVersion = 0;
  /** The layout of the last payload scanAny read that held exactly the contract's fields. */
  layout: PayloadLayout = PRODUCER_LAYOUT;
  /** Where scanAny found each value, by its position in the payload, and which field it was. */
  private readonly valueStarts = new Int32Array(FIELD_COUNT);
  private readonly valueEnds = new Int32Array(FIELD_COUNT);
  private readonly valueFields = new Uint8Array(FIELD_COUNT);

  /** @param strings this scanner's recent strings and string checks. */
  constructor(private readonly strings: FieldStrings) {}

  /** True when the payload bytes[start, end) are on the fast path; then `slot` holds all of its fields. */
  scan(bytes: Uint8Array, start: number, end: number, slot: EventSlot): boolean {
    this.bytes = asBuffer(bytes);
    this.end = end;
    return this.scanLayout(start, slot) || this.scanAny(start, slot);
  }

  /**
   * The layout last learned only: each key and its punctuation in one comparison. What it
   * accepts, scanAny accepts with the same values (the layout came from a payload scanAny read
   * whole, and the values are read the same way); anything else is left to scanAny, from the start.
   */
  private scanLayout(start: number, slot: EventSlot): boolean {
    const { order, around } = this.layout;
    let i = start;
    for (let k = 0; k < FIELD_COUNT; k++) {
      const prefix = around[k];
      if (i + prefix.length > this.end || !this.bytesEqual(i, prefix)) return false;
      i = this.readField(order[k], i + prefix.length, slot);
      if (i === FAIL) return false;
    }
    const suffix = around[FIELD_COUNT];
    return i + suffix.length === this.end && this.bytesEqual(i, suffix);
  }

  /** Learns the layout of the payload scanAny just read: the bytes around its values, which were the contract's fields only. */
  private learnLayout(start: number): void {
    const around: Uint8Array[] = [];
    let from = start;
    for (let k = 0; k < FIELD_COUNT; k++) {
      around.push(new Uint8Array(this.bytes.subarray(from, this.valueStarts[k])));
      from = this.valueEnds[k];
    }
    around.push(new Uint8Array(this.bytes.subarray(from, this.end)));
    this.layout = { order: this.valueFields.slice(), around };
    this.layoutVersion++;
  }

  /** Any layout: whitespace, key order and unknown fields with scalar values. */
  private scanAny(start: number, slot: EventSlot): boolean {
    const b = this.bytes;
    const end = this.end;
    let i = this.skipWhitespace(start);
    if (i >= end || b[i] !== OPEN_BRACE) return false;
    let seen = 0;
    let values = 0;
    let unknownFields = false;
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
        unknownFields = true;
        i = this.skipScalar(i);
      } else {
        // JSON.parse keeps the last of duplicate keys; rather than replicate that, leave it to the reference.
        if (seen & (1 << field)) return false;
        seen |= 1 << field;
        nextInContractOrder = field + 1;
        this.valueStarts[values] = i;
        this.valueFields[values] = field;
        i = this.readField(field, i, slot);
        this.valueEnds[values++] = i;
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
    if (seen !== ALL_FIELDS_SEEN || this.skipWhitespace(i + 1) !== end) return false;
    if (!unknownFields) this.learnLayout(start);
    return true;
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
    // An escaped key may name a contract field once decoded: left to the reference.
    if (close === FAIL || this.escaped) return FAIL;
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
        slot.texts[field] = this.strings.text;
        slot.entries[field] = this.strings.entry;
        slot.recent[field] = this.strings.recent[field];
        return i;
    }
    if (i === FAIL || !numberPassesCheck(field, this.number)) return FAIL;
    slot.numbers[field] = this.number;
    return i;
  }

  /** A string field's value, from its opening quote, into the FieldStrings' `text` and `entry` (see FieldStrings.check). */
  private readCheckedString(field: number, i: number): number {
    if (i >= this.end || this.bytes[i] !== QUOTE) return FAIL;
    const start = i + 1;
    const close = this.skipString(start);
    if (close === FAIL || !this.strings.check(this.bytes, field, start, close, this.hash)) return FAIL;
    return close + 1;
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
    if (close === FAIL || this.escaped) return FAIL;
    const tailStart = start + SECONDS_PREFIX_LENGTH;
    if (this.prefixMicros !== undefined && tailStart <= close && this.bytesEqual(start, this.secondsPrefix)) {
      const tail = utcTailMicros(this.bytes, tailStart, close);
      if (tail !== FAIL && Number.isSafeInteger(this.prefixMicros + tail)) {
        this.number = this.prefixMicros + tail;
        return close + 1;
      }
    }
    const micros = isoToSafeMicros(this.utf8(start, close));
    if (micros === undefined) return FAIL;
    const tail = tailStart <= close ? utcTailMicros(this.bytes, tailStart, close) : FAIL;
    if (tail !== FAIL) {
      this.secondsPrefix.set(this.bytes.subarray(start, tailStart));
      this.prefixMicros = micros - tail;
      this.secondsVersion++;
    }
    this.number = micros;
    return close + 1;
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
   * RecentStrings) and noting an escape in `escaped` (its validity is FieldStrings.check's); FAIL
   * on a control character (invalid JSON).
   */
  private skipString(i: number): number {
    const b = this.bytes;
    const end = this.end;
    const start = i;
    let hash = 0x811c9dc5; // FNV-1a
    let bits = 0;
    let escaped = false;
    for (; i < end; i++) {
      let c = b[i];
      if (c === QUOTE) {
        // Non-ASCII bytes must form valid UTF-8: the reference quarantines the payload otherwise.
        if (bits >= 0x80 && !isUtf8(b.subarray(start, i))) return FAIL;
        this.hash = hash;
        this.escaped = escaped;
        return i;
      }
      if (c < SPACE) return FAIL;
      if (c === BACKSLASH) {
        // The escaped byte (a quote among them) does not end the string.
        escaped = true;
        hash = Math.imul(hash ^ c, 0x01000193);
        if (++i === end) return FAIL;
        c = b[i];
        if (c < SPACE) return FAIL;
      }
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
      // Escapes are checked only in the contract's strings (FieldStrings.check): here, left to the reference.
      return close === FAIL || this.escaped ? FAIL : close + 1;
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
