/**
 * Issue 15 §4 and §5 with delta-rs as the reference: it reads what our DELETE, UPDATE, ADD COLUMNS
 * and mergeSchema commit (rows, schema, history with Spark's operation names and metrics), and we
 * DELETE and UPDATE a table delta-rs wrote (its own DELETE, OPTIMIZE and checkpoint included).
 */
import { addColumns, DeltaTable, deleteRows, field, struct, updateRows } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../libs/delta/test/fixtures';
import { JsonRow, readTable, sortedRows, writeTable } from './delta-rs';

const idsOf = (rows: ReadonlyArray<Record<string, unknown>>): number[] => rows.map((r) => Number(r.vente_id)).sort((a, b) => a - b);

describe('delta-rs reads our DELETE, UPDATE and schema evolution', () => {
  it('rows, numRecords and history after DELETE and UPDATE, every version', async () => {
    const dir = tempDir('interop-delete-');
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: [...salesRows(20, 1), ...salesRows(20, 21, '2024-12-13')] });
    await table.append({ rows: salesRows(10, 41) });
    const del = await deleteRows(table.log, table.snapshot, [{ column: 'client_id', op: '=', value: 2 }]);
    const upd = await updateRows(table.log, table.snapshot, [{ column: 'jour', op: '=', value: '2024-12-13' }, { column: 'montant', op: '>', value: 50 }], {
      pays: 'Luxembourg',
    });
    expect([del.version, upd.version]).toEqual([3, 4]);

    for (let v = 0; v <= table.version; v++) {
      const ours = await (await DeltaTable.open(dir, { version: v })).readRows();
      const rs = readTable(dir, { version: v });
      expect(rs.numRows).toBe(ours.length);
      expect(sortedRows(rs.rows!)).toEqual(sortedRows(ours));
    }
    const rs = readTable(dir, { history: true, files: true });
    expect(idsOf(rs.rows!)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1).filter((i) => i % 5 !== 1));
    expect(rs.rows!.filter((r) => r.pays === 'Luxembourg').map((r) => Number(r.vente_id))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 21).filter((i) => i % 5 !== 1 && i * 1.5 > 50),
    );
    // The stats of the rewritten files are ones delta-rs takes: its per-file counts add up.
    expect(rs.files!.reduce((n, f) => n + Number(f.numRecords), 0)).toBe(rs.numRows);
    const byVersion = new Map(rs.history!.map((h) => [h.version, h]));
    expect(byVersion.get(3)).toMatchObject({ operation: 'DELETE', operationMetrics: { numDeletedRows: '10', numRemovedFiles: '3', numAddedFiles: '3' } });
    expect(byVersion.get(4)).toMatchObject({ operation: 'UPDATE', operationMetrics: { numUpdatedRows: '6', numCopiedRows: '10' } });
  });

  it('the schema after ADD COLUMNS and a mergeSchema append, old rows reading null', async () => {
    const dir = tempDir('interop-schema-evolution-');
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(3, 1) });
    await addColumns(table.log, table.snapshot, [field('canal', 'string', true)]);
    await table.append({ rows: salesRows(2, 10).map((r) => ({ ...r, canal: 'web', remise: 2 })) }, {
      mergeSchema: struct([...table.snapshot.schema.fields, field('remise', 'long', true)]),
    });
    const rs = readTable(dir, { history: true });
    expect(rs.schema.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ...salesSchema.fields.map((f) => [f.name, f.type, f.nullable]),
      ['canal', 'string', true],
      ['remise', 'long', true],
    ]);
    expect(sortedRows(rs.rows!)).toEqual(sortedRows(await table.readRows()));
    expect(rs.rows!.map((r) => [Number(r.vente_id), r.canal, r.remise]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1, null, null],
      [2, null, null],
      [3, null, null],
      [10, 'web', 2],
      [11, 'web', 2],
    ]);
    expect(rs.history!.find((h) => h.version === 2)?.operation).toBe('ADD COLUMNS');
  });
});

describe('delta-rs writes, we DELETE and UPDATE', () => {
  it('a table delta-rs wrote (its DELETE, OPTIMIZE, checkpoint): our DELETE removes exactly the client’s rows, delta-rs agrees', async () => {
    const dir = tempDir('interop-rs-delete-');
    const written = writeTable(dir, 'dictionary_checkpoint', { force: true });
    const rows = written.rows!;
    const client = Number(rows[0].client_id);
    const table = await DeltaTable.open(dir);
    const res = await deleteRows(table.log, table.snapshot, [{ column: 'client_id', op: '=', value: client }]);
    const expected = rows.filter((r) => Number(r.client_id) !== client);
    expect(res.numMatchedRows).toBe(rows.length - expected.length);
    expect(res.numMatchedRows).toBeGreaterThan(0);

    const rs = readTable(dir);
    expect(rs.version).toBe(written.version + 1);
    expect(sortedRows(rs.rows!)).toEqual(sortedRows(expected));
    expect(sortedRows(await (await DeltaTable.open(dir)).readRows())).toEqual(sortedRows(expected));

    await updateRows(table.log, table.snapshot, [{ column: 'pays', op: '=', value: 'Suisse' }], { segment: null });
    const after = readTable(dir);
    const updated = (r: JsonRow): JsonRow => (r.pays === 'Suisse' ? { ...r, segment: null } : r);
    expect(sortedRows(after.rows!)).toEqual(sortedRows(expected.map(updated)));
  });
});
