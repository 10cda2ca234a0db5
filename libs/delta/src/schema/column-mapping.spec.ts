import { commitPath, DeltaTable, LocalObjectStore, serializeActions, sqlIdent, sqlString, UnsupportedProtocolError, withConnection } from '@app/delta';
import { tempDir } from '../../test/fixtures';

/**
 * A table as Spark writes one with column mapping: Parquet columns named by physical name and
 * carrying field ids, partition values and stats keyed by physical name. `fileNames` lets a file
 * name its columns otherwise, to tell id resolution from name resolution.
 */
async function mappedTable(mode: 'name' | 'id', fileNames = { id: 'col-id', label: 'col-label' }): Promise<string> {
  const dir = tempDir();
  const store = new LocalObjectStore(dir);
  const file = 'part=FR/data.parquet';
  const staging = await store.stagingPath(file);
  const [id, label] = [sqlIdent(fileNames.id), sqlIdent(fileNames.label)];
  await withConnection((conn) =>
    conn.run(`COPY (SELECT range AS ${id}, 'v' || range AS ${label} FROM range(5)) TO ${sqlString(staging)} (FORMAT parquet, FIELD_IDS {${id}: 1, ${label}: 2})`),
  );
  await store.publish(file, staging);
  const field = (name: string, type: string, id: number) => ({
    name,
    type,
    nullable: true,
    metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': `col-${['id', 'label', 'part'][id - 1]}` },
  });
  const schema = { type: 'struct', fields: [field('id', 'long', 1), field('label', 'string', 2), field('pays', 'string', 3)] };
  const stats = { numRecords: 5, minValues: { 'col-id': 0, 'col-label': 'v0' }, maxValues: { 'col-id': 4, 'col-label': 'v4' }, nullCount: { 'col-id': 0, 'col-label': 0 } };
  await store.putIfAbsent(
    commitPath(0),
    serializeActions([
      { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
      {
        metaData: {
          id: 'cm',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(schema),
          partitionColumns: ['pays'],
          configuration: { 'delta.columnMapping.mode': mode, 'delta.columnMapping.maxColumnId': '3' },
          createdTime: 0,
        },
      },
      { add: { path: file, partitionValues: { 'col-part': 'FR' }, size: 1, modificationTime: 0, dataChange: true, stats: JSON.stringify(stats) } },
    ]),
  );
  return dir;
}

const expected = [0, 1, 2, 3, 4].map((i) => ({ id: BigInt(i), label: `v${i}`, pays: 'FR' }));

describe('column mapping', () => {
  it('name mode: columns, partition values and stats by physical name', async () => {
    const table = await DeltaTable.open(await mappedTable('name'));
    expect(table.snapshot.columnMappingMode).toBe('name');
    expect(await table.readRows()).toEqual(expected);
    expect(await table.readRows([{ column: 'pays', op: '=', value: 'FR' }])).toEqual(expected);
    expect((await table.scan([{ column: 'pays', op: '=', value: 'DE' }])).files).toHaveLength(0);
    expect((await table.scan([{ column: 'id', op: '>', value: 4 }])).files).toHaveLength(0);
    expect(await table.readRows([{ column: 'id', op: '>=', value: 3 }])).toEqual(expected.slice(3));
  });

  it('id mode: columns by Parquet field id, whatever the file calls them', async () => {
    const table = await DeltaTable.open(await mappedTable('id', { id: 'renamed_a', label: 'renamed_b' }));
    expect(table.snapshot.columnMappingMode).toBe('id');
    expect(await table.readRows()).toEqual(expected);
    expect(await table.readRows([{ column: 'label', op: '=', value: 'v2' }])).toEqual([expected[2]]);
  });

  it('refuses writes, naming column mapping', async () => {
    const table = await DeltaTable.open(await mappedTable('name'));
    await expect(table.append({ rows: [{ id: 9n, label: 'x', pays: 'FR' }] })).rejects.toThrow(UnsupportedProtocolError);
    await expect(table.append({ rows: [{ id: 9n, label: 'x', pays: 'FR' }] })).rejects.toThrow(/writer version 5 \(column mapping\)/);
  });
});
