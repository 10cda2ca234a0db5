import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DataFileMissingError, deepClone, DeltaTable, LocalObjectStore, TableExistsError, VersionNotAvailableError } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { actionsOf, commitInfoOf, commitVersions, dataFiles, ids, range, readLog } from '../../test/helpers';

/** v1: ids 1-5 on 12-12 with an offset txn; v2: ids 11-15 on 12-13; v3: 12-12 overwritten by ids 21-25. */
async function source(): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tempDir('clone-src-');
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: { 'delta.checkpointInterval': '2' } });
  await table.append({ rows: salesRows(5, 1, '2024-12-12') }, { txns: [{ appId: 'ingest-0', version: 41 }] });
  await table.append({ rows: salesRows(5, 11, '2024-12-13') }, { txns: [{ appId: 'ingest-0', version: 42 }] });
  await table.overwrite({ rows: salesRows(5, 21, '2024-12-12') }, { partitions: 'dynamic' });
  return { dir, table };
}

describe('deep clone', () => {
  it('copies the files live at a version into a new table whose version 0 holds protocol, metadata and relative adds', async () => {
    const { dir, table } = await source();
    const target = path.join(tempDir('clone-dst-'), 'backup');
    const result = await deepClone(dir, target, { version: 2 });
    const v2 = await DeltaTable.open(dir, { version: 2 });
    expect(result.sourceVersion).toBe(2);

    expect(await commitVersions(target)).toEqual([0]);
    const actions = await readLog(target, 0);
    const info = commitInfoOf(actions);
    const size = String(v2.snapshot.files().reduce((n, f) => n + f.size, 0));
    expect(info).toMatchObject({
      operation: 'CLONE',
      operationParameters: { source: dir, sourceVersion: '2', isShallow: 'false' },
      operationMetrics: { sourceTableSize: size, sourceNumOfFiles: '2', numCopiedFiles: '2', copiedFilesSize: size, numRemovedFiles: '0', removedFilesSize: '0' },
    });
    expect(actionsOf(actions, 'protocol')).toEqual([table.snapshot.protocol]);
    const [meta] = actionsOf(actions, 'metaData');
    // Another table: its own id; the same schema, partitioning and properties.
    expect(meta.id).not.toBe(table.snapshot.metadata.id);
    expect({ ...meta, id: '', createdTime: 0 }).toEqual({ ...v2.snapshot.metadata, id: '', createdTime: 0 });
    const adds = actionsOf(actions, 'add');
    expect(adds.map((a) => ({ ...a, dataChange: true }))).toEqual(v2.snapshot.files().map((f) => ({ ...f, dataChange: true })));
    for (const a of adds) expect(a.path).not.toMatch(/^\/|:/);
    // Delta's CLONE does not carry application transactions.
    expect(actionsOf(actions, 'txn')).toEqual([]);

    // Only the live files were copied, byte for byte.
    expect(await dataFiles(target)).toEqual(adds.map((a) => decodeURIComponent(a.path)).sort());
    for (const a of adds) {
      const rel = decodeURIComponent(a.path);
      expect(await fs.readFile(path.join(target, rel))).toEqual(await fs.readFile(path.join(dir, rel)));
    }
    const clone = await DeltaTable.open(target);
    expect(ids(await clone.readRows())).toEqual([...range(1, 5), ...range(11, 15)]);
    expect(clone.txnVersion('ingest-0')).toBeUndefined();

    // The source is untouched, and the clone lives on its own.
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([...range(11, 15), ...range(21, 25)]);
    await clone.append({ rows: salesRows(2, 100, '2024-12-14') });
    expect((await DeltaTable.open(dir)).version).toBe(3);
  });

  it('clones the latest version by default, and keeps the offsets when asked (a backup to restore in place)', async () => {
    const { dir } = await source();
    const target = path.join(tempDir('clone-dst-'), 'backup');
    const result = await deepClone(dir, target, { withAppTransactions: true });
    expect(result.sourceVersion).toBe(3);
    const clone = await DeltaTable.open(target);
    expect(ids(await clone.readRows())).toEqual([...range(11, 15), ...range(21, 25)]);
    expect(clone.txnVersion('ingest-0')).toBe(42);
  });

  it('refuses a target that already holds a table, a version not in the log, and one whose files were vacuumed, leaving no table behind', async () => {
    const { dir, table } = await source();
    const target = tempDir('clone-dst-');
    await deepClone(dir, target);
    await expect(deepClone(dir, target)).rejects.toThrow(TableExistsError);
    await expect(deepClone(dir, path.join(target, 'other'), { version: 9 })).rejects.toThrow(VersionNotAvailableError);

    await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    const other = path.join(tempDir('clone-dst-'), 'backup');
    await expect(deepClone(dir, other, { version: 1, targetStore: new LocalObjectStore(other) })).rejects.toThrow(DataFileMissingError);
    expect(existsSync(path.join(other, '_delta_log'))).toBe(false);
  });
});
