import { CellValue, DeltaTable, field, planScan, PrimitiveType, Row, SchemaViolationError, struct } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { actionsOf, asRead, commitInfoOf, commitVersions, dataFiles, fileSize, parquetColumns, query, readablePath, readLog, sortById, statsOf } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

const DATA_FILE = /^part-00000-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-c000\.snappy\.parquet$/;

async function salesTable(): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  return { dir, table };
}

describeEachBackend('append', () => {
  it('writes one Parquet file per partition in Hive folders and commits their add actions', async () => {
    const { dir, table } = await salesTable();
    const rows = [...salesRows(10, 1, '2024-12-12'), ...salesRows(5, 11, '2024-12-13')];
    const summary = await table.append({ rows });
    expect(summary).toEqual({ version: 1, addedFiles: 2, removedFiles: 0 });
    expect(table.version).toBe(1);

    const files = await dataFiles(dir);
    expect(files).toHaveLength(2);
    expect(files.map((f) => f.split('/')[0]).sort()).toEqual(['jour=2024-12-12', 'jour=2024-12-13']);
    for (const f of files) expect(f.split('/')[1]).toMatch(DATA_FILE);

    const log = await readLog(dir, 1);
    const info = commitInfoOf(log);
    expect(info).toMatchObject({
      operation: 'WRITE',
      operationParameters: { mode: 'Append', partitionBy: '["jour"]' },
      operationMetrics: { numFiles: '2', numOutputRows: '15' },
      readVersion: 0,
      isBlindAppend: true,
    });
    const adds = actionsOf(log, 'add').sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(adds.map((a) => a.path)).toEqual(files);
    expect(adds.map((a) => a.partitionValues)).toEqual([{ jour: '2024-12-12' }, { jour: '2024-12-13' }]);
    for (const a of adds) {
      expect(a.size).toBe(await fileSize(dir, a.path));
      expect(a.dataChange).toBe(true);
      expect(Number.isInteger(a.modificationTime)).toBe(true);
    }
    expect(actionsOf(log, 'remove')).toEqual([]);

    const read = await (await DeltaTable.open(dir)).readRows();
    expect(sortById(read)).toEqual(asRead(rows));
  });

  it('maps Delta types to the Parquet types of the protocol and leaves the partition column out of the file', async () => {
    const { dir, table } = await salesTable();
    await table.append({ rows: salesRows(4) });
    const [add] = table.snapshot.files();
    const file = await readablePath(dir, add.path);
    const cols = await parquetColumns(file);
    expect(cols.map((c) => c.name)).toEqual(['vente_id', 'client_id', 'timestamp', 'montant', 'pays']);
    const byName = Object.fromEntries(cols.map((c) => [c.name, c]));
    expect(byName.vente_id.type).toBe('INT64');
    expect(byName.client_id.type).toBe('INT32');
    expect(byName.timestamp.type).toBe('INT64');
    expect(byName.timestamp.converted_type).toBe('TIMESTAMP_MICROS');
    expect(byName.timestamp.logical_type).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(.*MICROS=MicroSeconds\(\)/);
    expect(byName.timestamp.logical_type).not.toMatch(/NANOS=NanoSeconds/);
    expect(byName.montant.type).toBe('DOUBLE');
    expect(byName.pays.type).toBe('BYTE_ARRAY');
    expect(byName.pays.converted_type).toBe('UTF8');

    const content = await query(`SELECT * FROM read_parquet('${file}', hive_partitioning=false) ORDER BY vente_id`);
    expect(content).toHaveLength(4);
    expect(Object.keys(content[0])).not.toContain('jour');
  });

  it('writes date columns as INT32 DATE', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('id', 'long', false), field('jour', 'date')]) });
    await table.append({ rows: [{ id: 1, jour: '2024-12-12' }, { id: 2, jour: new Date('2024-02-29T00:00:00Z') }] });
    const cols = await parquetColumns(await readablePath(dir, table.snapshot.files()[0].path));
    expect(cols.find((c) => c.name === 'jour')).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
    expect(await table.readRows()).toEqual([
      { id: 1n, jour: '2024-12-12' },
      { id: 2n, jour: '2024-02-29' },
    ]);
    const stats = statsOf(table.snapshot.files()[0]);
    expect(stats.minValues.jour).toBe('2024-02-29');
    expect(stats.maxValues.jour).toBe('2024-12-12');
  });

  it('records stats: numRecords, min/max, nullCount, timestamps exact to the microsecond, no partition column', async () => {
    const { table } = await salesTable();
    await table.append({ rows: salesRows(10) });
    const [add] = table.snapshot.files();
    const stats = statsOf(add);
    expect(stats).toEqual({
      numRecords: 10,
      minValues: { vente_id: 1, client_id: 1, timestamp: '2024-12-12T10:00:00.123456Z', montant: 1.5, pays: 'Belgique' },
      maxValues: { vente_id: 10, client_id: 5, timestamp: '2024-12-12T10:09:00.123456Z', montant: 15, pays: 'Suisse' },
      nullCount: { vente_id: 0, client_id: 0, timestamp: 0, montant: 0, pays: 0 },
    });
    expect(add.stats).not.toMatch(/jour/);
  });

  it('counts nulls, omits min/max of an all-null column, timestamps exact to the microsecond', async () => {
    const { table } = await salesTable();
    const rows: Row[] = [
      { vente_id: 1, client_id: null, timestamp: '2024-12-12T10:00:00.500Z', montant: null, pays: 'France', jour: '2024-12-12' },
      { vente_id: 2, client_id: 7, timestamp: '2024-12-12T10:00:01Z', montant: null, pays: null, jour: '2024-12-12' },
      { vente_id: 3, client_id: null, timestamp: null, montant: null, pays: 'Suisse', jour: '2024-12-12' },
    ];
    await table.append({ rows });
    const stats = statsOf(table.snapshot.files()[0]);
    expect(stats.numRecords).toBe(3);
    expect(stats.nullCount).toEqual({ vente_id: 0, client_id: 2, timestamp: 1, montant: 3, pays: 1 });
    expect(stats.minValues).toEqual({ vente_id: 1, client_id: 7, timestamp: '2024-12-12T10:00:00.500000Z', pays: 'France' });
    expect(stats.maxValues).toEqual({ vente_id: 3, client_id: 7, timestamp: '2024-12-12T10:00:01.000000Z', pays: 'Suisse' });
    expect(await table.readRows()).toEqual([
      { vente_id: 1n, client_id: null, timestamp: '2024-12-12T10:00:00.500000Z', montant: null, pays: 'France', jour: '2024-12-12' },
      { vente_id: 2n, client_id: 7, timestamp: '2024-12-12T10:00:01.000000Z', montant: null, pays: null, jour: '2024-12-12' },
      { vente_id: 3n, client_id: null, timestamp: null, montant: null, pays: 'Suisse', jour: '2024-12-12' },
    ]);
  });

  it('timestamp stats of instants before 1970 are exact and bound the data', async () => {
    const { table } = await salesTable();
    await table.append({
      rows: [
        { vente_id: 1, timestamp: '1969-12-31T23:59:59.999500Z', jour: '1969-12-31' },
        { vente_id: 2, timestamp: '1969-12-31T23:59:59.999700Z', jour: '1969-12-31' },
      ],
    });
    const stats = statsOf(table.snapshot.files()[0]);
    expect(stats.minValues.timestamp).toBe('1969-12-31T23:59:59.999500Z');
    expect(stats.maxValues.timestamp).toBe('1969-12-31T23:59:59.999700Z');
    const rows = await table.readRows([{ column: 'timestamp', op: '<', value: '1969-12-31T23:59:59.999600Z' }]);
    expect(rows.map((r) => r.vente_id)).toEqual([1n]);
  });

  it('float stats are the stored float32 values, so the values read back are found again', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('id', 'long', false), field('f', 'float')]) });
    await table.append({ rows: [{ id: 1, f: 0.1 }, { id: 2, f: -0.1 }] });
    const stats = statsOf(table.snapshot.files()[0]);
    expect(stats.minValues.f).toBe(Math.fround(-0.1));
    expect(stats.maxValues.f).toBe(Math.fround(0.1));
    const read = (await table.readRows()).sort((a, b) => Number(a.id) - Number(b.id));
    expect(read).toEqual([
      { id: 1n, f: Math.fround(0.1) },
      { id: 2n, f: Math.fround(-0.1) },
    ]);
    expect(await table.readRows([{ column: 'f', op: '=', value: read[0].f }])).toEqual([read[0]]);
    expect(await table.readRows([{ column: 'f', op: '=', value: read[1].f }])).toEqual([read[1]]);
  });

  it('takes timestamps without an offset as UTC and converts offsets', async () => {
    const { table } = await salesTable();
    await table.append({
      rows: [
        { vente_id: 1, timestamp: '2024-12-12T10:15:23.123456', jour: '2024-12-12' },
        { vente_id: 2, timestamp: '2024-12-12T11:15:23+01:00', jour: '2024-12-12' },
        { vente_id: 3, timestamp: new Date('2024-12-12T10:15:23.5Z'), jour: '2024-12-12' },
        { vente_id: 4, timestamp: 1734000000000001n, jour: '2024-12-12' },
      ],
    });
    expect((await table.readRows()).map((r) => r.timestamp)).toEqual([
      '2024-12-12T10:15:23.123456Z',
      '2024-12-12T10:15:23.000000Z',
      '2024-12-12T10:15:23.500000Z',
      '2024-12-12T10:40:00.000001Z',
    ]);
  });

  describe('schema violations', () => {
    const cases: Array<[string, (rows: Row[]) => void, string, RegExp]> = [
      ['null in the non-null column vente_id', (r) => (r[3].vente_id = null), 'vente_id', /not nullable/],
      ['a missing non-null value', (r) => delete r[3].vente_id, 'vente_id', /not nullable/],
      ['a string in the double column montant', (r) => (r[3].montant = '12.5'), 'montant', /expected a number, got string "12.5"/],
      ['an integer above 2^31-1', (r) => (r[3].client_id = 2147483648), 'client_id', /expected an integer in \[-2147483648, 2147483647\]/],
      ['an integer below -2^31', (r) => (r[3].client_id = -2147483649), 'client_id', /integer in \[-2147483648, 2147483647\]/],
      ['a fractional integer', (r) => (r[3].client_id = 1.5), 'client_id', /integer/],
      ['a long number beyond 2^53 (not exact)', (r) => (r[3].vente_id = 2 ** 53 + 2), 'vente_id', /64-bit integer/],
      ['a bigint beyond 2^63-1', (r) => (r[3].vente_id = 2n ** 63n), 'vente_id', /64-bit integer/],
      ['an unparseable timestamp', (r) => (r[3].timestamp = 'yesterday'), 'timestamp', /timestamp/],
      ['an impossible date', (r) => (r[3].jour = '2024-02-30'), 'jour', /date/],
      ['a number in a string column', (r) => (r[3].pays = 33), 'pays', /a string/],
    ];

    it.each(cases)('%s gives SchemaViolationError naming column and row, and changes nothing', async (_name, corrupt, column, message) => {
      const { dir, table } = await salesTable();
      await table.append({ rows: salesRows(5) });
      const filesBefore = await dataFiles(dir);
      const rows = salesRows(6, 100);
      corrupt(rows);
      const err = await table.append({ rows }).catch((e) => e);
      expect(err).toBeInstanceOf(SchemaViolationError);
      expect(err.column).toBe(column);
      expect(err.row).toBe(3);
      expect(err.message).toContain(`row 3`);
      expect(err.message).toContain(`"${column}"`);
      expect(err.message).toMatch(message);
      expect(table.version).toBe(1);
      expect(await commitVersions(dir)).toEqual([0, 1]);
      expect(await dataFiles(dir)).toEqual(filesBefore);
      const fresh = await DeltaTable.open(dir);
      expect(fresh.version).toBe(1);
      expect(await fresh.readRows()).toEqual(asRead(salesRows(5)));
    });

    it('a SQL source producing null in a non-null column is refused the same way', async () => {
      const { dir, table } = await salesTable();
      const err = await table
        .append({ sql: `SELECT NULL::BIGINT AS vente_id, 1 AS client_id, DATE '2024-12-12' AS jour` })
        .catch((e) => e);
      expect(err).toBeInstanceOf(SchemaViolationError);
      expect(err.column).toBe('vente_id');
      expect(await commitVersions(dir)).toEqual([0]);
      expect(await dataFiles(dir)).toEqual([]);
    });
  });

  it('round-trips longs beyond 2^53 exactly and never skips them on stats', async () => {
    const { dir, table } = await salesTable();
    // One file whose max (2^53 + 1) rounds down as a JS number, one at the int64 limits.
    await table.append({ rows: [1n, 9007199254740993n].map((id) => ({ vente_id: id, jour: '2024-12-12' })) });
    await table.append({ rows: [9223372036854775807n, -9223372036854775808n].map((id) => ({ vente_id: id, jour: '2024-12-13' })) });
    const fresh = await DeltaTable.open(dir);
    const all = [-9223372036854775808n, 1n, 9007199254740993n, 9223372036854775807n];
    expect(sortById(await fresh.readRows()).map((r) => r.vente_id)).toEqual(all);

    // Whatever bounds the stats give, they must contain every value of the file (a reader trusting them would skip otherwise).
    for (const add of fresh.snapshot.files()) {
      const inFile = add.partitionValues.jour === '2024-12-12' ? [1n, 9007199254740993n] : [-9223372036854775808n, 9223372036854775807n];
      const maxText = /"maxValues":\{[^}]*"vente_id":(-?[\d.e+]+)/.exec(add.stats!)?.[1];
      const minText = /"minValues":\{[^}]*"vente_id":(-?[\d.e+]+)/.exec(add.stats!)?.[1];
      if (maxText !== undefined) expect(BigInt(maxText) >= inFile[1]).toBe(true);
      if (minText !== undefined) expect(BigInt(minText) <= inFile[0]).toBe(true);
    }

    const ids = async (filter: Parameters<DeltaTable['readRows']>[0]) => sortById(await fresh.readRows(filter)).map((r) => r.vente_id);
    expect(await ids([{ column: 'vente_id', op: '=', value: 9007199254740993n }])).toEqual([9007199254740993n]);
    expect(await ids([{ column: 'vente_id', op: '>', value: 9007199254740992n }])).toEqual([9007199254740993n, 9223372036854775807n]);
    expect(await ids([{ column: 'vente_id', op: '>=', value: 9007199254740993n }, { column: 'jour', op: '=', value: '2024-12-12' }])).toEqual([
      9007199254740993n,
    ]);
    expect(await ids([{ column: 'vente_id', op: '<', value: -9223372036854775807n }])).toEqual([-9223372036854775808n]);
  });

  it('prunes long partition values beyond 2^53 exactly', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('id', 'long', false), field('shard', 'long')]), partitionColumns: ['shard'] });
    await table.append({ rows: [{ id: 1, shard: 9007199254740993n }, { id: 2, shard: 9007199254740992n }] });
    expect(table.snapshot.files().map((f) => f.partitionValues.shard).sort()).toEqual(['9007199254740992', '9007199254740993']);
    expect((await table.readRows()).map((r) => [r.id, r.shard]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1n, 9007199254740993n],
      [2n, 9007199254740992n],
    ]);
    const plan = await table.scan([{ column: 'shard', op: '>', value: 9007199254740992n }]);
    expect(plan.files.map((f) => f.partitionValues.shard)).toEqual(['9007199254740993']);
    expect(await table.readRows([{ column: 'shard', op: '>', value: 9007199254740992n }])).toEqual([{ id: 1n, shard: 9007199254740993n }]);
    expect((await table.scan([{ column: 'shard', op: '=', value: 9007199254740992n }])).files.map((f) => f.partitionValues.shard)).toEqual([
      '9007199254740992',
    ]);
  });

  it('long stats of another writer that JSON numbers cannot hold exactly are not trusted for skipping', async () => {
    const { table } = await salesTable();
    await table.append({ rows: [{ vente_id: 9007199254740993n, jour: '2024-12-12' }] });
    // Exact stats as Spark writes them; JSON.parse rounds 9007199254740993 down to 9007199254740992.
    const [add] = table.snapshot.files();
    const exact = {
      ...add,
      stats: '{"numRecords":1,"minValues":{"vente_id":9007199254740993},"maxValues":{"vente_id":9007199254740993},"nullCount":{"vente_id":0}}',
    };
    const filter = [{ column: 'vente_id', op: '>' as const, value: 9007199254740992n }];
    expect((await planScan(table.store, salesSchema, ['jour'], [exact], filter)).files).toEqual([exact]);
    // Safe-integer stats still skip.
    const safe = { ...add, stats: '{"numRecords":1,"minValues":{"vente_id":100},"maxValues":{"vente_id":200},"nullCount":{"vente_id":0}}' };
    expect((await planScan(table.store, salesSchema, ['jour'], [exact, safe], [{ column: 'vente_id', op: '<', value: 10 }])).files).toEqual([exact]);
  });

  const partitionTypes: Array<[PrimitiveType, CellValue, string, CellValue]> = [
    ['timestamp', '2024-12-12T10:00:00.5Z', '2024-12-12T10:00:00.500000Z', '2024-12-12T10:00:00.500000Z'],
    ['boolean', true, 'true', true],
    ['double', 1.5, '1.5', 1.5],
    ['integer', 7, '7', 7],
    ['string', 'France', 'France', 'France'],
    ['date', '2024-12-12', '2024-12-12', '2024-12-12'],
  ];
  it.each(partitionTypes)('partitions by a %s column: value serialised in the log, read back and filtered', async (type, value, logged, read) => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('id', 'long', false), field('p', type)]), partitionColumns: ['p'] });
    await table.append({ rows: [{ id: 1, p: value }, { id: 2, p: null }] });
    const values = table.snapshot.files().map((f) => f.partitionValues.p);
    expect(values.sort((a, b) => (a === null ? -1 : b === null ? 1 : 0))).toEqual([null, logged]);
    const fresh = await DeltaTable.open(dir);
    expect((await fresh.readRows()).sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, p: read },
      { id: 2n, p: null },
    ]);
    expect(await fresh.readRows([{ column: 'p', op: '=', value }])).toEqual([{ id: 1n, p: read }]);
    expect((await fresh.scan([{ column: 'p', op: '=', value }])).files).toHaveLength(1);
  });

  it('escapes partition values in folder names and URI-encodes the logged path', async () => {
    const dir = tableRoot();
    const schema = struct([field('id', 'long', false), field('cat', 'string')]);
    const table = await DeltaTable.create(dir, { schema, partitionColumns: ['cat'] });
    const rows = [
      { id: 1, cat: 'a b' },
      { id: 2, cat: 'x:y' },
      { id: 3, cat: 'p%q' },
      { id: 4, cat: null },
      { id: 5, cat: 'Électronique' },
    ];
    await table.append({ rows });
    const byId = new Map<string, string>();
    for (const a of table.snapshot.files()) byId.set(String(a.partitionValues.cat), a.path);
    expect(byId.get('a b')).toMatch(/^cat=a%20b\/part-/);
    expect(byId.get('x:y')).toMatch(/^cat=x%253Ay\/part-/);
    expect(byId.get('p%q')).toMatch(/^cat=p%2525q\/part-/);
    expect(byId.get('null')).toMatch(/^cat=__HIVE_DEFAULT_PARTITION__\/part-/);
    expect(byId.get('Électronique')).toMatch(/^cat=%C3%89lectronique\/part-/);
    const folders = (await dataFiles(dir)).map((f) => f.split('/')[0]).sort();
    expect(folders).toEqual(['cat=__HIVE_DEFAULT_PARTITION__', 'cat=a b', 'cat=p%25q', 'cat=x%3Ay', 'cat=Électronique'].sort());

    const fresh = await DeltaTable.open(dir);
    expect((await fresh.readRows()).sort((a, b) => Number(a.id) - Number(b.id))).toEqual(rows.map((r) => ({ ...r, id: BigInt(r.id) })));
    expect(await fresh.readRows([{ column: 'cat', op: '=', value: 'x:y' }])).toEqual([{ id: 2n, cat: 'x:y' }]);
    expect((await fresh.scan([{ column: 'cat', op: '=', value: 'x:y' }])).files).toHaveLength(1);
    // Vacuum must see these files as live through the decoded paths.
    const vac = await fresh.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true });
    expect(vac.filesDeleted).toEqual([]);
  });
});
