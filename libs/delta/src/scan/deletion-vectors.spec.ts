import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  AddAction,
  commitPath,
  DeletionVectorCorruptError,
  DeletionVectorDescriptor,
  DeletionVectorReader,
  DeltaTable,
  relativeDeletionVectorPath,
  serializeActions,
  UnsupportedProtocolError,
  z85Decode,
} from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { ids, range } from '../../test/helpers';
import { commitDeletionVectors, dvFile, roaring32, roaringBitmapArray, u16, u32, z85Encode } from '../../test/deletion-vectors';
import { decodeRoaringBitmapArray, PORTABLE_ROARING_MAGIC } from './deletion-vectors-roaring';

describe('deletion vectors: format', () => {
  // PROTOCOL.md's own inline example predates the portable format: this is the same set as the
  // delta-kernel-rs tests have it, serialized portably.
  it('decodes the inline vector of the delta-kernel-rs tests', () => {
    const bytes = z85Decode('^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L').subarray(0, 44);
    expect(decodeRoaringBitmapArray(bytes)).toEqual([3, 4, 7, 11, 18, 29]);
  });

  it('derives the file of a relative vector from its z85 UUID and random prefix, as in PROTOCOL.md', () => {
    const dv: DeletionVectorDescriptor = { storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 4, sizeInBytes: 40, cardinality: 6 };
    expect(relativeDeletionVectorPath(dv)).toBe('ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin');
  });

  it('decodes array, bitmap and run containers, and buckets above 2^32', () => {
    const evens = range(0, 4999).map((i) => 2 * i);
    const bitmap = Buffer.alloc(8192);
    for (const v of evens) bitmap[v >> 3] |= 1 << (v & 7);
    // Three containers with a run among them: the run-flag byte, and no offset header (fewer than 4).
    const withRuns = Buffer.concat([u32(12347 | (2 << 16)), Buffer.from([0b100]), u16(0, 2, 1, evens.length - 1, 2, 9), u16(3, 4, 7), bitmap, u16(1, 10, 9)]);
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(2n);
    const bytes = Buffer.concat([u32(PORTABLE_ROARING_MAGIC), count, u32(0), withRuns, u32(1), roaring32([5])]);
    expect(decodeRoaringBitmapArray(bytes)).toEqual([
      3,
      4,
      7,
      ...evens.map((v) => 65536 + v),
      ...range(10, 19).map((v) => 2 * 65536 + v),
      2 ** 32 + 5,
    ]);
  });

  it('refuses a wrong magic number or a truncated vector with a typed error', () => {
    const good = roaringBitmapArray([1, 2, 3]);
    expect(() => decodeRoaringBitmapArray(Buffer.concat([u32(1681511376), good.subarray(4)]))).toThrow(DeletionVectorCorruptError);
    expect(() => decodeRoaringBitmapArray(good.subarray(0, good.length - 1))).toThrow(/truncated/);
  });
});

const UUID_Z85 = 'ab^-aqEH.-t@S}K{vb[*k^';

