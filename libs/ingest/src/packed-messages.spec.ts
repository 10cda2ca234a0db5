import { SourceMessage } from './offsets';
import { packMessages, PackedMessages } from './packed-messages';

/** A message decoded in place: its value lies at `start` in `source` (length -1: null). */
function inPlace(offset: number, source: Buffer, start: number, length: number): SourceMessage {
  return {
    offset: String(offset),
    timestamp: '0',
    sourceBuffer: source,
    valueStart: start,
    valueLength: length,
    get value() {
      return length < 0 ? null : source.subarray(start, start + length);
    },
  };
}

function copied(offset: number, value: string | null): SourceMessage {
  return { offset: String(offset), value: value === null ? null : Buffer.from(value), timestamp: '0' };
}

function unpacked({ payloads, starts, lengths }: PackedMessages): Array<string | null> {
  return Array.from(lengths, (length, i) => (length < 0 ? null : Buffer.from(payloads.subarray(starts[i], starts[i] + length)).toString()));
}

describe('packMessages', () => {
  it('gives back every value, null or not, whether decoded in place or copied', () => {
    // Two "fetch buffers": values separated by framing bytes, one gap past MAX_GAP_BYTES, one value out of order.
    const first = Buffer.from(`..aa...bbb..${'#'.repeat(300)}cccc..dd.`);
    const second = Buffer.from('xx-e-ff');
    const messages = [
      inPlace(10, first, 2, 2),
      inPlace(11, first, 7, 3),
      inPlace(12, first, 0, -1),
      inPlace(13, first, 312, 4),
      copied(14, 'gg'),
      inPlace(15, first, 318, 2),
      inPlace(16, first, 2, 2), // before the previous value: a new block
      inPlace(17, second, 3, 1),
      inPlace(18, second, 5, 2),
      copied(19, null),
      copied(20, ''),
    ];
    const packed = packMessages(messages);
    expect(unpacked(packed)).toEqual(messages.map((m) => m.value?.toString() ?? null));
    expect(Array.from(packed.offsets)).toEqual(messages.map((m) => Number(m.offset)));
    expect(packed.valueBytes).toBe(2 + 3 + 4 + 2 + 2 + 2 + 1 + 2);
    // Framing between neighbours is copied along (`...`, `-`); the 300-byte gap and the bytes of another buffer are not.
    expect(packed.payloads.length).toBe('aa...bbb'.length + 'cccc'.length + 'gg'.length + 'dd'.length + 'aa'.length + 'e-ff'.length);
  });

  it('reads no value of a message decoded in place', () => {
    const source = Buffer.from('{"a":1}{"b":2}');
    const trap = (offset: number, start: number): SourceMessage => ({
      offset: String(offset),
      timestamp: '0',
      sourceBuffer: source,
      valueStart: start,
      valueLength: 7,
      get value(): Buffer {
        throw new Error('value read');
      },
    });
    expect(unpacked(packMessages([trap(0, 0), trap(1, 7)]))).toEqual(['{"a":1}', '{"b":2}']);
  });
});
