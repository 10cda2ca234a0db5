import { AddAction, DeltaTable, loadSnapshot, parseLogFileName, storeForUri } from '@app/delta';
import { TableState } from './table-state';
import { salesRows, salesSchema } from '../../test/fixtures';
import { asRead, ids, makeFolder, metadataFor, sortById, writeLog } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

const add = (p: string, size = 10): AddAction => ({ path: p, partitionValues: {}, size, modificationTime: 1, dataChange: true });

describe('TableState reconciliation', () => {
  it('add then remove leaves a tombstone; a later add of the same path revives it; last metaData/protocol win', () => {
    const s = new TableState();
    s.apply([{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, { add: add('a') }, { add: add('b') }]);
    s.apply([{ remove: { path: 'a', dataChange: true, deletionTimestamp: 5 } }]);
    expect([...s.files.keys()]).toEqual(['b']);
    expect([...s.tombstones.keys()]).toEqual(['a']);
    s.apply([{ add: add('a', 99) }, { add: add('b', 42) }]);
    expect(s.files.get('a')!.size).toBe(99);
    expect(s.files.get('b')!.size).toBe(42); // a re-add replaces (e.g. refreshed stats)
    expect(s.tombstones.size).toBe(0);
    s.apply([{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }]);
    expect(s.protocol!.minWriterVersion).toBe(3);
    const clone = s.clone();
    clone.apply([{ remove: { path: 'b', dataChange: true } }]);
    expect(s.files.has('b')).toBe(true);
    expect(clone.files.has('b')).toBe(false);
  });
});

describeEachBackend('log replay', () => {
  it('reconciles add and remove across commits', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(3, 1, '2024-12-12') });
    await table.append({ rows: salesRows(3, 10, '2024-12-12') });
    await table.append({ rows: salesRows(3, 20, '2024-12-13') });
    const v3 = (await DeltaTable.open(dir)).snapshot.files().map((f) => f.path);
    await table.overwrite({ rows: salesRows(1, 30, '2024-12-12') }, { partitions: 'dynamic' });

    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(4);
    const day12Old = v3.filter((p) => p.startsWith('jour=2024-12-12/'));
    expect(day12Old).toHaveLength(2);
    expect([...fresh.snapshot.state.tombstones.keys()].sort()).toEqual(day12Old.sort());
    expect(fresh.snapshot.files().map((f) => f.path)).not.toEqual(expect.arrayContaining(day12Old));
    expect(fresh.snapshot.files()).toHaveLength(2);
    expect(fresh.snapshot.numRecords()).toBe(4);
    expect(ids(await fresh.readRows())).toEqual([20, 21, 22, 30]);
  });

  it('replays hand-written logs from another engine (unknown actions and fields ignored)', async () => {
    const dir = tableRoot();
    const store = storeForUri(dir);
    await writeLog(dir, 0, [
      { commitInfo: { timestamp: 1, operation: 'CREATE TABLE', operationParameters: {} } },
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { metaData: metadataFor(salesSchema, ['jour']) },
    ]);
    await writeLog(dir, 1, [{ add: { ...add('jour=2024-12-12/a.parquet'), partitionValues: { jour: '2024-12-12' } } }]);
    const v1 = '_delta_log/00000000000000000001.json';
    await store.put(v1, (await store.get(v1)).toString('utf8') + '{"domainMetadata":{"domain":"x","configuration":"{}","removed":false}}\n');
    await writeLog(dir, 2, [{ remove: { path: 'jour=2024-12-12/a.parquet', dataChange: true, deletionTimestamp: 3 } }]);
    const snap = await loadSnapshot(store, dir);
    expect(snap.version).toBe(2);
    expect(snap.files()).toEqual([]);
    expect([...snap.state.tombstones.keys()]).toEqual(['jour=2024-12-12/a.parquet']);
  });

  it('fails clearly when a commit in the middle of the log is missing', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    for (let i = 0; i < 5; i++) await table.append({ rows: salesRows(1, i + 1) });
    await storeForUri(dir).delete('_delta_log/00000000000000000003.json');
    await expect(DeltaTable.open(dir)).rejects.toThrow('the Delta log is missing version 3 (found 4)');
    // Versions before the gap are still readable.
    expect(ids(await (await DeltaTable.open(dir, { version: 2 })).readRows())).toEqual([1, 2]);
  });

  it('fails clearly when version 0 is missing and there is no checkpoint', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema });
    await table.append({ rows: salesRows(1) });
    await storeForUri(dir).delete('_delta_log/00000000000000000000.json');
    await expect(DeltaTable.open(dir)).rejects.toThrow(/missing version 0/);
  });

  it('ignores files in _delta_log it does not know (.crc, temp files, compacted logs)', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(2) });
    for (const name of ['00000000000000000001.crc', '.tmp-1234', '00000000000000000000.00000000000000000001.compacted.json', '00000000000000000009.json.tmp']) {
      await storeForUri(dir).put(`_delta_log/${name}`, 'garbage');
    }
    await makeFolder(dir, '_delta_log/_sidecars');
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(1);
    expect(sortById(await fresh.readRows())).toEqual(asRead(salesRows(2)));
  });

  it('update() applies the commits made by others since the snapshot', async () => {
    const dir = tableRoot();
    const writer = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    const reader = await DeltaTable.open(dir);
    for (let i = 0; i < 3; i++) await writer.append({ rows: salesRows(2, i * 10) });
    expect(await reader.update()).toBe(3);
    expect(reader.version).toBe(3);
    expect(await reader.update()).toBe(0);
    expect(ids(await reader.readRows())).toEqual([0, 1, 10, 11, 20, 21]);
  });

  it('parses log file names', () => {
    expect(parseLogFileName('00000000000000000007.json')).toEqual({ kind: 'commit', version: 7 });
    expect(parseLogFileName('00000000000000000010.checkpoint.parquet')).toEqual({ kind: 'checkpoint', version: 10 });
    expect(parseLogFileName('00000000000000000010.checkpoint.0000000001.0000000002.parquet')).toEqual({
      kind: 'multipart-checkpoint',
      version: 10,
      part: 1,
      parts: 2,
    });
    expect(parseLogFileName('00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json')).toEqual({ kind: 'v2-checkpoint', version: 10 });
    for (const n of ['_last_checkpoint', '00000000000000000001.crc', '1.json', '.tmp-x']) expect(parseLogFileName(n)).toBeUndefined();
  });
});
