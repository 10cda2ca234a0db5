import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { DeletionVectorDescriptor, deletionVectorUniqueId } from '../protocol/actions';
import { ObjectStore } from '../storage/object-store';
import { storeForUri } from '../storage/store-for-uri';
import { DeletionVectorCorruptError } from '../errors';
import { decodeRoaringBitmapArray } from './deletion-vectors-roaring';

/**
 * Deletion vectors (PROTOCOL.md "Deletion Vectors"): the rows of a data file that a DELETE,
 * UPDATE or MERGE marked as gone without rewriting the file, as the file's row indexes.
 */

/** Z85 (ZeroMQ RFC 32), the base-85 variant Delta uses in JSON: 5 characters per 4 bytes, big-endian. */
const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_VALUES = new Map([...Z85_ALPHABET].map((c, i) => [c, i]));

export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new DeletionVectorCorruptError(`z85 text of ${text.length} characters is not a multiple of 5`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = Z85_VALUES.get(text[i + j]);
      if (digit === undefined) throw new DeletionVectorCorruptError(`"${text[i + j]}" is not a z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new DeletionVectorCorruptError(`z85 group "${text.slice(i, i + 5)}" overflows 32 bits`);
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** `u`: `<random prefix>/deletion_vector_<uuid>.bin` relative to the table root, the UUID being the last 20 z85 characters. */
export function relativeDeletionVectorPath(dv: DeletionVectorDescriptor): string {
  const encoded = dv.pathOrInlineDv;
  if (encoded.length < 20) throw new DeletionVectorCorruptError(`deletion vector path "${encoded}" is shorter than a z85 UUID`);
  const prefix = encoded.slice(0, encoded.length - 20);
  const hex = z85Decode(encoded.slice(-20)).toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

/** DV files hold one or more vectors after a version byte; the `version` of the format described by PROTOCOL.md. */
const DV_FILE_FORMAT_VERSION = 1;

/**
 * Reads DV files once per scan: several vectors, of different data files, usually share one.
 * Keyed by the file's location.
 */
export class DeletionVectorReader {
  private readonly files = new Map<string, Promise<Buffer>>();

  constructor(private readonly store: ObjectStore) {}

  /** The deleted row indexes of one data file, ascending. */
  async rowIndexes(dv: DeletionVectorDescriptor): Promise<number[]> {
    if (dv.cardinality === 0) return [];
    const bytes = dv.storageType === 'i' ? z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes) : await this.storedBitmap(dv);
    const rows = decodeRoaringBitmapArray(bytes);
    if (rows.length !== dv.cardinality) {
      throw new DeletionVectorCorruptError(`deletion vector ${deletionVectorUniqueId(dv)} holds ${rows.length} rows, its descriptor says ${dv.cardinality}`);
    }
    return rows;
  }

  /** `<dataSize: u32 BE><bitmap><CRC-32 of bitmap: u32 BE>` at the descriptor's offset. */
  private async storedBitmap(dv: DeletionVectorDescriptor): Promise<Buffer> {
    if (dv.storageType !== 'u' && dv.storageType !== 'p') throw new DeletionVectorCorruptError(`unknown deletion vector storage type "${String(dv.storageType)}"`);
    const location = dv.storageType === 'u' ? relativeDeletionVectorPath(dv) : dv.pathOrInlineDv;
    const file = await this.file(dv.storageType, location);
    if (file[0] !== DV_FILE_FORMAT_VERSION) throw new DeletionVectorCorruptError(`deletion vector file ${location} has format version ${file[0]}, expected 1`);
    const offset = dv.offset ?? 0;
    if (offset + 8 + dv.sizeInBytes > file.length) throw new DeletionVectorCorruptError(`deletion vector file ${location} ends before offset ${offset} + ${dv.sizeInBytes} bytes`);
    const size = file.readUInt32BE(offset);
    if (size !== dv.sizeInBytes) throw new DeletionVectorCorruptError(`deletion vector in ${location} at ${offset} has ${size} bytes, its descriptor says ${dv.sizeInBytes}`);
    const bitmap = file.subarray(offset + 4, offset + 4 + size);
    if (crc32(bitmap) !== file.readUInt32BE(offset + 4 + size)) throw new DeletionVectorCorruptError(`deletion vector in ${location} at ${offset} fails its CRC-32 check`);
    return bitmap;
  }

  private file(storageType: 'u' | 'p', location: string): Promise<Buffer> {
    let file = this.files.get(location);
    if (!file) {
      file = storageType === 'u' ? this.store.get(location) : readAbsolute(location);
      this.files.set(location, file);
    }
    return file;
  }
}

/**
 * A `p` vector's file, a URI in the format of `add.path` (percent-encoded) that may lie outside the
 * table: it is read through a store of its own folder.
 */
function readAbsolute(uri: string): Promise<Buffer> {
  const slash = uri.lastIndexOf('/');
  const name = decodeURIComponent(uri.slice(slash + 1));
  const folder = uri.startsWith('file:') ? path.dirname(fileURLToPath(uri)) : uri.slice(0, slash);
  return storeForUri(folder).get(name);
}

/**
 * A relation of the deleted row indexes, for an anti-join on DuckDB's `file_row_number`. One
 * string literal split in SQL parses much faster than a list literal of as many constants.
 */
export function deletedRowsSql(rows: readonly number[]): string {
  if (rows.length === 0) return '(SELECT CAST(NULL AS BIGINT) AS file_row_number WHERE false)';
  return `(SELECT CAST(unnest(string_split('${rows.join(',')}', ',')) AS BIGINT) AS file_row_number)`;
}
