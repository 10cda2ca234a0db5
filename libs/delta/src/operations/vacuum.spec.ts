import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { commitVersions, DAY_MS, ids, setMtime } from '../../test/helpers';

interface Setup {
  dir: string;
  table: DeltaTable;
  /** Tombstoned now (unexpired). */
  a: string;
  /** Tombstoned 8 days ago (expired). */
  b: string;
  /** Live. */
  c: string;
  orphanOld: string;
  orphanNew: string;
  ignored: string[];
}

async function setup(): Promise<Setup> {
  const dir = tempDir();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  await table.append({ rows: salesRows(3, 1, '2024-12-12') });
  const a = table.snapshot.files()[0].path;
  await table.append({ rows: salesRows(3, 11, '2024-12-13') });
  const b = table.snapshot.files().find((f) => f.path !== a)!;
  await table.overwrite({ rows: salesRows(3, 21, '2024-12-12') }, { partitions: 'dynamic' }); // tombstones a now
  const c = table.snapshot.files().find((f) => f.partitionValues.jour === '2024-12-12')!.path;
  await table.commit({
    actions: [{ remove: { path: b.path, deletionTimestamp: Date.now() - 8 * DAY_MS, dataChange: true, extendedFileMetadata: true, partitionValues: b.partitionValues, size: b.size } }],
    operation: 'DELETE',
    readVersion: table.version,
    isBlindAppend: false,
    footprint: { readPartitions: 'all', readFiles: new Set([b.path]), removedFiles: new Set([b.path]), appIds: new Set(), changesMetadata: false, rearrangeOnly: false },
  });
  const orphanOld = 'jour=2024-12-12/part-00000-orphan-old.c000.snappy.parquet';
  const orphanNew = 'jour=2024-12-13/part-00000-orphan-new.c000.snappy.parquet';
  const ignored = ['_hidden/part-0.parquet', '.hidden.parquet', 'jour=2024-12-12/_SUCCESS', 'jour=2024-12-12/.part-0.crc'];
  for (const p of [orphanOld, orphanNew, ...ignored]) {
    await fs.mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await fs.writeFile(path.join(dir, p), 'x');
  }
  const old = Date.now() - 10 * DAY_MS;
  for (const p of [a, b.path, c, orphanOld, ...ignored]) await setMtime(path.join(dir, p), old);
  return { dir, table, a, b: b.path, c, orphanOld, orphanNew, ignored };
}

describe('vacuum', () => {
  it('refuses a retention shorter than the table default (7 days) unless enforceRetentionDuration is false', async () => {
    const { dir, table } = await setup();
    await expect(table.vacuum({ retentionHours: 24 })).rejects.toThrow(/retention of 24 hours is shorter than the table's 168 hours/);
    await expect(table.vacuum({ retentionHours: 167, dryRun: true })).rejects.toThrow(/enforceRetentionDuration/);
    expect((await table.vacuum({ retentionHours: 168, dryRun: true })).dryRun).toBe(true);
    expect((await table.vacuum({ retentionHours: 24, enforceRetentionDuration: false, dryRun: true })).dryRun).toBe(true);
    expect(await commitVersions(dir)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a table with a shorter delta.deletedFileRetentionDuration allows it', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema: salesSchema, configuration: { 'delta.deletedFileRetentionDuration': 'interval 1 day' } });
    expect(table.config.deletedFileRetentionMs).toBe(DAY_MS);
    await expect(table.vacuum({ retentionHours: 24, dryRun: true })).resolves.toEqual({ filesDeleted: [], dryRun: true });
    await expect(table.vacuum({ retentionHours: 12, dryRun: true })).rejects.toThrow(/shorter/);
  });

  it('dryRun lists what would go and deletes and commits nothing', async () => {
    const s = await setup();
    const res = await s.table.vacuum({ dryRun: true });
    expect(res).toEqual({ filesDeleted: [s.b, s.orphanOld].sort(), dryRun: true });
    expect(existsSync(path.join(s.dir, s.b))).toBe(true);
    expect(existsSync(path.join(s.dir, s.orphanOld))).toBe(true);
    expect(await commitVersions(s.dir)).toEqual([0, 1, 2, 3, 4]);
  });

  it('deletes expired tombstones and old orphans, keeps live files, unexpired tombstones, new and hidden files; logs VACUUM START/END', async () => {
    const s = await setup();
    const res = await s.table.vacuum();
    expect(res).toEqual({ filesDeleted: [s.b, s.orphanOld].sort(), dryRun: false });
    for (const gone of [s.b, s.orphanOld]) expect(existsSync(path.join(s.dir, gone))).toBe(false);
    for (const kept of [s.a, s.c, s.orphanNew, ...s.ignored]) expect(existsSync(path.join(s.dir, kept))).toBe(true);

    const fresh = await DeltaTable.open(s.dir);
    expect(fresh.version).toBe(6);
    const [end, start] = await fresh.history(2);
    expect(start).toMatchObject({
      version: 5,
      operation: 'VACUUM START',
      operationParameters: { retentionCheckEnabled: 'true', defaultRetentionMillis: String(7 * DAY_MS), specifiedRetentionMillis: String(7 * DAY_MS) },
      operationMetrics: { numFilesToDelete: '2' },
    });
    expect(end).toMatchObject({ version: 6, operation: 'VACUUM END', operationParameters: { status: 'COMPLETED' }, operationMetrics: { numDeletedFiles: '2' } });
    expect(ids(await fresh.readRows())).toEqual([21, 22, 23]);
    // The unexpired tombstone still serves time travel.
    expect(ids(await (await DeltaTable.open(s.dir, { version: 1 })).readRows())).toEqual([1, 2, 3]);

    // Forcing zero retention removes the unexpired tombstone's file and the fresh orphan too.
    const forced = await fresh.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    expect(forced.filesDeleted).toEqual([s.a, s.orphanNew].sort());
    expect(existsSync(path.join(s.dir, s.c))).toBe(true);
    expect(ids(await (await DeltaTable.open(s.dir)).readRows())).toEqual([21, 22, 23]);
  });

  it('orphanRetentionHours keeps unreferenced files younger than it (an in-flight write) while a zero retention deletes every tombstoned file', async () => {
    const s = await setup();
    const res = await s.table.vacuum({ retentionHours: 0, enforceRetentionDuration: false, orphanRetentionHours: 1 });
    expect(res.filesDeleted).toEqual([s.a, s.b, s.orphanOld].sort());
    for (const kept of [s.c, s.orphanNew]) expect(existsSync(path.join(s.dir, kept))).toBe(true);
  });
});
