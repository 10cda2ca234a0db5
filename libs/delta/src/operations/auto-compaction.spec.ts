import { DeltaTable, ObjectStore, storeForUri, tableConfig } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { actionsOf, commitInfoOf, ids, range, readLog } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

const AUTO_COMPACT = { 'delta.autoOptimize.autoCompact': 'true', 'lakehouse.autoCompact.minNumFiles': '4' };

const filesIn = (table: DeltaTable, day: string) => table.snapshot.files().filter((f) => f.partitionValues.jour === day);

describeEachBackend('auto-compaction (post-commit hook)', () => {
  it('compacts a partition, today included, once it holds minNumFiles small files, in a dataChange=false commit', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: AUTO_COMPACT });
    for (let i = 0; i < 3; i++) await table.append({ rows: salesRows(2, 10 * i, '2024-12-12') });
    await table.append({ rows: salesRows(2, 100, '2024-12-13') });
    expect(table.version).toBe(4);
    expect(filesIn(table, '2024-12-12')).toHaveLength(3);

    const res = await table.append({ rows: salesRows(2, 30, '2024-12-12') });
    expect(res.version).toBe(5);
    expect(res.postCommit).toEqual([{ hook: 'auto-compaction', result: { version: 6, numFilesRemoved: 4, numFilesAdded: 1, partitionsOptimized: 1 } }]);
    expect(table.version).toBe(6);
    expect(filesIn(table, '2024-12-12')).toHaveLength(1);
    expect(filesIn(table, '2024-12-13')).toHaveLength(1); // not written by the commit: left alone
    const log = await readLog(dir, 6);
    expect(commitInfoOf(log).operation).toBe('OPTIMIZE');
    for (const a of [...actionsOf(log, 'add'), ...actionsOf(log, 'remove')]) expect(a.dataChange).toBe(false);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([0, 1, 10, 11, 20, 21, 30, 31, 100, 101]);
  });

  it('is off unless the table property asks for it, and a bad setting is refused when the table is created', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    for (let i = 0; i < 6; i++) await table.append({ rows: salesRows(1, i) });
    expect(table.snapshot.files()).toHaveLength(6);
    expect(tableConfig({}).autoCompact).toEqual({ enabled: false, minNumFiles: 50, maxFileSize: 128 * 1024 * 1024 });
    await expect(
      DeltaTable.create(tableRoot(), { schema: salesSchema, configuration: { ...AUTO_COMPACT, 'lakehouse.autoCompact.minNumFiles': 'many' } }),
    ).rejects.toThrow('invalid lakehouse.autoCompact.minNumFiles "many", expected a positive integer');
  });

  it('files at or above maxFileSize are not small: they neither count nor get rewritten', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, {
      schema: salesSchema,
      partitionColumns: ['jour'],
      configuration: { ...AUTO_COMPACT, 'lakehouse.autoCompact.maxFileSize': '1' },
    });
    for (let i = 0; i < 6; i++) await table.append({ rows: salesRows(1, i) });
    expect(table.snapshot.files()).toHaveLength(6);
    expect(table.version).toBe(6);
  });

  it('gives up, losing nothing, when a concurrent writer removed the files it was compacting', async () => {
    const dir = tableRoot();
    /** The table's store, running `race` once, when the data file of the n-th write after arming is staged. */
    const inner = storeForUri(dir);
    const store: ObjectStore & { armed?: { skip: number; race: () => Promise<unknown> } } = Object.create(inner);
    store.stagingPath = async (p: string) => {
      const armed = store.armed;
      if (armed && armed.skip-- === 0) {
        store.armed = undefined;
        await armed.race();
      }
      return inner.stagingPath(p);
    };
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: AUTO_COMPACT, store });
    for (let i = 0; i < 3; i++) await table.append({ rows: salesRows(1, i) });
    // While the hook writes its compacted file, another process compacts the same files and commits first.
    store.armed = { skip: 1, race: async () => (await DeltaTable.open(dir)).optimize() };
    const res = await table.append({ rows: salesRows(1, 3) });
    const report = res.postCommit?.find((r) => r.hook === 'auto-compaction');
    expect(report?.result).toMatchObject({ numFilesRemoved: 0, gaveUp: expect.stringMatching(/^ConcurrentDeleteDelete/) });
    const fresh = await DeltaTable.open(dir);
    expect(ids(await fresh.readRows())).toEqual(range(0, 3));
    expect(fresh.snapshot.files()).toHaveLength(1); // the other compaction's file, holding all four rows
    expect(commitInfoOf(await readLog(dir, fresh.version)).operation).toBe('OPTIMIZE');
  });
});
