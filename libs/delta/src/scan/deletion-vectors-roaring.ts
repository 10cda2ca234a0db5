import { DeletionVectorCorruptError } from '../errors';

/**
 * Decodes Delta's `RoaringBitmapArray` (PROTOCOL.md "Deletion Vector Format"): a little-endian
 * magic number, then a 64-bit Roaring bitmap in the portable serialization of the
 * RoaringFormatSpec ("Extension for 64-bit implementations"): a count of buckets, each a 32-bit
 * key (the high half of its values) followed by a standard 32-bit Roaring bitmap. Returns the
 * row indexes in ascending order. Only reading is needed here, so the format is read directly
 * rather than through a native Roaring library.
 */
export const PORTABLE_ROARING_MAGIC = 1681511377;

/** RoaringFormatSpec cookies: with run containers (low 16 bits), without. */
const SERIAL_COOKIE = 12347;
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
/** Below this many containers a bitmap with run containers has no offset header. */
const NO_OFFSET_THRESHOLD = 4;
/** An array container holds at most this many values; more use a 8 KiB bitmap. */
const ARRAY_MAX = 4096;
const BITMAP_BYTES = 8192;

export function decodeRoaringBitmapArray(bytes: Buffer): number[] {
  const r = new Reader(bytes);
  const magic = r.u32();
  if (magic !== PORTABLE_ROARING_MAGIC) {
    throw new DeletionVectorCorruptError(`deletion vector has magic number ${magic}, expected ${PORTABLE_ROARING_MAGIC} (portable RoaringBitmapArray)`);
  }
  const buckets = r.u64();
  const out: number[] = [];
  let previousKey = -1;
  for (let b = 0; b < buckets; b++) {
    const key = r.u32();
    // Delta requires the keys' top bit clear (Java reads them signed); row indexes stay below 2^53.
    if (key <= previousKey || key >= 2 ** 21) throw new DeletionVectorCorruptError(`deletion vector bucket key ${key} is out of order or range`);
    previousKey = key;
    readRoaring32(r, key * 2 ** 32, out);
  }
  return out;
}

/** One standard 32-bit Roaring bitmap at the reader's position, its values plus `high` appended to `out`. */
function readRoaring32(r: Reader, high: number, out: number[]): void {
  const cookie = r.u32();
  let containers: number;
  let runFlags: Buffer | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    containers = (cookie >>> 16) + 1;
    runFlags = r.bytes(Math.ceil(containers / 8));
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    containers = r.u32();
  } else {
    throw new DeletionVectorCorruptError(`deletion vector holds a Roaring bitmap with unknown cookie ${cookie}`);
  }
  const keys: number[] = [];
  const cardinalities: number[] = [];
  for (let i = 0; i < containers; i++) {
    keys.push(r.u16());
    cardinalities.push(r.u16() + 1);
  }
  if (!runFlags || containers >= NO_OFFSET_THRESHOLD) r.skip(4 * containers);
  for (let i = 0; i < containers; i++) {
    const base = high + keys[i] * 65536;
    if (runFlags && (runFlags[i >> 3] >> (i & 7)) & 1) {
      const runs = r.u16();
      for (let j = 0; j < runs; j++) {
        const start = r.u16();
        const length = r.u16();
        for (let v = start; v <= start + length; v++) out.push(base + v);
      }
    } else if (cardinalities[i] <= ARRAY_MAX) {
      for (let j = 0; j < cardinalities[i]; j++) out.push(base + r.u16());
    } else {
      const words = r.bytes(BITMAP_BYTES);
      for (let byte = 0; byte < BITMAP_BYTES; byte++) {
        let bits = words[byte];
        while (bits) {
          const bit = 31 - Math.clz32(bits & -bits);
          out.push(base + byte * 8 + bit);
          bits &= bits - 1;
        }
      }
    }
  }
}

/** Little-endian reads with a clear error, rather than a RangeError, on a truncated vector. */
class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private take(n: number): number {
    if (this.pos + n > this.buf.length) {
      throw new DeletionVectorCorruptError(`deletion vector is truncated: needs ${this.pos + n} bytes, has ${this.buf.length}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u16(): number {
    return this.buf.readUInt16LE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }

  u64(): number {
    const value = this.buf.readBigUInt64LE(this.take(8));
    if (value > BigInt(2 ** 31)) throw new DeletionVectorCorruptError(`deletion vector claims ${value} buckets`);
    return Number(value);
  }

  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  skip(n: number): void {
    this.take(n);
  }
}
