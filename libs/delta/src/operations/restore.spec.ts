import * as path from 'node:path';
import {
  commitPath,
  DataFileMissingError,
  DeltaTable,
  field,
  parseSchema,
  restore,
  serializeSchema,
  struct,
  VersionNotAvailableError,
} from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { actionsOf, commitInfoOf, DAY_MS, ids, range, readLog, setMtime } from '../../test/helpers';

/** v1: ids 1-5 on 12-12; v2: ids 11-15 on 12-13; v3: 12-12 overwritten by ids 21-25; v4: ids 31-35 on 12-13. */
async function fourVersions(): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tempDir('restore-');
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  await table.append({ rows: salesRows(5, 1, '2024-12-12') });
  await table.append({ rows: salesRows(5, 11, '2024-12-13') });
  await table.overwrite({ rows: salesRows(5, 21, '2024-12-12') }, { partitions: 'dynamic' });
  await table.append({ rows: salesRows(5, 31, '2024-12-13') });
  return { dir, table };
}

describe('RESTORE', () => {
  it('to a version: one commit re-adding what was removed and removing what was added since, with Spark metrics', async () => {
    const { dir, table } = await fourVersions();
    const v1 = await DeltaTable.open(dir, { version: 1 });
    const live = table.snapshot.files();

    const result = await restore(table.log, table.snapshot, { version: 1 });
    expect(result).toMatchObject({ version: 5, restoredVersion: 1 });
    expect(table.version).toBe(5);
    expect(ids(await table.readRows())).toEqual(range(1, 5));
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual(range(1, 5));

    const actions = await readLog(dir, 5);
    const info = commitInfoOf(actions);
    expect(info).toMatchObject({ operation: 'RESTORE', operationParameters: { version: '1' }, readVersion: 4, isBlindAppend: false });
    const adds = actionsOf(actions, 'add');
    const removes = actionsOf(actions, 'remove');
    // The file of v1 comes back exactly as it was logged (stats, partition values), as a data change.
    expect(adds).toEqual(v1.snapshot.files().map((f) => ({ ...f, dataChange: true })));
    expect(removes.map((r) => r.path).sort()).toEqual(live.map((f) => f.path).sort());
    for (const r of removes) expect(r).toMatchObject({ dataChange: true, extendedFileMetadata: true, size: expect.any(Number), partitionValues: expect.any(Object) });
    expect(actionsOf(actions, 'metaData')).toEqual([]);
    expect(actionsOf(actions, 'protocol')).toEqual([]);
    const size = (files: { size: number }[]) => String(files.reduce((n, f) => n + f.size, 0));
    expect(info.operationMetrics).toEqual({
      tableSizeAfterRestore: size(v1.snapshot.files()),
      numOfFilesAfterRestore: '1',
      numRemovedFiles: String(live.length),
      numRestoredFiles: '1',
      removedFilesSize: size(live),
      restoredFilesSize: size(v1.snapshot.files()),
    });

    // The RESTORE is a version like any other: restoring the version before it brings everything back.
    await restore(table.log, table.snapshot, { version: 4 });
    expect(ids(await table.readRows())).toEqual([...range(11, 15), ...range(21, 25), ...range(31, 35)]);
    expect((await table.history(2)).map((h) => h.operation)).toEqual(['RESTORE', 'RESTORE']);
  });

  it('a dry run checks and measures without committing', async () => {
    const { dir, table } = await fourVersions();
    const dry = await restore(table.log, table.snapshot, { version: 1 }, { dryRun: true });
    expect(dry.version).toBeUndefined();
    expect(dry).toMatchObject({ restoredVersion: 1, metrics: { numRestoredFiles: 1, numOfFilesAfterRestore: 1 } });
    expect((await DeltaTable.open(dir)).version).toBe(4);
    expect((await restore(table.log, table.snapshot, { version: 1 })).metrics).toEqual(dry.metrics);
  });

  it('keeps the files both versions share: only the difference is committed', async () => {
    const { dir, table } = await fourVersions();
    await restore(table.log, table.snapshot, { version: 3 });
    const actions = await readLog(dir, 5);
    expect(actionsOf(actions, 'add')).toEqual([]);
    expect(actionsOf(actions, 'remove')).toHaveLength(1);
    expect(ids(await table.readRows())).toEqual([...range(11, 15), ...range(21, 25)]);
  });

  it('to a timestamp: the newest version committed at or before it', async () => {
    const { dir, table } = await fourVersions();
    const t0 = Date.parse('2024-12-12T08:00:00Z');
    for (let v = 0; v <= 4; v++) await setMtime(path.join(dir, commitPath(v)), t0 + v * 60_000);
    const result = await restore(table.log, table.snapshot, { timestamp: t0 + 2 * 60_000 + 30_000 });
    expect(result.restoredVersion).toBe(2);
    expect(ids(await table.readRows())).toEqual([...range(1, 5), ...range(11, 15)]);
    expect(commitInfoOf(await readLog(dir, 5)).operationParameters).toEqual({ version: '2', timestamp: '2024-12-12T08:02:30.000Z' });
  });

  it('brings back the schema of the target when it changed since', async () => {
    const dir = tempDir('restore-');
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(3, 1) });
    const before = table.snapshot.metadata;
    const widened = struct([...salesSchema.fields, field('canal', 'string', true)]);
    await table.commit({
      actions: [{ metaData: { ...before, schemaString: serializeSchema(widened) } }],
      operation: 'ADD COLUMNS',
      readVersion: table.version,
      isBlindAppend: false,
      footprint: { readPartitions: 'all', readFiles: new Set(), removedFiles: new Set(), appIds: new Set(), changesMetadata: true, rearrangeOnly: false },
    });
    await table.append({ rows: salesRows(3, 11).map((r) => ({ ...r, canal: 'web' })) });

    await restore(table.log, table.snapshot, { version: 1 });
    expect(actionsOf(await readLog(dir, 4), 'metaData')).toEqual([before]);
    const reopened = await DeltaTable.open(dir);
    expect(parseSchema(reopened.snapshot.metadata.schemaString)).toEqual(salesSchema);
    expect(ids(await reopened.readRows())).toEqual(range(1, 3));
  });

  it('never downgrades the protocol', async () => {
    const { dir, table } = await fourVersions();
    const upgraded = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['vacuumProtocolCheck'], writerFeatures: ['vacuumProtocolCheck', 'appendOnly'] };
    await table.commit({
      actions: [{ protocol: upgraded }],
      operation: 'UPGRADE PROTOCOL',
      readVersion: table.version,
      isBlindAppend: false,
      footprint: { readPartitions: 'all', readFiles: new Set(), removedFiles: new Set(), appIds: new Set(), changesMetadata: true, rearrangeOnly: false },
    });
    await restore(table.log, table.snapshot, { version: 2 });
    expect(actionsOf(await readLog(dir, 6), 'protocol')).toEqual([]);
    expect((await DeltaTable.open(dir)).snapshot.protocol).toEqual(upgraded);
  });

  it('refuses a target whose files were vacuumed, committing nothing', async () => {
    const { dir, table } = await fourVersions();
    await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    const latest = table.version;
    const err = await restore(table.log, table.snapshot, { version: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileMissingError);
    expect((err as Error).message).toMatch(/no longer exists.*VACUUM/);
    expect((await DeltaTable.open(dir)).version).toBe(latest);
  });

  it('refuses a version whose log was cleaned up, and restores one rebuilt from a checkpoint', async () => {
    const dir = tempDir('restore-');
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: { 'delta.checkpointInterval': '5' } });
    for (let i = 1; i <= 7; i++) await table.append({ rows: salesRows(1, i) });
    await table.cleanupExpiredLogs(Date.now() + 365 * DAY_MS);
    const err = await restore(table.log, table.snapshot, { version: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionNotAvailableError);
    expect((err as Error).message).toMatch(/version 3 is no longer in the log \(the earliest that can be rebuilt is 5/);
    await restore(table.log, table.snapshot, { version: 5 });
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual(range(1, 5));
  });

  it('refuses versions that are not strictly older than the current one or not in the log, and timestamps before the log', async () => {
    const { dir, table } = await fourVersions();
    for (const version of [4, 9, -1]) await expect(restore(table.log, table.snapshot, { version })).rejects.toThrow(VersionNotAvailableError);
    await expect(restore(table.log, table.snapshot, { version: 4 })).rejects.toThrow(/older than the current version \(4\)/);
    await setMtime(path.join(dir, commitPath(0)), Date.now() - DAY_MS);
    await expect(restore(table.log, table.snapshot, { timestamp: Date.now() - 2 * DAY_MS })).rejects.toThrow(/before the earliest version/);
    await expect(restore(table.log, table.snapshot, {} as never)).rejects.toThrow(/exactly one of a version or a timestamp/);
    expect((await DeltaTable.open(dir)).version).toBe(4);
  });
});
