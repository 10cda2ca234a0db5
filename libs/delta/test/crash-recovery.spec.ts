import { commitAdds, DeltaTable, storeForUri, writeDataFiles } from '@app/delta';
import { salesRows, salesSchema } from './fixtures';
import { asRead, commitVersions, dataFiles, logFiles, sortById } from './helpers';
import { describeEachBackend, tableRoot } from './backends';

describeEachBackend('crash between writing data files and committing', () => {
  it('leaves the table unchanged, and VACUUM with zero retention deletes the orphan files', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(10) });
    const live = await dataFiles(dir);
    const logBefore = await logFiles(dir);

    // The writer dies after its data files are written, before its commit.
    const orphans = await writeDataFiles(storeForUri(dir), salesSchema, ['jour'], {
      rows: [...salesRows(5, 100, '2024-12-12'), ...salesRows(5, 200, '2024-12-13')],
    });
    expect(orphans).toHaveLength(2);
    for (const a of orphans) expect(await dataFiles(dir)).toContain(a.path);
    expect(await dataFiles(dir)).toHaveLength(3);

    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(1);
    expect(await logFiles(dir)).toEqual(logBefore);
    expect(fresh.snapshot.files().map((f) => f.path)).toEqual(live);
    expect(sortById(await fresh.readRows())).toEqual(asRead(salesRows(10)));

    // The default retention protects in-flight writes: nothing is deleted yet.
    expect((await fresh.vacuum({ dryRun: true })).filesDeleted).toEqual([]);
    await expect(fresh.vacuum({ retentionHours: 0 })).rejects.toThrow(/enforceRetentionDuration/);

    const orphanPaths = orphans.map((a) => a.path).sort();
    const dry = await fresh.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true });
    expect(dry).toEqual({ filesDeleted: orphanPaths, dryRun: true });
    expect(await dataFiles(dir)).toHaveLength(3);
    expect(await commitVersions(dir)).toEqual([0, 1]);

    const res = await fresh.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    expect(res).toEqual({ filesDeleted: orphanPaths, dryRun: false });
    expect(await dataFiles(dir)).toEqual(live);
    const after = await DeltaTable.open(dir);
    expect(after.version).toBe(3); // VACUUM START + VACUUM END
    expect(sortById(await after.readRows())).toEqual(asRead(salesRows(10)));
    expect((await after.history(2)).map((h) => h.operation)).toEqual(['VACUUM END', 'VACUUM START']);
  });

  it('data files written before a crash can still be committed later by the same writer', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    const adds = await writeDataFiles(table.store, salesSchema, ['jour'], { rows: salesRows(4) });
    await table.append({ rows: salesRows(2, 50) }); // someone else commits in between
    const stale = await DeltaTable.open(dir, { version: 0 });
    const res = await commitAdds(stale.log, stale.snapshot, adds, { txns: [{ appId: 'w', version: 1 }] });
    expect(res).toEqual({ version: 2, addedFiles: 1, removedFiles: 0 });
    expect(sortById(await (await DeltaTable.open(dir)).readRows())).toEqual(asRead([...salesRows(4), ...salesRows(2, 50)]));
  });
});
