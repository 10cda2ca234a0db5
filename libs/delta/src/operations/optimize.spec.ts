import { DeltaTable } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { actionsOf, commitInfoOf, commitVersions, readLog, sortById, statsOf } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

/** Five small files on the 12th (ids 1-20) and three on the 13th (ids 101-112). */
async function smallFiles(): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  for (let i = 0; i < 5; i++) await table.append({ rows: salesRows(4, 1 + i * 4, '2024-12-12') });
  for (let i = 0; i < 3; i++) await table.append({ rows: salesRows(4, 101 + i * 4, '2024-12-13') });
  return { dir, table };
}

describeEachBackend('optimize', () => {
  it('compacts the small files of each partition in one commit with dataChange=false, the rows unchanged', async () => {
    const { dir, table } = await smallFiles();
    const before = sortById(await table.readRows());
    const oldFiles = table.snapshot.files();
    expect(oldFiles).toHaveLength(8);

    const res = await table.optimize();
    expect(res).toEqual({ version: 9, numFilesRemoved: 8, numFilesAdded: 2, partitionsOptimized: 2 });
    expect(await commitVersions(dir)).toHaveLength(10);

    const log = await readLog(dir, 9);
    const info = commitInfoOf(log);
    expect(info.operation).toBe('OPTIMIZE');
    expect(info.isBlindAppend).toBe(false);
    expect(info.operationMetrics).toEqual({ numRemovedFiles: '8', numAddedFiles: '2' });
    const removes = actionsOf(log, 'remove');
    expect(removes.map((r) => r.path).sort()).toEqual(oldFiles.map((f) => f.path).sort());
    for (const r of removes) {
      expect(r.dataChange).toBe(false);
      expect(r.extendedFileMetadata).toBe(true);
      expect(typeof r.deletionTimestamp).toBe('number');
      const f = oldFiles.find((o) => o.path === r.path)!;
      expect(r.partitionValues).toEqual(f.partitionValues);
      expect(r.size).toBe(f.size);
    }
    const adds = actionsOf(log, 'add').sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(adds.map((a) => a.dataChange)).toEqual([false, false]);
    expect(adds.map((a) => a.partitionValues)).toEqual([{ jour: '2024-12-12' }, { jour: '2024-12-13' }]);
    expect(adds.map((a) => a.path.split('/')[0])).toEqual(['jour=2024-12-12', 'jour=2024-12-13']);
    expect(statsOf(adds[0])).toMatchObject({ numRecords: 20, minValues: { vente_id: 1 }, maxValues: { vente_id: 20 } });
    expect(statsOf(adds[1])).toMatchObject({ numRecords: 12, minValues: { vente_id: 101 }, maxValues: { vente_id: 112 } });

    const fresh = await DeltaTable.open(dir);
    expect(fresh.snapshot.files()).toHaveLength(2);
    expect(sortById(await fresh.readRows())).toEqual(before);
    expect(sortById(await (await DeltaTable.open(dir, { version: 8 })).readRows())).toEqual(before);
  });

  it('respects partitionFilters', async () => {
    const { dir, table } = await smallFiles();
    const before = sortById(await table.readRows());
    const day12 = table.snapshot.files().filter((f) => f.partitionValues.jour === '2024-12-12').map((f) => f.path).sort();
    const res = await table.optimize({ partitionFilters: [{ column: 'jour', op: '=', value: '2024-12-13' }] });
    expect(res).toMatchObject({ numFilesRemoved: 3, numFilesAdded: 1, partitionsOptimized: 1 });
    const log = await readLog(dir, res.version!);
    expect(actionsOf(log, 'remove').every((r) => r.partitionValues?.jour === '2024-12-13')).toBe(true);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.snapshot.files().filter((f) => f.partitionValues.jour === '2024-12-12').map((f) => f.path).sort()).toEqual(day12);
    expect(fresh.snapshot.files().filter((f) => f.partitionValues.jour === '2024-12-13')).toHaveLength(1);
    expect(sortById(await fresh.readRows())).toEqual(before);
  });

  it('does nothing (no commit) when no partition has several small files', async () => {
    const { dir, table } = await smallFiles();
    await table.optimize();
    const res = await table.optimize();
    expect(res).toEqual({ numFilesRemoved: 0, numFilesAdded: 0, partitionsOptimized: 0 });
    expect(await commitVersions(dir)).toHaveLength(10);
    // Files at or above the target size are left alone.
    const { table: t2, dir: d2 } = await smallFiles();
    expect((await t2.optimize({ targetFileSize: 1 })).numFilesRemoved).toBe(0);
    expect((await t2.optimize({ minFilesToCompact: 4 })).numFilesRemoved).toBe(5);
    expect(await commitVersions(d2)).toHaveLength(10);
  });
});
