import { isUtf8 } from 'node:buffer';
import { SALES_EVENT_FIELDS, SEGMENT_SET } from '@app/schemas';
import { CHECK_NON_EMPTY, CHECK_SEGMENT, FIELD_CHECKS } from './field-layout';

export const NO_ENTRY = -1;
const BACKSLASH = 0x5c;

/**
 * The strings one field decoded lately, by their bytes. Sales repeat a limited set of client
 * names, products, categories, countries and segments, so most values are found here and cost
 * neither a string allocation nor the contract check; each entry also remembers its value's index
 * in the current batch's dictionary, so keeping a row need not look it up in the dictionary's Map.
 * Direct-mapped by a hash of the bytes; a collision replaces the entry. Equal bytes always decode
 * to the same string, so a hit is exact; only values that passed the field's check are remembered.
 */
export class RecentStrings {
  static readonly SIZE = 4096; // a power of two
  private readonly keys: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(RecentStrings.SIZE).fill(undefined);
  readonly values: string[] = new Array<string>(RecentStrings.SIZE).fill('');
  /** Per entry, the dictionary (by id; 0 = none) that has the value, and its index there. */
  readonly dictionaryIds = new Int32Array(RecentStrings.SIZE);
  readonly dictionaryIndices = new Int32Array(RecentStrings.SIZE);

  /** @param onRemember told each entry set, with its bytes. */
  constructor(private readonly onRemember?: (entry: number, key: Uint8Array) => void) {}

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
    this.onRemember?.(entry, key);
    return entry;
  }

  static entryOf(hash: number): number {
    return (hash ^ (hash >>> 15)) & (RecentStrings.SIZE - 1);
  }
}

/**
 * The string fields' values as one decoder reads them: each field's RecentStrings, and the check
 * of a value not among them. Each decoder has its own.
 */
export class FieldStrings {
  /** By field position in SALES_EVENT_FIELDS; undefined for the other fields. */
  readonly recent: ReadonlyArray<RecentStrings | undefined>;
  /** The value of the last string checked, and its entry in its field's RecentStrings. */
  text = '';
  entry = NO_ENTRY;

  /** @param onRemember told each entry set, with its field and bytes. */
  constructor(onRemember?: (field: number, entry: number, key: Uint8Array) => void) {
    this.recent = SALES_EVENT_FIELDS.map((f, field) =>
      f.type === 'string' ? new RecentStrings(onRemember && ((entry, key) => onRemember(field, entry, key))) : undefined,
    );
  }

  /**
   * The string between quotes bytes[start, close), FNV-1a hash `hash`, into `text` and `entry`:
   * one of the field's recent strings, or decoded and checked like validateSalesEvent. False when
   * the contract refuses it or it is not valid JSON and UTF-8 (the reference then decides).
   */
  check(bytes: Buffer, field: number, start: number, close: number, hash: number): boolean {
    const recent = this.recent[field]!;
    this.entry = recent.find(bytes, start, close, hash);
    if (this.entry !== NO_ENTRY) {
      this.text = recent.values[this.entry];
      return true;
    }
    const text = jsonStringValue(bytes, start, close);
    if (text === undefined) return false;
    switch (FIELD_CHECKS[field]) {
      case CHECK_NON_EMPTY:
        if (text.trim() === '') return false;
        break;
      case CHECK_SEGMENT:
        if (!SEGMENT_SET.has(text)) return false;
        break;
    }
    this.text = text;
    this.entry = recent.remember(bytes, start, close, hash, text);
    return true;
  }
}

/**
 * The value of the JSON string between quotes bytes[start, close), as JSON.parse of the whole
 * payload gives it, or undefined when it is not valid UTF-8 or has a bad escape. Buffer's UTF-8
 * decoder like parseSalesMessage (not TextDecoder, which drops a leading BOM): a quote is ASCII, so
 * cutting the payload at quotes decodes the same. Escapes (Python's json.dumps writes every
 * non-ASCII character as one) go through JSON.parse of the string alone, which reads them as
 * JSON.parse of the payload does.
 */
function jsonStringValue(bytes: Buffer, start: number, close: number): string | undefined {
  const raw = bytes.subarray(start, close);
  if (!isUtf8(raw)) return undefined;
  const text = raw.toString('utf8');
  if (raw.indexOf(BACKSLASH) < 0) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return undefined; // a bad escape: the reference quarantines the payload as malformed_json, naming it
  }
}
