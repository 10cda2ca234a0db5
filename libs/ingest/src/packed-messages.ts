import type { SourceMessage } from './offsets';

/**
 * One partition's messages, in offset order, as flat arrays that can be transferred to the
 * classify worker without copying: payload bytes, where each message's payload starts in them
 * and its length (-1 for a null value), and each message's offset. kafkajs' message objects stay
 * on the main thread.
 */
export interface PackedMessages {
  /** The payloads in order; between two of them may lie bytes that belong to neither (see packMessages). */
  payloads: Uint8Array;
  starts: Int32Array;
  lengths: Int32Array;
  offsets: Float64Array;
  /** The sum of the payloads' lengths. */
  valueBytes: number;
}

/**
 * Bytes between two values in one source buffer that are copied along rather than starting a
 * new block: a Kafka record's framing and key, with room for long keys.
 */
const MAX_GAP_BYTES = 256;

/**
 * Packs the messages. Values that a client decoded in place (SourceMessage#sourceBuffer) and that
 * follow each other in one buffer are copied as one block, the record framing between them
 * included: one copy per fetch instead of one per message, and no Buffer view made per message.
 */
export function packMessages(messages: readonly SourceMessage[]): PackedMessages {
  const n = messages.length;
  const starts = new Int32Array(n);
  const lengths = new Int32Array(n);
  const offsets = new Float64Array(n);
  // Blocks to copy, in order: a source and its bytes [from, to).
  const blockSources: Uint8Array[] = [];
  const blockBounds: number[] = [];
  let size = 0;
  let valueBytes = 0;
  let source: Uint8Array | undefined;
  let from = 0;
  let to = 0;
  const closeBlock = () => {
    if (source === undefined) return;
    blockSources.push(source);
    blockBounds.push(from, to);
    size += to - from;
    source = undefined;
  };
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    offsets[i] = Number(m.offset);
    let buffer: Uint8Array | null;
    let start: number;
    let length: number;
    if (m.sourceBuffer !== undefined) {
      buffer = m.sourceBuffer;
      start = m.valueStart!;
      length = m.valueLength!;
    } else {
      buffer = m.value;
      start = 0;
      length = buffer === null ? -1 : buffer.length;
    }
    lengths[i] = length;
    if (length < 0) continue;
    valueBytes += length;
    if (buffer !== source || start < to || start - to > MAX_GAP_BYTES) {
      closeBlock();
      source = buffer!;
      from = start;
    }
    // The open block will be copied to `size`, after the closed ones.
    starts[i] = size + (start - from);
    to = start + length;
  }
  closeBlock();
  const payloads = new Uint8Array(size);
  let at = 0;
  for (let b = 0; b < blockSources.length; b++) {
    const blockFrom = blockBounds[2 * b];
    const blockTo = blockBounds[2 * b + 1];
    payloads.set(blockSources[b].subarray(blockFrom, blockTo), at);
    at += blockTo - blockFrom;
  }
  return { payloads, starts, lengths, offsets, valueBytes };
}

/** The buffers to list as transferred when posting `packed`. */
export function transferablesOf(packed: PackedMessages): ArrayBuffer[] {
  return [packed.payloads.buffer as ArrayBuffer, packed.starts.buffer as ArrayBuffer, packed.lengths.buffer as ArrayBuffer, packed.offsets.buffer as ArrayBuffer];
}
