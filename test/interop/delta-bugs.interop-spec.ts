/**
 * Issue 15 §1: tables delta-rs writes that libs/delta used to misread or refuse unclearly, each
 * written by delta-rs in the test (write_table.py scenarios), with delta-rs as the reference.
 */
import { Action, commitPath, DataFileMissingError, DeltaTable, parseActions, serializeActions, storeForUri } from '@app/delta';
import { describeEachBackend, tableRoot } from '../../libs/delta/test/backends';
import { sortedRows, writeTable } from './delta-rs';

const idsOf = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

async function editCommit(dir: string, version: number, edit: (actions: Action[]) => Action[]): Promise<void> {
  const store = storeForUri(dir);
  const file = commitPath(version);
  await store.put(file, serializeActions(edit(parseActions((await store.get(file)).toString('utf8')))));
}

describeEachBackend('delta-rs tables that libs/delta used to mishandle (issue 15 §1)', () => {
  it('a column added after some files were written reads as NULL in them: whole table, a pruned partition, a filter', async () => {
    const dir = tableRoot('interop-added-column');
    const written = writeTable(dir, 'added_column', { force: true });
    const table = await DeltaTable.open(dir);
    expect(sortedRows(await table.readRows())).toEqual(sortedRows(written.rows!));
    // Partition p=1 holds only files written before b existed.
    expect((await table.readRows([{ column: 'p', op: '=', value: 1 }])).map((r) => r.b)).toEqual([null, null]);
    expect(idsOf(await table.readRows([{ column: 'b', op: '=', value: 'x' }]))).toEqual([3]);
  });

  it('counts rows and reads a checkpoint that has only stats_parsed (writeStatsAsJson=false)', async () => {
    const dir = tableRoot('interop-stats-parsed');
    const written = writeTable(dir, 'stats_struct_checkpoint', { force: true });
    expect(written.checkpointVersion).toBe(2);
    const table = await DeltaTable.open(dir);
    expect(table.snapshot.numRecords()).toBe(9);
    expect(idsOf(await table.readRows())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(idsOf(await table.readRows([{ column: 'id', op: '=', value: 4 }]))).toEqual([4]);
  });

  it('time travel to a version whose files were vacuumed is a clear error, not a raw DuckDB one', async () => {
    const dir = tableRoot('interop-vacuumed');
    writeTable(dir, 'vacuumed', { force: true });
    expect(idsOf(await (await DeltaTable.open(dir)).readRows())).toEqual([3]);
    const old = await DeltaTable.open(dir, { version: 0 });
    const err = await old.readRows().catch((e: Error) => e);
    expect(err).toBeInstanceOf(DataFileMissingError);
    expect((err as Error).message).toMatch(/^a data file of this version no longer exists \(removed by VACUUM\?/);
  });

  it('a metaData without schemaString is refused naming it', async () => {
    const dir = tableRoot('interop-no-schema');
    writeTable(dir, 'nul_string', { force: true });
    await editCommit(dir, 0, (actions) =>
      actions.map((a) => {
        if (!('metaData' in a)) return a;
        const { schemaString: _dropped, ...rest } = a.metaData;
        return { metaData: rest as never };
      }),
    );
    await expect(DeltaTable.open(dir)).rejects.toThrow(/has a metaData without schemaString$/);
  });

  it('filters on a string holding a NUL character', async () => {
    const dir = tableRoot('interop-nul');
    writeTable(dir, 'nul_string', { force: true });
    const table = await DeltaTable.open(dir);
    expect(idsOf(await table.readRows([{ column: 's', op: '=', value: 'a\0b' }]))).toEqual([1]);
    expect(idsOf(await table.readRows([{ column: 's', op: 'in', value: ['a\0b', 'ab'] }]))).toEqual([1, 2]);
    expect(idsOf(await table.readRows([{ column: 's', op: '!=', value: 'a\0b' }]))).toEqual([2]);
  });

  it('reads and appends to a table with the vacuumProtocolCheck feature, which asks nothing of readers', async () => {
    const dir = tableRoot('interop-vacuum-check');
    writeTable(dir, 'nul_string', { force: true });
    // delta-rs cannot add this feature: the protocol upgrade is committed by hand, as Spark would.
    const protocol = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['vacuumProtocolCheck'], writerFeatures: ['vacuumProtocolCheck'] };
    await storeForUri(dir).put(commitPath(1), serializeActions([{ commitInfo: { timestamp: Date.now(), operation: 'ADD FEATURE' } } as Action, { protocol }]));
    const table = await DeltaTable.open(dir);
    expect(idsOf(await table.readRows())).toEqual([1, 2]);
    await table.append({ rows: [{ id: 3n, s: 'c' }] });
    // (This deltalake release refuses the feature itself, so the read back is ours.)
    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(2);
    expect(idsOf(await reopened.readRows())).toEqual([1, 2, 3]);
  });
});
