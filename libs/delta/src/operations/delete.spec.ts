import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  AppendOnlyTableError,
  CommitConflictError,
  DeltaTable,
  deleteRows,
  LocalObjectStore,
  SchemaMismatchError,
  updateRows,
} from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { actionsOf, commitInfoOf, dataFiles, ids, range, readLog, statsOf } from '../../test/helpers';

/** Three files: ids 1-10 and 11-20 on 2024-12-12, 21-30 on 2024-12-13. */
async function threeFiles(store?: LocalObjectStore): Promise<DeltaTable> {
  const dir = store ? undefined : tempDir();
  const table = await DeltaTable.create(dir ?? tempDir(), { schema: salesSchema, partitionColumns: ['jour'], store });
  await table.append({ rows: salesRows(10, 1) });
  await table.append({ rows: salesRows(10, 11) });
  await table.append({ rows: salesRows(10, 21, '2024-12-13') });
  return table;
}

describe('deleteRows (copy-on-write)', () => {
  it('rewrites only the file holding matching rows, in one commit with Spark’s DELETE metrics and right stats', async () => {
    const table = await threeFiles();
    const before = new Map(table.snapshot.files().map((f) => [f.path, f]));
    const res = await deleteRows(table.log, table.snapshot, [{ column: 'vente_id', op: 'in', value: [12, 15] }]);
    expect(res.version).toBe(4);
    expect(res.numMatchedRows).toBe(2);
    // Stats rule out the two other files: only the 11-20 file is even read.
    expect(res.metrics.numCandidateFiles).toBe(1);

    const log = await readLog(table.uri, 4);
    const removed = actionsOf(log, 'remove');
    const added = actionsOf(log, 'add');
    expect(removed).toHaveLength(1);
    expect(added).toHaveLength(1);
    const old = before.get(removed[0].path)!;
    expect(statsOf(old).minValues.vente_id).toBe(11);
    expect(removed[0]).toMatchObject({ dataChange: true, extendedFileMetadata: true, partitionValues: { jour: '2024-12-12' }, size: old.size });
    expect(added[0]).toMatchObject({ dataChange: true, partitionValues: { jour: '2024-12-12' } });
    expect(statsOf(added[0])).toMatchObject({ numRecords: 8, minValues: { vente_id: 11 }, maxValues: { vente_id: 20 } });

    const info = commitInfoOf(log);
    expect(info).toMatchObject({ operation: 'DELETE', readVersion: 3, isBlindAppend: false, isolationLevel: 'WriteSerializable' });
    expect(JSON.parse(info.operationParameters.predicate as string)).toEqual(['("vente_id" IN (12, 15))']);
    expect(info.operationMetrics).toMatchObject({
      numDeletedRows: '2',
      numCopiedRows: '8',
      numRemovedFiles: '1',
      numAddedFiles: '1',
      numRemovedBytes: String(old.size),
      numAddedBytes: String(added[0].size),
      numAddedChangeFiles: '0',
    });
    expect(Number(info.operationMetrics!.executionTimeMs)).toBeGreaterThanOrEqual(0);

    // The two other files are untouched.
    const after = new Set(table.snapshot.files().map((f) => f.path));
    for (const p of before.keys()) if (p !== removed[0].path) expect(after.has(p)).toBe(true);
    const fresh = await DeltaTable.open(table.uri);
    expect(ids(await fresh.readRows())).toEqual(range(1, 30).filter((i) => i !== 12 && i !== 15));
    expect(fresh.snapshot.numRecords()).toBe(28);
    // Time travel still sees the rows.
    expect(ids(await (await DeltaTable.open(table.uri, { version: 3 })).readRows())).toEqual(range(1, 30));
  });

  it('a candidate the stats cannot rule out but without a matching row is read, not rewritten', async () => {
    const table = await threeFiles();
    // client_id is (id % 5) + 1: every file spans 1..5, but montant 16.5 is only in id 11's file.
    const res = await deleteRows(table.log, table.snapshot, [
      { column: 'client_id', op: '=', value: 2 },
      { column: 'montant', op: '=', value: 16.5 },
    ]);
    expect(res.metrics.numCandidateFiles).toBe(1);
    expect(res.numMatchedRows).toBe(1);
    const none = await deleteRows(table.log, table.snapshot, [{ column: 'client_id', op: '=', value: 3 }, { column: 'pays', op: '=', value: 'Nowhere' }]);
    expect(none.metrics.numCandidateFiles).toBe(3);
    expect(none.version).toBeUndefined();
    expect(none).toMatchObject({ numMatchedRows: 0, metrics: { numRemovedFiles: 0, numAddedFiles: 0 } });
    expect((await DeltaTable.open(table.uri)).version).toBe(4);
  });

  it('a file whose every row matches is removed without a copy; a partition predicate prunes by partition', async () => {
    const table = await threeFiles();
    const res = await deleteRows(table.log, table.snapshot, [{ column: 'jour', op: '=', value: '2024-12-13' }]);
    expect(res).toMatchObject({ numMatchedRows: 10, metrics: { numCandidateFiles: 1, numRemovedFiles: 1, numAddedFiles: 0, numCopiedRows: 0 } });
    expect(ids(await table.readRows())).toEqual(range(1, 20));
  });

  it('keeps rows where the predicate is null, as SQL does', async () => {
    const table = await DeltaTable.create(tempDir(), { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(4, 1).map((r, i) => ({ ...r, pays: i === 0 ? null : r.pays })) });
    await deleteRows(table.log, table.snapshot, [{ column: 'pays', op: '!=', value: 'Zanzibar' }]);
    expect(ids(await table.readRows())).toEqual([1]);
  });

  it('matches a member of a JSON string column, skipping documents that are not JSON', async () => {
    const table = await DeltaTable.create(tempDir(), { schema: salesSchema, partitionColumns: ['jour'] });
    const payloads = ['{"client_id": 7}', '{"client_id": "7"}', '{"client_id": 8}', '{not json', null, '{"x": 7}'];
    await table.append({ rows: salesRows(payloads.length, 1).map((r, i) => ({ ...r, pays: payloads[i] })) });
    const res = await deleteRows(table.log, table.snapshot, [{ column: 'pays', jsonMember: 'client_id', op: '=', value: 7 }]);
    expect(res.numMatchedRows).toBe(2);
    expect(ids(await table.readRows())).toEqual([3, 4, 5, 6]);
  });

  it('binds values as literals: a quote in a value is data, not SQL', async () => {
    const table = await threeFiles();
    const res = await deleteRows(table.log, table.snapshot, [{ column: 'pays', op: '=', value: "x' OR 1=1 --" }]);
    expect(res.numMatchedRows).toBe(0);
    expect(table.snapshot.numRecords()).toBe(30);
  });

  it('refuses an unknown column, an empty predicate and an append-only table with typed errors', async () => {
    const table = await threeFiles();
    await expect(deleteRows(table.log, table.snapshot, [{ column: 'nope', op: '=', value: 1 }])).rejects.toThrow(SchemaMismatchError);
    await expect(deleteRows(table.log, table.snapshot, [])).rejects.toThrow(SchemaMismatchError);
    const appendOnly = await DeltaTable.create(tempDir(), { schema: salesSchema, partitionColumns: ['jour'], configuration: { 'delta.appendOnly': 'true' } });
    await appendOnly.append({ rows: salesRows(2) });
    await expect(deleteRows(appendOnly.log, appendOnly.snapshot, [{ column: 'vente_id', op: '=', value: 1 }])).rejects.toThrow(AppendOnlyTableError);
    await expect(updateRows(appendOnly.log, appendOnly.snapshot, [{ column: 'vente_id', op: '=', value: 1 }], { pays: 'X' })).rejects.toThrow(AppendOnlyTableError);
    expect((await DeltaTable.open(appendOnly.uri)).version).toBe(1);
  });

  it('a crash between writing the new files and the commit leaves the table as it was, readable; VACUUM removes the orphan', async () => {
    class CrashingStore extends LocalObjectStore {
      crash = false;
      override async putIfAbsent(p: string, data: Buffer | string): Promise<void> {
        if (this.crash && p.startsWith('_delta_log/')) throw new Error('simulated crash before the commit');
        return super.putIfAbsent(p, data);
      }
    }
    const dir = tempDir();
    const store = new CrashingStore(dir);
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], store });
    await table.append({ rows: salesRows(10, 1) });
    const filesBefore = await dataFiles(dir);
    store.crash = true;
    await expect(deleteRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 3 }])).rejects.toThrow(/simulated crash/);
    expect((await dataFiles(dir)).length).toBe(filesBefore.length + 1);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(1);
    expect(ids(await fresh.readRows())).toEqual(range(1, 10));
    // The orphan is older than a zero retention: vacuum deletes it and keeps the live file.
    await new Promise((r) => setTimeout(r, 5));
    const vac = await fresh.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    expect(vac.filesDeleted).toHaveLength(1);
    expect(await dataFiles(dir)).toEqual(filesBefore);
    await fs.access(path.join(dir, filesBefore[0]));
  });
});

