import type { SalesEvent } from '@app/schemas';
import { PackedPayloadDecoder } from './payload-decoder';
import { SalesPayloadScanner } from './payload-scanner';
import { FieldStrings } from './recent-strings';

/** The JavaScript fast path (SalesPayloadScanner), and the reference for what it leaves. */
export class JsDecoder extends PackedPayloadDecoder {
  readonly kind = 'js';
  private readonly scanner = new SalesPayloadScanner(new FieldStrings());

  decode(row: number): number | undefined {
    const length = this.lengths[row];
    if (length >= 0) {
      const start = this.starts[row];
      const micros = this.scanPayload(this.bytes, start, start + length);
      if (micros !== undefined) return micros;
    }
    return this.decodeByReference(row);
  }

  /**
   * The fast path alone on one payload, bytes[start, end) (read in place): its event time, with
   * the event in the slot as decode() leaves it, or undefined when the fast path leaves it to the
   * reference (then put() may write the reference's event).
   */
  scanPayload(bytes: Uint8Array, start = 0, end = bytes.length): number | undefined {
    const filled = this.scanner.scan(bytes, start, end, this.columns.slot);
    this.columns.slotFilled = filled;
    return filled ? this.columns.slot.micros : undefined;
  }

  /** Writes a reference-validated event into the slot, without keeping it (see SalesColumnsBuilder.put). */
  put(event: SalesEvent, eventTimeMicros: bigint): void {
    this.columns.put(event, eventTimeMicros);
  }
}
