import {
  FIELD_COUNT,
  FIELD_READERS,
  INTEGER_MAXIMA,
  numberPassesCheck,
  PayloadLayout,
  PRODUCER_LAYOUT,
  READ_STRING,
  READ_TIMESTAMP,
  sameLayout,
} from './field-layout';
import { PackedPayloadDecoder } from './payload-decoder';
import { SalesPayloadScanner } from './payload-scanner';
import { FieldStrings, NO_ENTRY, RecentStrings } from './recent-strings';
import { LayoutScan, SPAN_INTS } from './wasm/layout-scan';

/**
 * The WebAssembly scan (wasm/layout-scan.c) of a fetch's payloads, many rows at a time, in the
 * layout this decoder last learned; then, for a row it refuses (another layout, a new second, a
 * number it cannot read exactly), this decoder's own JavaScript scanner; then the reference.
 *
 * Its state is its own: the scan is told the layout and the event times' second that its
 * JavaScript scanner learned, read from it after a row the scan refused, and the strings the scan
 * finds are this decoder's recent strings, whose entries are copied into the scan as they are set.
 */
export class WasmDecoder extends PackedPayloadDecoder {
  readonly kind = 'wasm';
  /** For the rows the scan refuses, with its own recent strings. */
  private readonly scanner = new SalesPayloadScanner(new FieldStrings());
  private scan!: LayoutScan;
  /** The strings the scan finds, and their check when they are not recent ones. */
  private strings!: FieldStrings;
  /** The scan's layout, by value position: the field of each, and the positions of each kind of field. */
  private layout!: PayloadLayout;
  private numberPositions: number[] = [];
  private stringPositions: number[] = [];
  private timestampPosition = 0;
  /** The scanner's seconds prefix and layout the scan was last told (by their versions). */
  private secondsVersion = 0;
  private layoutVersion = 0;
  /** Whether the scan took a new layout since begin(): at most once a fetch, so that a topic of mixed layouts does not make one scan per row. */
  private layoutChanged = false;
  /**
   * Per string field, when each RecentStrings entry was last set, counted in entries set: an
   * entry the scan found a string in is stale once set again after that scan (by a row decoded
   * before the one it found it for).
   */
  private entrySetAt: Float64Array[] = [];
  private entriesSet = 0;
  private entriesSetBeforeScan = 0;
  /** The rows the scan took in its last call, whose values it holds. */
  private scannedFrom = 0;
  private scannedTo = 0;

  constructor(initialCapacity = 1024) {
    super(initialCapacity);
    this.useLayout(PRODUCER_LAYOUT);
  }

  override begin(bytes: Buffer, starts: Int32Array, lengths: Int32Array): void {
    super.begin(bytes, starts, lengths);
    this.scan.begin(bytes, starts, lengths);
    this.scannedFrom = this.scannedTo = 0;
    this.layoutChanged = false;
  }

  decode(row: number): number | undefined {
    const length = this.lengths[row];
    if (length >= 0) {
      if (row < this.scannedFrom || row >= this.scannedTo) {
        this.scannedFrom = row;
        this.scannedTo = this.scan.scan(row);
        this.entriesSetBeforeScan = this.entriesSet;
      }
      const slot = this.columns.slot;
      if ((row < this.scannedTo && this.fillScanned(row)) || this.scanByJavaScript(row)) {
        this.columns.slotFilled = true;
        return slot.micros;
      }
    }
    return this.decodeByReference(row);
  }

  /** The JavaScript scanner on a row the scan refused; then the scan learns the second and layout it learned. */
  private scanByJavaScript(row: number): boolean {
    const start = this.starts[row];
    if (!this.scanner.scan(this.bytes, start, start + this.lengths[row], this.columns.slot)) return false;
    const { scanner } = this;
    if (scanner.layoutVersion !== this.layoutVersion && !this.layoutChanged) {
      this.layoutVersion = scanner.layoutVersion;
      if (!sameLayout(scanner.layout, this.layout)) {
        this.layoutChanged = true;
        this.useLayout(scanner.layout);
      }
    }
    if (scanner.secondsVersion !== this.secondsVersion && scanner.prefixMicros !== undefined) {
      this.secondsVersion = scanner.secondsVersion;
      this.scan.setSecondsPrefix(scanner.secondsPrefix, scanner.prefixMicros);
    }
    return true;
  }

  /** A new scan for `layout`, with fresh recent strings (the scan keeps copies of theirs). */
  private useLayout(layout: PayloadLayout): void {
    const positionOf = new Int32Array(FIELD_COUNT);
    layout.order.forEach((field, position) => (positionOf[field] = position));
    this.layout = layout;
    this.numberPositions = [];
    this.stringPositions = [];
    layout.order.forEach((field, position) => {
      if (FIELD_READERS[field] === READ_STRING) this.stringPositions.push(position);
      else if (FIELD_READERS[field] === READ_TIMESTAMP) this.timestampPosition = position;
      else this.numberPositions.push(position);
    });
    this.entrySetAt = Array.from({ length: FIELD_COUNT }, () => new Float64Array(RecentStrings.SIZE));
    this.strings = new FieldStrings((field, entry, key) => {
      this.entrySetAt[field][entry] = ++this.entriesSet;
      this.scan.remember(positionOf[field], entry, key);
    });
    this.scan = new LayoutScan({
      around: layout.around,
      readers: Uint8Array.from(layout.order, (field) => FIELD_READERS[field]),
      maxima: Array.from(layout.order, (field) => INTEGER_MAXIMA[field]),
      recentEntries: RecentStrings.SIZE,
    });
    if (this.scanner.prefixMicros !== undefined) this.scan.setSecondsPrefix(this.scanner.secondsPrefix, this.scanner.prefixMicros);
    this.scan.begin(this.bytes, this.starts, this.lengths);
    this.scannedFrom = this.scannedTo = 0;
  }

  /** The slot from the scan's values for `row`; false when a number or a new string fails its check. */
  private fillScanned(row: number): boolean {
    const { numbers, spans } = this.scan;
    const order = this.layout.order;
    const at = (row - this.scan.chunkStart) * FIELD_COUNT;
    const slot = this.columns.slot;
    for (let k = 0; k < this.numberPositions.length; k++) {
      const position = this.numberPositions[k];
      const field = order[position];
      const value = numbers[at + position];
      if (!numberPassesCheck(field, value)) return false;
      slot.numbers[field] = value;
    }
    slot.micros = numbers[at + this.timestampPosition];
    slot.bigMicros = undefined;
    const strings = this.strings;
    for (let k = 0; k < this.stringPositions.length; k++) {
      const position = this.stringPositions[k];
      const field = order[position];
      const span = SPAN_INTS * (at + position);
      const entry = spans[span + 3];
      const recent = strings.recent[field]!;
      slot.recent[field] = recent;
      if (entry !== NO_ENTRY && this.entrySetAt[field][entry] <= this.entriesSetBeforeScan) {
        // The entry holds these bytes (the scan compared them with its copy, and it was not set since): RecentStrings.find's hit.
        slot.texts[field] = recent.values[entry];
        slot.entries[field] = entry;
      } else if (strings.check(this.bytes, field, spans[span], spans[span + 1], spans[span + 2])) {
        slot.texts[field] = strings.text;
        slot.entries[field] = strings.entry;
      } else {
        return false;
      }
    }
    return true;
  }
}
