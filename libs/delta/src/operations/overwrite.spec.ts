import { DeltaTable } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { actionsOf, asRead, commitInfoOf, commitVersions, dataFiles, ids, range, readLog, sortById } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

/** v1: ids 1-5 on the 12th and 11-15 on the 13th; v2: ids 21-23 on the 12th. */
async function table(config: Record<string, string> = {}): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const t = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: config });
  await t.append({ rows: [...salesRows(5, 1, '2024-12-12'), ...salesRows(5, 11, '2024-12-13')] });
  await t.append({ rows: salesRows(3, 21, '2024-12-12') });
  return { dir, table: t };
}

describeEachBackend('overwrite', () => {
  it('full overwrite: removes every file and adds the new ones in ONE commit', async () => {
    const { dir, table: t } = await table();
    const before = t.snapshot.files();
    const start = Date.now();
    const res = await t.overwrite({ rows: salesRows(4, 100, '2024-12-14') });
    expect(res).toEqual({ version: 3, addedFiles: 1, removedFiles: 3 });
    expect(await commitVersions(dir)).toEqual([0, 1, 2, 3]);

    const log = await readLog(dir, 3);
    expect(commitInfoOf(log)).toMatchObject({ operation: 'WRITE', operationParameters: { mode: 'Overwrite' }, isBlindAppend: false, readVersion: 2 });
    expect(commitInfoOf(log).operationParameters).not.toHaveProperty('predicate');
    const removes = actionsOf(log, 'remove');
    expect(removes.map((r) => r.path).sort()).toEqual(before.map((f) => f.path).sort());
    for (const r of removes) {
      const f = before.find((b) => b.path === r.path)!;
      expect(r).toEqual({ path: f.path, deletionTimestamp: expect.any(Number), dataChange: true, extendedFileMetadata: true, partitionValues: f.partitionValues, size: f.size });
      expect(r.deletionTimestamp).toBeGreaterThanOrEqual(start);
    }
    expect(actionsOf(log, 'add').map((a) => a.partitionValues)).toEqual([{ jour: '2024-12-14' }]);

    const fresh = await DeltaTable.open(dir);
    expect(sortById(await fresh.readRows())).toEqual(asRead(salesRows(4, 100, '2024-12-14')));
    // The old data is still there for time travel.
    expect(ids(await (await DeltaTable.open(dir, { version: 2 })).readRows())).toEqual([1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 21, 22, 23]);
    expect((await dataFiles(dir)).length).toBe(4);
  });

  it("partitions: 'dynamic' replaces exactly the partitions the new data falls in", async () => {
    const { dir, table: t } = await table();
    const day12 = t.snapshot.files().filter((f) => f.partitionValues.jour === '2024-12-12').map((f) => f.path);
    const res = await t.overwrite({ rows: salesRows(2, 100, '2024-12-12') }, { partitions: 'dynamic' });
    expect(res).toEqual({ version: 3, addedFiles: 1, removedFiles: 2 });
    const log = await readLog(dir, 3);
    expect(actionsOf(log, 'remove').map((r) => r.path).sort()).toEqual(day12.sort());
    expect(commitInfoOf(log).operationParameters.predicate).toBe('[{"jour":"2024-12-12"}]');
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([11, 12, 13, 14, 15, 100, 101]);
  });

  it('explicit partitions replace those partitions, including ones the new data leaves empty', async () => {
    const { dir, table: t } = await table();
    const res = await t.overwrite(
      { rows: salesRows(2, 100, '2024-12-12') },
      { partitions: [{ jour: '2024-12-12' }, { jour: '2024-12-13' }, { jour: '2024-12-30' }] },
    );
    expect(res).toEqual({ version: 3, addedFiles: 1, removedFiles: 3 });
    const log = await readLog(dir, 3);
    expect(actionsOf(log, 'remove')).toHaveLength(3);
    expect(actionsOf(log, 'add')).toHaveLength(1);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([100, 101]);
  });

  it('refuses new data outside the explicit partitions and commits nothing', async () => {
    const { dir, table: t } = await table();
    await expect(
      t.overwrite({ rows: [...salesRows(2, 100, '2024-12-12'), ...salesRows(1, 200, '2024-12-13')] }, { partitions: [{ jour: '2024-12-12' }] }),
    ).rejects.toThrow(/outside the partitions being replaced: \{"jour":"2024-12-13"\}/);
    expect(await commitVersions(dir)).toEqual([0, 1, 2]);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(2);
    expect(ids(await fresh.readRows())).toEqual([1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 21, 22, 23]);
  });

  it('an overwrite with no rows empties the table (full) and keeps it readable', async () => {
    const { dir, table: t } = await table();
    const res = await t.overwrite({ rows: [] });
    expect(res.removedFiles).toBe(3);
    expect(await (await DeltaTable.open(dir)).readRows()).toEqual([]);
  });
});

describeEachBackend('delta.appendOnly', () => {
  it('refuses overwrites and data-changing removes, but allows appends and OPTIMIZE', async () => {
    const { dir, table: t } = await table({ 'delta.appendOnly': 'true' });
    expect(t.config.appendOnly).toBe(true);
    await expect(t.overwrite({ rows: salesRows(1, 100) })).rejects.toThrow(/append-only/);
    await expect(t.overwrite({ rows: salesRows(1, 100) }, { partitions: 'dynamic' })).rejects.toThrow(/append-only/);
    const f = t.snapshot.files()[0];
    await expect(
      t.commit({
        actions: [{ remove: { path: f.path, dataChange: true, deletionTimestamp: Date.now() } }],
        operation: 'DELETE',
        readVersion: t.version,
        isBlindAppend: false,
        footprint: { readPartitions: 'all', readFiles: new Set([f.path]), removedFiles: new Set([f.path]), appIds: new Set(), changesMetadata: false, rearrangeOnly: false },
      }),
    ).rejects.toThrow(/append-only/);
    expect(await commitVersions(dir)).toEqual([0, 1, 2]);

    await t.append({ rows: salesRows(1, 100) });
    const opt = await t.optimize();
    expect(opt.numFilesRemoved).toBe(3); // the three files of the 12th
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([...range(1, 5), ...range(11, 15), 21, 22, 23, 100]);
  });
});
