/**
 * Writes deletion vectors the way Spark does, for tests and benchmarks: this library only reads
 * them. No run containers (the decoder's are tested on hand-made bytes and on Spark's).
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { commitPath } from '../src/log/log-files';
import { serializeActions } from '../src/protocol/actions';
import { DeltaTable } from '../src/table';
import { PORTABLE_ROARING_MAGIC } from '../src/scan/deletion-vectors-roaring';
import { relativeDeletionVectorPath } from '../src/scan/deletion-vectors';

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

/**
 * One 32-bit Roaring bitmap without run containers: an array container for each 65,536-value
 * block with at most 4,096 values, a bitmap container for the others.
 */
export function roaring32(values: number[]): Buffer {
  const byKey = new Map<number, number[]>();
  for (const v of values) {
    const key = Math.floor(v / 65536);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(v % 65536);
  }
  const keys = [...byKey.keys()];
  const containers = keys.map((k) => {
    const low = byKey.get(k)!;
    if (low.length <= 4096) return u16(...low);
    const bitmap = Buffer.alloc(8192);
    for (const v of low) bitmap[v >> 3] |= 1 << (v & 7);
    return bitmap;
  });
  const header = [u32(12346, keys.length), ...keys.map((k) => u16(k, byKey.get(k)!.length - 1))];
  let offset = 8 + 8 * keys.length;
  const offsets = containers.map((c) => {
    const at = offset;
    offset += c.length;
    return u32(at);
  });
  return Buffer.concat([...header, ...offsets, ...containers]);
}

/** Delta's serialized form: magic, then the portable 64-bit format with one bucket per high half. */
export function roaringBitmapArray(values: number[]): Buffer {
  const buckets = new Map<number, number[]>();
  for (const v of values) {
    const key = Math.floor(v / 2 ** 32);
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key)!.push(v % 2 ** 32);
  }
  const count: Buffer = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(buckets.size));
  return Buffer.concat([u32(PORTABLE_ROARING_MAGIC), count, ...[...buckets].flatMap(([key, low]) => [u32(key), roaring32(low)])]);
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


/**
 * Commits, as Spark's DELETE does with deletion vectors on, a vector for each given file: one DV
 * file for them all, named from a random UUID, and the protocol upgraded to the feature. Goes
 * round libs/delta's commit, which refuses such tables.
 */
export async function commitDeletionVectors(table: DeltaTable, deletedRows: ReadonlyMap<string, number[]>): Promise<void> {
  const uuid = randomBytes(16);
  const dvPathZ85 = z85Encode(uuid);
  const adds = table.snapshot.files().filter((f) => deletedRows.has(f.path));
  const vectors = adds.map((f) => roaringBitmapArray([...deletedRows.get(f.path)!].sort((a, b) => a - b)));
  const file = dvFile(vectors);
  const descriptor = { storageType: 'u' as const, pathOrInlineDv: dvPathZ85, sizeInBytes: 0, cardinality: 0 };
  await table.store.put(relativeDeletionVectorPath(descriptor), file.bytes);
  const now = Date.now();
  await table.store.putIfAbsent(
    commitPath(table.version + 1),
    serializeActions([
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } },
      ...adds.flatMap((f, i) => [
        { remove: { path: f.path, deletionTimestamp: now, dataChange: true } },
        {
          add: {
            ...f,
            dataChange: true,
            deletionVector: { ...descriptor, offset: file.offsets[i], sizeInBytes: vectors[i].length, cardinality: new Set(deletedRows.get(f.path)).size },
          },
        },
      ]),
    ]),
  );
}