describe('updateRows (copy-on-write)', () => {
  it('sets the assigned columns in matching rows only, rewriting only their file, with Spark’s UPDATE metrics', async () => {
    const table = await threeFiles();
    const res = await updateRows(table.log, table.snapshot, [{ column: 'vente_id', op: '>=', value: 25 }], { pays: "Côte d'Ivoire", montant: 0 });
    expect(res.numMatchedRows).toBe(6);
    const log = await readLog(table.uri, res.version!);
    const info = commitInfoOf(log);
    expect(info.operation).toBe('UPDATE');
    expect(info.operationParameters.predicate).toBe('("vente_id" >= 25)');
    expect(info.operationMetrics).toMatchObject({ numUpdatedRows: '6', numCopiedRows: '4', numRemovedFiles: '1', numAddedFiles: '1' });
    expect(actionsOf(log, 'add')[0].partitionValues).toEqual({ jour: '2024-12-13' });
    expect(statsOf(actionsOf(log, 'add')[0])).toMatchObject({ numRecords: 10, minValues: { montant: 0 } });
    const rows = await (await DeltaTable.open(table.uri)).readRows();
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      if (Number(r.vente_id) >= 25) expect([r.pays, r.montant]).toEqual(["Côte d'Ivoire", 0]);
      else expect(r.pays).not.toBe("Côte d'Ivoire");
    }
  });

  it('setting a partition column moves the rows to that partition', async () => {
    const table = await threeFiles();
    await updateRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 5 }], { jour: '2024-12-14' });
    const moved = await table.readRows([{ column: 'jour', op: '=', value: '2024-12-14' }]);
    expect(ids(moved)).toEqual([5]);
    expect(table.snapshot.numRecords()).toBe(30);
  });

  it('refuses a null for a non-nullable column and an unknown column, committing nothing', async () => {
    const table = await threeFiles();
    await expect(updateRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 5 }], { vente_id: null })).rejects.toThrow(/not nullable/);
    await expect(updateRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 5 }], { nope: 1 })).rejects.toThrow(SchemaMismatchError);
    await expect(updateRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 5 }], {})).rejects.toThrow(SchemaMismatchError);
    expect((await DeltaTable.open(table.uri)).version).toBe(3);
  });
});

