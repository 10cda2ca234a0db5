import type { SourceMessage } from './offsets';

/**
 * One partition's messages, in offset order, as three flat arrays that can be transferred to
 * the classify worker without copying: payloads back to back, each one's length (-1 for a null
 * value), and each one's offset. kafkajs' message objects stay on the main thread.
 */
export interface PackedMessages {
  payloads: Uint8Array;
  lengths: Int32Array;
  offsets: Float64Array;
}

export function packMessages(messages: readonly SourceMessage[]): PackedMessages {
  let bytes = 0;
  for (const m of messages) bytes += m.value?.length ?? 0;
  const payloads = new Uint8Array(bytes);
  const lengths = new Int32Array(messages.length);
  const offsets = new Float64Array(messages.length);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const { value, offset } = messages[i];
    offsets[i] = Number(offset);
    if (value === null) {
      lengths[i] = -1;
      continue;
    }
    payloads.set(value, at);
    lengths[i] = value.length;
    at += value.length;
  }
  return { payloads, lengths, offsets };
}

/** The buffers to list as transferred when posting `packed`. */
export function transferablesOf(packed: PackedMessages): ArrayBuffer[] {
  return [packed.payloads.buffer as ArrayBuffer, packed.lengths.buffer as ArrayBuffer, packed.offsets.buffer as ArrayBuffer];
}
