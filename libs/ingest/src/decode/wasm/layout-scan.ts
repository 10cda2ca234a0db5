import { LAYOUT_SCAN_WASM_BASE64 } from './layout-scan.wasm';

// The part of the WebAssembly global used here: the libs this project compiles against (ES2022,
// @types/node 20) do not declare it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const { Module, Instance } = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { readonly exports: object };
    };
  }
).WebAssembly;

/** What layout-scan.c exports (see its comments). */
interface LayoutScanExports {
  memory: WasmMemory;
  __heap_base: { readonly value: number };
  init(count: number, prefixBytes: number, lengths: number, readers: number, maxima: number, recentEntries: number): number;
  maxRecentBytes(): number;
  maxSecondsPrefix(): number;
  setSecondsPrefix(prefix: number, length: number, micros: number): void;
  remember(field: number, entry: number, bytes: number, length: number): void;
  scan(bytes: number, bias: number, starts: number, lengths: number, from: number, count: number, numbers: number, spans: number): number;
}

/** A payload layout, value by value in the order they are written, as the scan is told it. */
export interface ScanLayout {
  /** What precedes each value (`{"vente_id":`, `,"client_id":`...), then what follows the last one (`}`). */
  around: readonly Uint8Array[];
  /** How each value is read: the READ_* codes of field-layout.ts, which layout-scan.c shares. */
  readers: Uint8Array;
  /** Each integer value's largest value (a safe integer); 0 for the others. */
  maxima: readonly number[];
  /** The number of entries of RecentStrings, whose entries the scan finds strings in (see remember). */
  recentEntries: number;
}

/**
 * Rows copied into the module's memory and scanned at a time, with the bytes their payloads span
 * (at most a fetch's: 1 MiB per partition in the ingestor). The memory grows to the largest chunk
 * and stays so: WebAssembly memory never shrinks.
 */
const CHUNK_ROWS = 4096;
const PAGE_BYTES = 65_536;
/** Per number slot in `spans`: a string's start, end, hash and RecentStrings entry. */
export const SPAN_INTS = 4;

let compiled: object | undefined;

/**
 * The WebAssembly half of the wasm decoder: scans a run of packed payloads in one layout
 * (layout-scan.c) and leaves, per row it takes, the numbers and the strings' spans, hashes and
 * RecentStrings entries, by value position, for the decoder to read. One instance per decoder
 * and layout: its seconds prefix and its copy of the recent strings are that decoder's.
 */
export class LayoutScan {
  private readonly exports: LayoutScanExports;
  private readonly fieldCount: number;
  /** Where a seconds prefix or a remembered string is passed, after the layout (which must stay in place). */
  private readonly passedAt: number;
  /** The longest string the module keeps a copy of (see remember), and the longest seconds prefix it takes. */
  private readonly maxRecentBytes: number;
  private readonly maxSecondsPrefix: number;
  private readonly numbersAt: number;
  private readonly spansAt: number;
  private readonly startsAt: number;
  private readonly lengthsAt: number;
  private readonly bytesAt: number;
  private bytes: Uint8Array = new Uint8Array(0);
  private starts: Int32Array = new Int32Array(0);
  private lengths: Int32Array = new Int32Array(0);
  /** The rows [chunkFrom, chunkTo) in the module's memory, their payloads from byte `bias` on. */
  private chunkFrom = 0;
  private chunkTo = 0;
  private bias = 0;
  private numbersView = new Float64Array(0);
  private spansView = new Int32Array(0);

  constructor(layout: ScanLayout) {
    compiled ??= new Module(Buffer.from(LAYOUT_SCAN_WASM_BASE64, 'base64'));
    this.exports = new Instance(compiled, {}).exports as LayoutScanExports;
    this.maxRecentBytes = this.exports.maxRecentBytes();
    this.maxSecondsPrefix = this.exports.maxSecondsPrefix();
    const count = layout.readers.length;
    if (layout.around.length !== count + 1) throw new Error(`LayoutScan: ${layout.around.length} byte runs around ${count} values`);
    this.fieldCount = count;
    const prefixBytes = layout.around.reduce((sum, prefix) => sum + prefix.length, 0);
    let at = align8(this.exports.__heap_base.value);
    const prefixesAt = at;
    const prefixLengthsAt = (at = align8(at + prefixBytes));
    const readersAt = (at = align8(at + 4 * (count + 1)));
    const maximaAt = (at = align8(at + count));
    this.passedAt = at = align8(at + 8 * count);
    this.numbersAt = at = align8(at + Math.max(this.maxSecondsPrefix, this.maxRecentBytes));
    this.spansAt = at += 8 * CHUNK_ROWS * count;
    this.startsAt = at += 4 * SPAN_INTS * CHUNK_ROWS * count;
    this.lengthsAt = at += 4 * CHUNK_ROWS;
    this.bytesAt = at + 4 * CHUNK_ROWS;
    this.reserve(this.bytesAt);
    const memory = this.exports.memory.buffer;
    let prefixAt = prefixesAt;
    for (const prefix of layout.around) {
      new Uint8Array(memory, prefixAt, prefix.length).set(prefix);
      prefixAt += prefix.length;
    }
    new Int32Array(memory, prefixLengthsAt, count + 1).set(layout.around.map((prefix) => prefix.length));
    new Uint8Array(memory, readersAt, count).set(layout.readers);
    new Float64Array(memory, maximaAt, count).set(layout.maxima);
    if (!this.exports.init(count, prefixesAt, prefixLengthsAt, readersAt, maximaAt, layout.recentEntries))
      throw new Error(`LayoutScan: layout-scan.c cannot hold ${count} fields, or RecentStrings of ${layout.recentEntries} entries`);
    this.views();
  }