describe('DELETE and UPDATE against concurrent writers (Delta’s conflict rules)', () => {
  it('WriteSerializable: a concurrent blind append does not conflict, and its rows survive even when they match', async () => {
    const table = await threeFiles();
    const deleter = await DeltaTable.open(table.uri);
    await table.append({ rows: salesRows(2, 31) });
    const res = await deleteRows(deleter.log, deleter.snapshot, [{ column: 'jour', op: '=', value: '2024-12-12' }]);
    expect(res.version).toBe(5);
    // Spark's WriteSerializable: the DELETE is serialized before the append it did not see.
    expect(ids(await (await DeltaTable.open(table.uri)).readRows())).toEqual([...range(21, 30), 31, 32]);
  });

  it('Serializable: a concurrent blind append to a partition the DELETE read conflicts (ConcurrentAppend); to another partition it does not', async () => {
    const table = await threeFiles();
    const deleter = await DeltaTable.open(table.uri);
    await table.append({ rows: salesRows(2, 31, '2024-12-13') });
    const pred = [{ column: 'jour', op: '=' as const, value: '2024-12-12' }, { column: 'vente_id', op: '<' as const, value: 3 }];
    const ok = await deleteRows(deleter.log, deleter.snapshot, pred, { isolationLevel: 'Serializable' });
    expect(ok.version).toBe(5);
    expect(commitInfoOf(await readLog(table.uri, 5)).isolationLevel).toBe('Serializable');

    const stale = await DeltaTable.open(table.uri);
    await table.update();
    await table.append({ rows: salesRows(2, 41, '2024-12-12') });
    const err = await deleteRows(stale.log, stale.snapshot, [{ column: 'vente_id', op: '=', value: 5 }], { isolationLevel: 'Serializable' }).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(err.kind).toBe('ConcurrentAppend');
  });

  it('a DELETE that read files a concurrent OPTIMIZE compacted away conflicts (ConcurrentDeleteRead)', async () => {
    const table = await threeFiles();
    const deleter = await DeltaTable.open(table.uri);
    await (await DeltaTable.open(table.uri)).optimize();
    // Statistics rule out no file, so all three are read; only id 27's file (not compacted) holds a match.
    const pred = [
      { column: 'client_id', op: '=' as const, value: 3 },
      { column: 'pays', op: '=' as const, value: 'France' },
      { column: 'vente_id', op: '!=' as const, value: 12 },
    ];
    const err = await deleteRows(deleter.log, deleter.snapshot, pred).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(err.kind).toBe('ConcurrentDeleteRead');
    // After catching up, the same DELETE goes through.
    await deleter.update();
    expect((await deleteRows(deleter.log, deleter.snapshot, [{ column: 'client_id', op: '=', value: 3 }])).numMatchedRows).toBe(6);
  });

  it('an OPTIMIZE that read files a concurrent DELETE rewrote conflicts, and the DELETE stands', async () => {
    const table = await threeFiles();
    const optimizer = await DeltaTable.open(table.uri);
    await deleteRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 1 }]);
    await expect(optimizer.optimize()).rejects.toBeInstanceOf(CommitConflictError);
    expect(ids(await (await DeltaTable.open(table.uri)).readRows())).toEqual(range(2, 30));
  });

  it('two DELETEs of rows in the same file: the second conflicts (ConcurrentDeleteDelete / Read), nothing is lost', async () => {
    const table = await threeFiles();
    const other = await DeltaTable.open(table.uri);
    await deleteRows(table.log, table.snapshot, [{ column: 'vente_id', op: '=', value: 2 }]);
    const err = await updateRows(other.log, other.snapshot, [{ column: 'vente_id', op: '=', value: 3 }], { pays: 'X' }).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(['ConcurrentDeleteDelete', 'ConcurrentDeleteRead']).toContain(err.kind);
    expect(ids(await (await DeltaTable.open(table.uri)).readRows())).toEqual(range(1, 30).filter((i) => i !== 2));
  });
});
