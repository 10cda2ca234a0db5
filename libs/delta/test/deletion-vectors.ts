/**
 * Writes deletion vectors the way Spark does, for tests: this library only reads them. Array
 * containers only (the decoder's other containers are tested on hand-made bytes and on Spark's).
 */
import { crc32 } from 'node:zlib';
import { PORTABLE_ROARING_MAGIC } from '../src/scan/deletion-vectors-roaring';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** The inverse of z85Decode, padding to 4 bytes as Delta's Base85Codec does. */
export function z85Encode(bytes: Buffer): string {
  const padded = Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let value = padded.readUInt32BE(i);
    const group: string[] = [];
    for (let j = 0; j < 5; j++) {
      group.unshift(Z85[value % 85]);
      value = Math.floor(value / 85);
    }
    out += group.join('');
  }
  return out;
}

export const u16 = (...values: number[]) => Buffer.from(new Uint16Array(values).buffer);
export const u32 = (...values: number[]) => Buffer.from(new Uint32Array(values).buffer);

/** One 32-bit Roaring bitmap with an array container for each group of values below 4,096 of them, no runs. */
export function roaring32ArraysOnly(values: number[]): Buffer {
  const byKey = new Map<number, number[]>();
  for (const v of values) byKey.set(Math.floor(v / 65536), [...(byKey.get(Math.floor(v / 65536)) ?? []), v % 65536]);
  const keys = [...byKey.keys()];
  const header = [u32(12346, keys.length), ...keys.map((k) => u16(k, byKey.get(k)!.length - 1))];
  let offset = 8 + 4 * keys.length + 4 * keys.length;
  const offsets = keys.map((k) => {
    const at = offset;
    offset += 2 * byKey.get(k)!.length;
    return u32(at);
  });
  return Buffer.concat([...header, ...offsets, ...keys.map((k) => u16(...byKey.get(k)!))]);
}

/** Delta's serialized form: magic, then the portable 64-bit format with one bucket per high half. */
export function roaringBitmapArray(values: number[]): Buffer {
  const buckets = new Map<number, number[]>();
  for (const v of values) buckets.set(Math.floor(v / 2 ** 32), [...(buckets.get(Math.floor(v / 2 ** 32)) ?? []), v % 2 ** 32]);
  const count: Buffer = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(buckets.size));
  return Buffer.concat([u32(PORTABLE_ROARING_MAGIC), count, ...[...buckets].flatMap(([key, low]) => [u32(key), roaring32ArraysOnly(low)])]);
}

/** A DV file as Spark writes it: a version byte, then for each vector its size, bytes and CRC-32, big-endian. */
export function dvFile(vectors: Buffer[]): { bytes: Buffer; offsets: number[] } {
  const parts: Buffer[] = [Buffer.from([1])];
  const offsets: number[] = [];
  let at = 1;
  for (const v of vectors) {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(v.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(v));
    parts.push(size, v, crc);
    offsets.push(at);
    at += 8 + v.length;
  }
  return { bytes: Buffer.concat(parts), offsets };
}

