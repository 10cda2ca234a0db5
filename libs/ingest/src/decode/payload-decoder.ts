import { parseSalesMessage } from '@app/schemas';
import { SalesColumnsBuilder, DecodedColumns } from './columns-builder';

/** The decoders, by the name PAYLOAD_DECODER gives them. */
export const PAYLOAD_DECODERS = ['wasm', 'js', 'reference'] as const;
export type PayloadDecoderKind = (typeof PAYLOAD_DECODERS)[number];
/** The fastest: the WebAssembly scan, then the JavaScript one, then the reference (bench:decode). */
export const DEFAULT_PAYLOAD_DECODER: PayloadDecoderKind = 'wasm';

/** Why a payload cannot land in bronze, as the reference says it: the quarantine reason and message. */
export interface DecodeRejection {
  reason: 'malformed_json' | 'schema_violation';
  message: string;
}

/**
 * Turns one fetch's packed payloads into bronze columns: every implementation accepts exactly what
 * the reference (parseSalesMessage) accepts, with the same values, and refuses the rest with the
 * reference's reason (decoders.spec.ts runs them all against it). They differ only in speed.
 */
export interface PayloadDecoder {
  readonly kind: PayloadDecoderKind;
  /** Rows kept so far in this batch. */
  readonly length: number;
  /** Why the last decode() returned undefined. */
  readonly rejection: DecodeRejection;
  /**
   * Packed payloads to decode: row r is bytes[starts[r], starts[r] + lengths[r]), a null value
   * when lengths[r] < 0. The arrays are read until the next begin(), not copied.
   */
  begin(bytes: Buffer, starts: Int32Array, lengths: Int32Array): void;
  /**
   * Decodes row `row` into the event after the last kept one, without keeping it: returns its event
   * time in epoch microseconds, or undefined when it cannot land in bronze (see `rejection`).
   * Fastest in row order.
   */
  decode(row: number): number | undefined;
  /** Keeps the event last decoded. */
  keep(): void;
  /** Hands over the kept rows as the contract's columns and starts an empty batch (see SalesColumnsBuilder.finish). */
  finish(): DecodedColumns;
}

/**
 * What the decoders share: the columns, the packed payloads and the reference path, which each
 * takes for what its fast path leaves.
 */
export abstract class PackedPayloadDecoder implements PayloadDecoder {
  abstract readonly kind: PayloadDecoderKind;
  rejection: DecodeRejection = { reason: 'malformed_json', message: 'nothing decoded yet' };
  protected readonly columns: SalesColumnsBuilder;
  protected bytes: Buffer = Buffer.alloc(0);
  protected starts: Int32Array = new Int32Array(0);
  protected lengths: Int32Array = new Int32Array(0);

  constructor(initialCapacity = 1024) {
    this.columns = new SalesColumnsBuilder(initialCapacity);
  }

  get length(): number {
    return this.columns.length;
  }

  begin(bytes: Buffer, starts: Int32Array, lengths: Int32Array): void {
    this.bytes = bytes;
    this.starts = starts;
    this.lengths = lengths;
  }

  abstract decode(row: number): number | undefined;

  keep(): void {
    this.columns.keep();
  }

  finish(): DecodedColumns {
    return this.columns.finish();
  }

  /** The reference path: parseSalesMessage of the row, then its event into the slot. */
  protected decodeByReference(row: number): number | undefined {
    this.columns.slotFilled = false;
    const length = this.lengths[row];
    const start = this.starts[row];
    const parsed = parseSalesMessage(length < 0 ? null : this.bytes.subarray(start, start + length));
    if (!parsed.ok) {
      this.rejection = { reason: parsed.reason, message: parsed.message };
      return undefined;
    }
    this.columns.put(parsed.event, parsed.eventTimeMicros);
    return Number(parsed.eventTimeMicros);
  }
}

/** The plain path alone: JSON.parse and the contract's validator for every payload. */
export class ReferenceDecoder extends PackedPayloadDecoder {
  readonly kind = 'reference';

  decode(row: number): number | undefined {
    return this.decodeByReference(row);
  }
}
