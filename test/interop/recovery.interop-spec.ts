/**
 * Recovery read back by delta-rs: a table RESTOREd by libs/delta reads as the version it went
 * back to, a deep clone reads as the source version it copied (on disk and on S3), and a table
 * delta-rs wrote (deletes, compaction, checkpoint) is restored and cloned the same way.
 */
import * as path from 'node:path';
import { deepClone, DeltaTable, restore } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../libs/delta/test/fixtures';
import { startS3 } from '../../libs/delta/test/s3/s3-server';
import { readTable, sortedRows, writeTable } from './delta-rs';

async function ourTable(): Promise<string> {
  const dir = tempDir('recovery-');
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: { 'delta.checkpointInterval': '3' } });
  await table.append({ rows: salesRows(20, 1, '2024-12-12') });
  await table.append({ rows: salesRows(20, 101, '2024-12-13') });
  await table.overwrite({ rows: salesRows(10, 201, '2024-12-12') }, { partitions: 'dynamic' });
  await table.append({ rows: salesRows(5, 301, '2024-12-14') });
  await table.optimize();
  return dir;
}

describe('recovery, read back by delta-rs', () => {
  it('a table RESTOREd by libs/delta reads as the version it went back to', async () => {
    const dir = await ourTable();
    const table = await DeltaTable.open(dir);
    const expected = readTable(dir, { version: 2 });
    const { version } = await restore(table.log, table.snapshot, { version: 2 });

    const read = readTable(dir, { history: true });
    expect(read.version).toBe(version);
    expect(read.rows).toEqual(expected.rows);
    expect(read.numRows).toBe(40);
    const entry = read.history!.find((h) => h.version === version)!;
    expect(entry.operation).toBe('RESTORE');
    expect(entry.operationParameters).toMatchObject({ version: '2' });
    expect(entry.operationMetrics).toMatchObject({ numRestoredFiles: expect.anything(), numRemovedFiles: expect.anything(), tableSizeAfterRestore: expect.anything() });
    // And our reader agrees with delta-rs.
    expect(sortedRows(await table.readRows())).toEqual(sortedRows(expected.rows!));
  });

  it('a deep clone reads as the source version it copied', async () => {
    const dir = await ourTable();
    const target = path.join(tempDir('recovery-clone-'), 'backup');
    await deepClone(dir, target, { version: 3 });
    const clone = readTable(target, { history: true });
    expect(clone.version).toBe(0);
    expect(clone.rows).toEqual(readTable(dir, { version: 3 }).rows);
    expect(clone.metadata.partitionColumns).toEqual(['jour']);
    expect(clone.history!.map((h) => [h.operation, h.operationParameters?.sourceVersion])).toEqual([['CLONE', '3']]);
  });

  it('a deep clone to S3 reads, from S3, as the source version it copied', async () => {
    const s3 = await startS3();
    const dir = await ourTable();
    const target = s3.root('recovery-clone');
    await deepClone(dir, target, { version: 4 });
    const clone = readTable(target);
    expect(clone.version).toBe(0);
    expect(clone.rows).toEqual(readTable(dir, { version: 4 }).rows);
  });

  it('restores and clones a table delta-rs wrote (deletes, compaction, checkpoint)', async () => {
    const dir = path.join(tempDir('recovery-rs-'), 'sales');
    const written = writeTable(dir, 'dictionary_checkpoint', { noRows: true });
    expect(written.version).toBe(5);
    const v1 = readTable(dir, { version: 1 });

    // A clone taken first: it must not change when the source is restored.
    const target = path.join(tempDir('recovery-rs-clone-'), 'backup');
    await deepClone(dir, target);
    const latest = readTable(dir);
    expect(readTable(target).rows).toEqual(latest.rows);

    const table = await DeltaTable.open(dir);
    await restore(table.log, table.snapshot, { version: 1 });
    const restored = readTable(dir);
    expect(restored.version).toBe(6);
    expect(restored.rows).toEqual(v1.rows);
    expect(sortedRows(await (await DeltaTable.open(dir)).readRows())).toEqual(sortedRows(v1.rows!));
    // Versions before the RESTORE still read as they were.
    expect(readTable(dir, { version: 5 }).rows).toEqual(latest.rows);
    expect(readTable(target).rows).toEqual(latest.rows);
  });
});