  /** An event time's seconds prefix ('2026-11-26T19:40:20') and its epoch microseconds: event times of that second are read here. */
  setSecondsPrefix(prefix: Uint8Array, micros: number): void {
    if (prefix.length > this.maxSecondsPrefix) throw new Error(`LayoutScan: a seconds prefix of ${prefix.length} bytes`);
    new Uint8Array(this.exports.memory.buffer, this.passedAt, prefix.length).set(prefix);
    this.exports.setSecondsPrefix(this.passedAt, prefix.length, micros);
  }

  /** The RecentStrings of the string value at position `field` now holds `key` in `entry`. */
  remember(field: number, entry: number, key: Uint8Array): void {
    // A longer key is not passed: the scan forgets the entry, and the JavaScript compares that string.
    if (key.length <= this.maxRecentBytes) new Uint8Array(this.exports.memory.buffer, this.passedAt, key.length).set(key);
    this.exports.remember(field, entry, this.passedAt, key.length);
  }

  /** Packed payloads to scan: row r is bytes[starts[r], starts[r] + lengths[r]), or null when lengths[r] < 0. */
  begin(bytes: Uint8Array, starts: Int32Array, lengths: Int32Array): void {
    this.bytes = bytes;
    this.starts = starts;
    this.lengths = lengths;
    this.chunkFrom = this.chunkTo = 0;
  }

  /**
   * Scans from `row` on, within its chunk, until a row it refuses. Returns the end of the rows
   * taken: a refused row, the chunk's end or the last row. A taken row's values are in `numbers`
   * at slot (row - chunkStart) * field count + field, and in `spans` at SPAN_INTS times that,
   * until the next call.
   */
  scan(row: number): number {
    if (row < this.chunkFrom || row >= this.chunkTo) this.load(row);
    const count = this.chunkTo - this.chunkFrom;
    return (
      this.chunkFrom +
      this.exports.scan(this.bytesAt, this.bias, this.startsAt, this.lengthsAt, row - this.chunkFrom, count, this.numbersAt, this.spansAt)
    );
  }

  /** The first row of the chunk `numbers` and `spans` are about. */
  get chunkStart(): number {
    return this.chunkFrom;
  }

  /** By row of the chunk times the field count, plus the field: the numbers of the rows scanned. */
  get numbers(): Float64Array {
    return this.numbersView;
  }

  /**
   * SPAN_INTS per number slot: a string's start and end in the payload bytes, its FNV-1a hash,
   * and the entry of the field's RecentStrings that holds the same bytes, or -1.
   */
  get spans(): Int32Array {
    return this.spansView;
  }

  /** Copies the chunk that starts at `row` into the module's memory. */
  private load(row: number): void {
    const to = Math.min(row + CHUNK_ROWS, this.lengths.length);
    let low = Infinity;
    let high = 0;
    for (let r = row; r < to; r++) {
      if (this.lengths[r] < 0) continue;
      low = Math.min(low, this.starts[r]);
      high = Math.max(high, this.starts[r] + this.lengths[r]);
    }
    this.bias = low === Infinity ? 0 : low;
    const size = Math.max(0, high - this.bias);
    if (this.reserve(this.bytesAt + size)) this.views();
    const memory = this.exports.memory.buffer;
    new Uint8Array(memory, this.bytesAt, size).set(this.bytes.subarray(this.bias, this.bias + size));
    new Int32Array(memory, this.startsAt, to - row).set(this.starts.subarray(row, to));
    new Int32Array(memory, this.lengthsAt, to - row).set(this.lengths.subarray(row, to));
    this.chunkFrom = row;
    this.chunkTo = to;
  }

  /** Grows the memory to hold `bytes`; true when it grew (which detaches the views). */
  private reserve(bytes: number): boolean {
    const memory = this.exports.memory;
    if (bytes <= memory.buffer.byteLength) return false;
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    return true;
  }

  private views(): void {
    const memory = this.exports.memory.buffer;
    this.numbersView = new Float64Array(memory, this.numbersAt, CHUNK_ROWS * this.fieldCount);
    this.spansView = new Int32Array(memory, this.spansAt, SPAN_INTS * CHUNK_ROWS * this.fieldCount);
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
