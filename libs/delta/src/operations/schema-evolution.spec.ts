import { addColumns, DeltaTable, field, SchemaMismatchError, struct } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { commitInfoOf, readLog } from '../../test/helpers';

async function salesTable(): Promise<DeltaTable> {
  const table = await DeltaTable.create(tempDir(), { schema: salesSchema, partitionColumns: ['jour'] });
  await table.append({ rows: salesRows(3, 1) });
  return table;
}

describe('schema evolution', () => {
  it('addColumns appends nullable columns in one ADD COLUMNS commit; old files read them as null; a second call is a no-op', async () => {
    const table = await salesTable();
    const res = await addColumns(table.log, table.snapshot, [field('canal', 'string', true), field('remise', 'double', true)]);
    expect(res.version).toBe(2);
    expect(res.added.map((f) => f.name)).toEqual(['canal', 'remise']);
    const info = commitInfoOf(await readLog(table.uri, 2));
    expect(info.operation).toBe('ADD COLUMNS');
    expect(JSON.parse(info.operationParameters.columns as string)).toEqual([
      { column: field('canal', 'string', true), position: 'LAST' },
      { column: field('remise', 'double', true), position: 'LAST' },
    ]);
    await table.append({ rows: salesRows(1, 10).map((r) => ({ ...r, canal: 'web', remise: 1.5 })) });
    const rows = await (await DeltaTable.open(table.uri)).readRows();
    expect(rows.map((r) => [r.vente_id, r.canal, r.remise])).toEqual([
      [1n, null, null],
      [2n, null, null],
      [3n, null, null],
      [10n, 'web', 1.5],
    ]);
    // Filtering on the new column works on files that lack it.
    expect((await table.readRows([{ column: 'canal', op: '=', value: 'web' }])).map((r) => r.vente_id)).toEqual([10n]);
    expect(await addColumns(table.log, table.snapshot, [field('canal', 'string', true)])).toEqual({ added: [] });
    expect(table.version).toBe(3);
  });

  it('refuses a non-nullable new column, a type change (widening too) and a name differing only in case, committing nothing', async () => {
    const table = await salesTable();
    await expect(addColumns(table.log, table.snapshot, [field('canal', 'string', false)])).rejects.toThrow(SchemaMismatchError);
    await expect(addColumns(table.log, table.snapshot, [field('client_id', 'long', true)])).rejects.toThrow(/client_id.*integer.*long/);
    await expect(addColumns(table.log, table.snapshot, [field('montant', 'float', true)])).rejects.toThrow(SchemaMismatchError);
    await expect(addColumns(table.log, table.snapshot, [field('Pays', 'string', true)])).rejects.toThrow(/case/);
    expect((await DeltaTable.open(table.uri)).version).toBe(1);
  });

  it('append with mergeSchema adds the data’s new columns in the same commit as the data', async () => {
    const table = await salesTable();
    const dataSchema = struct([...salesSchema.fields, field('canal', 'string', false)]);
    const res = await table.append({ rows: salesRows(2, 20).map((r) => ({ ...r, canal: 'magasin' })) }, { mergeSchema: dataSchema });
    expect(res.version).toBe(2);
    const log = await readLog(table.uri, 2);
    expect(log.some((a) => 'metaData' in a)).toBe(true);
    expect(commitInfoOf(log).isBlindAppend).toBe(false);
    const fresh = await DeltaTable.open(table.uri);
    // Added as nullable, as Spark does: the files before it have no value.
    expect(fresh.snapshot.schema.fields.at(-1)).toEqual(field('canal', 'string', true));
    expect((await fresh.readRows()).map((r) => r.canal)).toEqual([null, null, null, 'magasin', 'magasin']);
    // The same schema again: no metaData, a blind append.
    await table.append({ rows: salesRows(1, 30).map((r) => ({ ...r, canal: 'web' })) }, { mergeSchema: dataSchema });
    expect((await readLog(table.uri, 3)).some((a) => 'metaData' in a)).toBe(false);
  });

  it('mergeSchema refuses a type change or a widening with SchemaMismatchError, writing nothing', async () => {
    const table = await salesTable();
    const widened = struct(salesSchema.fields.map((f) => (f.name === 'client_id' ? field('client_id', 'long') : f)));
    await expect(table.append({ rows: salesRows(1, 20) }, { mergeSchema: widened })).rejects.toThrow(SchemaMismatchError);
    await expect(table.overwrite({ rows: salesRows(1, 20) }, { mergeSchema: widened })).rejects.toThrow(SchemaMismatchError);
    expect((await DeltaTable.open(table.uri)).version).toBe(1);
  });

  it('mergeSchema never drops a column: one the data lacks stays, read as null, and a non-nullable one is a SchemaMismatchError', async () => {
    const table = await salesTable();
    const withoutPays = struct(salesSchema.fields.filter((f) => f.name !== 'pays'));
    await table.append({ rows: salesRows(1, 20).map(({ pays: _pays, ...r }) => r) }, { mergeSchema: withoutPays });
    expect(table.snapshot.schema).toEqual(salesSchema);
    expect((await table.readRows([{ column: 'vente_id', op: '=', value: 20 }]))[0].pays).toBeNull();
    const withoutId = struct(salesSchema.fields.filter((f) => f.name !== 'vente_id'));
    await expect(table.append({ rows: salesRows(1, 30).map(({ vente_id: _id, ...r }) => r) }, { mergeSchema: withoutId })).rejects.toThrow(SchemaMismatchError);
    expect((await DeltaTable.open(table.uri)).version).toBe(2);
  });

  it('a writer that had not seen the ADD COLUMNS gets MetadataChanged, and after update() its rows read null in the new column', async () => {
    const table = await salesTable();
    const stale = await DeltaTable.open(table.uri);
    await addColumns(table.log, table.snapshot, [field('canal', 'string', true)]);
    // Like Spark, a concurrent metadata change conflicts: the stale writer must re-read the schema.
    await expect(stale.append({ rows: salesRows(1, 40) })).rejects.toMatchObject({ kind: 'MetadataChanged' });
    await stale.update();
    await stale.append({ rows: salesRows(1, 40) });
    expect((await stale.readRows()).find((r) => r.vente_id === 40n)?.canal).toBeNull();
  });
});
