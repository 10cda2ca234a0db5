import { JsDecoder } from './js-decoder';
import { PayloadDecoder, PayloadDecoderKind, ReferenceDecoder } from './payload-decoder';
import { WasmDecoder } from './wasm-decoder';

/**
 * The decoder PAYLOAD_DECODER names, each with its own state (after kafka-delta-ingest's
 * MessageDeserializerFactory).
 */
export function createPayloadDecoder(kind: PayloadDecoderKind, initialCapacity?: number): PayloadDecoder {
  switch (kind) {
    case 'wasm':
      return new WasmDecoder(initialCapacity);
    case 'js':
      return new JsDecoder(initialCapacity);
    case 'reference':
      return new ReferenceDecoder(initialCapacity);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown payload decoder ${String(unknown)}`);
    }
  }
}