describe('deletion vectors: reading a table', () => {
  /** Three files of 100 rows (ids 1-100, 101-200, 201-300), then a commit giving each a vector, stored three ways. */
  async function tableWithVectors(): Promise<{ dir: string; table: DeltaTable; deleted: number[] }> {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    for (const start of [1, 101, 201]) await table.append({ rows: salesRows(100, start, '2024-12-12') });
    const files = table.snapshot.files().sort((a, b) => JSON.parse(a.stats!).minValues.vente_id - JSON.parse(b.stats!).minValues.vente_id);
    // Row indexes in file order: our writer keeps the rows in the order given.
    const inline = [0, 5, 99];
    const stored = range(10, 59);
    const absolute = [42];
    const file = dvFile([roaringBitmapArray([7]), roaringBitmapArray(stored), roaringBitmapArray(absolute)]);
    await fs.mkdir(path.join(dir, 'ab'));
    await fs.writeFile(path.join(dir, relativeDeletionVectorPath({ storageType: 'u', pathOrInlineDv: UUID_Z85, sizeInBytes: 0, cardinality: 0 })), file.bytes);
    const outside = path.join(tempDir(), 'deletion_vector_0000.bin');
    await fs.writeFile(outside, file.bytes);
    const inlineBytes = roaringBitmapArray(inline);
    const vectors: DeletionVectorDescriptor[] = [
      { storageType: 'i', pathOrInlineDv: z85Encode(inlineBytes), sizeInBytes: inlineBytes.length, cardinality: 3 },
      { storageType: 'u', pathOrInlineDv: UUID_Z85, offset: file.offsets[1], sizeInBytes: roaringBitmapArray(stored).length, cardinality: 50 },
      { storageType: 'p', pathOrInlineDv: `file://${outside}`, offset: file.offsets[2], sizeInBytes: roaringBitmapArray(absolute).length, cardinality: 1 },
    ];
    const withVectors: AddAction[] = files.map((f, i) => ({ ...f, deletionVector: vectors[i], dataChange: true }));
    await table.store.putIfAbsent(
      commitPath(table.version + 1),
      serializeActions([
        { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } },
        ...withVectors.flatMap((add) => [{ add }, { remove: { path: add.path, deletionTimestamp: Date.now(), dataChange: true } }]),
      ]),
    );
    const deleted = [...inline.map((i) => 1 + i), ...stored.map((i) => 101 + i), ...absolute.map((i) => 201 + i)];
    return { dir, table: await DeltaTable.open(dir), deleted };
  }

  it('leaves out the rows of inline, relative and absolute vectors, and counts without them', async () => {
    const { table, deleted } = await tableWithVectors();
    const expected = range(1, 300).filter((id) => !deleted.includes(id));
    expect(ids(await table.readRows()).sort((a, b) => a - b)).toEqual(expected);
    expect(table.snapshot.numRecords()).toBe(300 - 54);
    // Filters and vectors together.
    expect(ids(await table.readRows([{ column: 'vente_id', op: '<=', value: 110 }])).sort((a, b) => a - b)).toEqual(expected.filter((id) => id <= 110));
  });

  it('reads every row of a file whose vector is empty', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(10, 1) });
    await table.append({ rows: salesRows(10, 11) });
    const [first, second] = table.snapshot.files();
    await commitDeletionVectors(table, new Map([[first.path, []], [second.path, [0]]]));
    const reopened = await DeltaTable.open(dir);
    expect(reopened.snapshot.files().map((f) => f.deletionVector?.cardinality).sort()).toEqual([0, 1]);
    expect((await reopened.readRows()).length).toBe(19);
    expect(reopened.snapshot.numRecords()).toBe(19);
  });

  it('refuses writes, naming deletion vectors', async () => {
    const { table } = await tableWithVectors();
    await expect(table.append({ rows: salesRows(1, 1000) })).rejects.toThrow(UnsupportedProtocolError);
    await expect(table.append({ rows: salesRows(1, 1000) })).rejects.toThrow(/deletion vectors \(deletionVectors\).*does not write/);
    await expect(table.checkpoint()).rejects.toThrow(UnsupportedProtocolError);
    await expect(table.vacuum({ dryRun: true })).rejects.toThrow(UnsupportedProtocolError);
  });

  it('refuses a vector whose checksum does not match, with a typed error', async () => {
    const { dir, table } = await tableWithVectors();
    const dv = table.snapshot.files().find((f) => f.deletionVector?.storageType === 'u')!.deletionVector!;
    const dvPath = path.join(dir, relativeDeletionVectorPath(dv));
    const bytes = await fs.readFile(dvPath);
    bytes[dv.offset! + 4 + dv.sizeInBytes - 1] ^= 0xff;
    await fs.writeFile(dvPath, bytes);
    await expect(table.readRows()).rejects.toThrow(DeletionVectorCorruptError);
    await expect(new DeletionVectorReader(table.store).rowIndexes(dv)).rejects.toThrow(/CRC-32/);
  });
});
