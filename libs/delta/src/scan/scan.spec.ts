import { DeltaTable, Filter, Row } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { asRead, ids, range, sortById } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

/** Four files: ids 1-10 and 11-20 on the 12th, 21-30 and 31-40 on the 13th. */
async function fourFiles(): Promise<{ table: DeltaTable; all: Row[] }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  const batches = [salesRows(10, 1, '2024-12-12'), salesRows(10, 11, '2024-12-12'), salesRows(10, 21, '2024-12-13'), salesRows(10, 31, '2024-12-13')];
  for (const rows of batches) await table.append({ rows });
  return { table: await DeltaTable.open(dir), all: batches.flat() };
}

describeEachBackend('scan: partition pruning and stats skipping', () => {
  let table: DeltaTable;
  let all: Row[];
  beforeAll(async () => {
    ({ table, all } = await fourFiles());
  });

  const expectRows = async (filters: Filter[], keep: (r: Row) => boolean) => {
    expect(sortById(await table.readRows(filters))).toEqual(asRead(all.filter(keep)));
  };
  const id = (r: Row) => Number(r.vente_id);

  it('without filters scans every file and returns every row', async () => {
    expect((await table.scan()).files).toHaveLength(4);
    expect(sortById(await table.readRows())).toEqual(asRead(all));
  });

  it('prunes on the partition column', async () => {
    const plan = await table.scan([{ column: 'jour', op: '=', value: '2024-12-12' }]);
    expect(plan.files).toHaveLength(2);
    expect(plan.files.every((f) => f.partitionValues.jour === '2024-12-12')).toBe(true);
    await expectRows([{ column: 'jour', op: '=', value: '2024-12-12' }], (r) => r.jour === '2024-12-12');
    expect((await table.scan([{ column: 'jour', op: '>', value: '2024-12-12' }])).files).toHaveLength(2);
    expect((await table.scan([{ column: 'jour', op: 'in', value: ['2024-12-01', '2024-12-13'] }])).files).toHaveLength(2);
    expect((await table.scan([{ column: 'jour', op: '!=', value: '2024-12-13' }])).files).toHaveLength(2);
    expect((await table.scan([{ column: 'jour', op: '=', value: new Date('2024-12-13T00:00:00Z') }])).files).toHaveLength(2);
    expect((await table.scan([{ column: 'jour', op: '=', value: '2025-01-01' }])).files).toHaveLength(0);
    expect(await table.readRows([{ column: 'jour', op: '=', value: '2025-01-01' }])).toEqual([]);
  });

  it('skips files on vente_id min/max stats', async () => {
    const lt = await table.scan([{ column: 'vente_id', op: '<', value: 11 }]);
    expect(lt.files).toHaveLength(1);
    expect(JSON.parse(lt.files[0].stats!).minValues.vente_id).toBe(1);
    await expectRows([{ column: 'vente_id', op: '<', value: 11 }], (r) => id(r) < 11);

    expect((await table.scan([{ column: 'vente_id', op: '<=', value: 11 }])).files).toHaveLength(2);
    await expectRows([{ column: 'vente_id', op: '<=', value: 11 }], (r) => id(r) <= 11);

    expect((await table.scan([{ column: 'vente_id', op: '>=', value: 35 }])).files).toHaveLength(1);
    await expectRows([{ column: 'vente_id', op: '>=', value: 35 }], (r) => id(r) >= 35);

    expect((await table.scan([{ column: 'vente_id', op: '>', value: 40 }])).files).toHaveLength(0);
    expect((await table.scan([{ column: 'vente_id', op: '=', value: 20 }])).files).toHaveLength(1);
    expect((await table.scan([{ column: 'vente_id', op: 'in', value: [5, 25] }])).files).toHaveLength(2);
    expect((await table.scan([{ column: 'vente_id', op: '=', value: 20n }])).files).toHaveLength(1);
    await expectRows([{ column: 'vente_id', op: 'in', value: [5, 25, 99] }], (r) => [5, 25].includes(id(r)));
  });

  it('combines ranges and partition filters (conjunction)', async () => {
    const filters: Filter[] = [
      { column: 'vente_id', op: '>=', value: 15 },
      { column: 'vente_id', op: '<', value: 26 },
    ];
    expect((await table.scan(filters)).files).toHaveLength(2);
    await expectRows(filters, (r) => id(r) >= 15 && id(r) < 26);

    const withDay: Filter[] = [...filters, { column: 'jour', op: '=', value: '2024-12-13' }];
    expect((await table.scan(withDay)).files).toHaveLength(1);
    await expectRows(withDay, (r) => id(r) >= 21 && id(r) < 26);
  });

  it('filters on non-skippable data exactly (rows, not just files)', async () => {
    await expectRows([{ column: 'pays', op: '=', value: 'France' }], (r) => r.pays === 'France');
    await expectRows([{ column: 'montant', op: '>', value: 50 }], (r) => (r.montant as number) > 50);
    await expectRows([{ column: 'client_id', op: '!=', value: 3 }], (r) => r.client_id !== 3);
  });

  it('refuses a filter on an unknown column', async () => {
    await expect(table.scan([{ column: 'nope', op: '=', value: 1 }])).rejects.toThrow(/unknown column "nope"/);
  });
});

