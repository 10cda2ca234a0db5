import { AppendOnlyTableError, DeltaTable, expirePartitions } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { describeEachBackend, tableRoot } from '../../test/backends';

async function tableWithDays(days: string[], configuration?: Record<string, string>): Promise<DeltaTable> {
  const table = await DeltaTable.create(tableRoot(), { schema: salesSchema, partitionColumns: ['jour'], configuration });
  let id = 1;
  for (const day of days) {
    // Two files per day, so a partition is removed whole.
    for (let i = 0; i < 2; i++, id += 3) await table.append({ rows: salesRows(3, id, day) });
  }
  return table;
}

describeEachBackend('expirePartitions', () => {
  it('removes exactly the days before the cutoff, in one commit of dataChange removes', async () => {
    const table = await tableWithDays(['2024-12-10', '2024-12-11', '2024-12-12', '2024-12-13']);
    const before = table.version;
    const result = await expirePartitions(table, { column: 'jour', before: '2024-12-12' });
    expect(result).toEqual({ version: before + 1, partitionsRemoved: ['2024-12-10', '2024-12-11'], filesRemoved: 4 });
    const reopened = await DeltaTable.open(table.uri);
    expect([...new Set(reopened.snapshot.files().map((f) => f.partitionValues.jour))].sort()).toEqual(['2024-12-12', '2024-12-13']);
    expect((await reopened.readRows()).length).toBe(12);
    const [entry] = await reopened.history(1);
    expect(entry).toMatchObject({ version: before + 1, operation: 'DELETE' });
    // Time travel still sees the expired days until VACUUM.
    expect((await (await DeltaTable.open(table.uri, { version: before })).readRows()).length).toBe(24);
    // Nothing more to expire: no commit.
    expect(await expirePartitions(reopened, { column: 'jour', before: '2024-12-12' })).toEqual({ partitionsRemoved: [], filesRemoved: 0 });
    expect((await DeltaTable.open(table.uri)).version).toBe(before + 1);
  });

  it('refuses an append-only table with a typed error, and bad arguments naming them', async () => {
    const table = await tableWithDays(['2024-12-10', '2024-12-13'], { 'delta.appendOnly': 'true' });
    await expect(expirePartitions(table, { column: 'jour', before: '2024-12-12' })).rejects.toBeInstanceOf(AppendOnlyTableError);
    await expect(expirePartitions(table, { column: 'client_id', before: '2024-12-12' })).rejects.toThrow(/"client_id" is not a partition column/);
    await expect(expirePartitions(table, { column: 'jour', before: '12/12/2024' })).rejects.toThrow(/YYYY-MM-DD/);
  });
});