describeEachBackend('scan: timestamps and nulls', () => {
  it('skips on millisecond timestamp stats without losing sub-millisecond rows', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    const ts = (i: number, day = '2024-12-12') => `${day}T10:00:0${i}.123456Z`;
    await table.append({ rows: range(0, 9).map((i) => ({ vente_id: i, timestamp: ts(i), jour: '2024-12-12' })) });
    await table.append({ rows: range(0, 9).map((i) => ({ vente_id: 100 + i, timestamp: ts(i, '2024-12-14'), jour: '2024-12-14' })) });

    // Max stat is 10:00:09.124; a row at .123456 and a filter at .1235 sit inside the same millisecond.
    const atEdge: Filter[] = [{ column: 'timestamp', op: '>=', value: '2024-12-12T10:00:09.123456Z' }, { column: 'jour', op: '=', value: '2024-12-12' }];
    expect(ids(await table.readRows(atEdge))).toEqual([9]);
    const justAfter: Filter[] = [{ column: 'timestamp', op: '>', value: '2024-12-12T10:00:09.123500Z' }, { column: 'jour', op: '=', value: '2024-12-12' }];
    expect((await table.scan(justAfter)).files).toHaveLength(1); // within the ms: kept, conservatively
    expect(await table.readRows(justAfter)).toEqual([]);

    expect((await table.scan([{ column: 'timestamp', op: '>', value: '2024-12-13T00:00:00Z' }])).files).toHaveLength(1);
    expect((await table.scan([{ column: 'timestamp', op: '<', value: '2024-12-12T10:00:00.123Z' }])).files).toHaveLength(0);
    expect(ids(await table.readRows([{ column: 'timestamp', op: '<', value: '2024-12-12T10:00:01.123457' }]))).toEqual([0, 1]);
    expect(ids(await table.readRows([{ column: 'timestamp', op: '=', value: '2024-12-14T10:00:05.123456Z' }]))).toEqual([105]);
  });

  it('compares strings in the byte (code point) order of the stats, not JS UTF-16 order', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    // U+FF21 sorts below U+1F600 by code point, above it by UTF-16 code unit.
    await table.append({ rows: [{ vente_id: 1, pays: '\uFF21', jour: '2024-12-12' }, { vente_id: 2, pays: '\u{1F600}', jour: '2024-12-12' }] });
    expect(JSON.parse(table.snapshot.files()[0].stats!).maxValues.pays).toBe('\u{1F600}');
    expect(ids(await table.readRows([{ column: 'pays', op: '=', value: '\uFF21' }]))).toEqual([1]);
    expect(ids(await table.readRows([{ column: 'pays', op: '>=', value: '\uFF21' }]))).toEqual([1, 2]);
    expect(ids(await table.readRows([{ column: 'pays', op: '<', value: '\u{1F600}' }]))).toEqual([1]);
    expect((await table.scan([{ column: 'pays', op: '>', value: '\u{1F600}' }])).files).toHaveLength(0);
  });

  it('skips files whose column is all null', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: [{ vente_id: 1, pays: null, jour: '2024-12-12' }, { vente_id: 2, pays: null, jour: '2024-12-12' }] });
    await table.append({ rows: [{ vente_id: 3, pays: 'France', jour: '2024-12-12' }] });
    expect((await table.scan([{ column: 'pays', op: '!=', value: 'x' }])).files).toHaveLength(1);
    expect(ids(await table.readRows([{ column: 'pays', op: '!=', value: 'x' }]))).toEqual([3]);
  });
});
