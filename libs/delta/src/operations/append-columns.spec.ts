import { ColumnBatch, DeltaTable, field, SchemaViolationError, struct, toEpochMicros } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { asRead, commitVersions, dataFiles, parquetColumns, sortById, statsOf, readablePath, readLog, actionsOf } from '../../test/helpers';
import * as vm from 'node:vm';
import { describeEachBackend, tableRoot } from '../../test/backends';

const DAY_2024_12_12 = 20069;
const DAY_2024_12_13 = 20070;

async function salesTable(): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  return { dir, table };
}

/** salesRows(n, startId, day) as a batch of typed columns, with a builder's spare capacity at the end. */
function salesColumns(n: number, startId = 1, days: number[] = [DAY_2024_12_12]): ColumnBatch {
  const capacity = n + 7;
  const vente = new Float64Array(capacity);
  const client = new Int32Array(capacity);
  const timestamp = new Float64Array(capacity);
  const montant = new Float64Array(capacity);
  const pays = new Int32Array(capacity);
  const jour = new Int32Array(capacity);
  salesRows(n, startId).forEach((r, i) => {
    vente[i] = r.vente_id as number;
    client[i] = r.client_id as number;
    const day = days[i % days.length];
    timestamp[i] = Number(toEpochMicros(r.timestamp as string)) + (day - DAY_2024_12_12) * 86_400_000_000;
    montant[i] = r.montant as number;
    pays[i] = ['Suisse', 'France', 'Belgique'].indexOf(r.pays as string);
    jour[i] = day;
  });
  return {
    numRows: n,
    columns: {
      vente_id: vente,
      client_id: client,
      timestamp,
      montant,
      pays: { dictionary: ['Suisse', 'France', 'Belgique'], indices: pays },
      jour,
    },
  };
}

describeEachBackend('append of a column batch', () => {
  it('writes the same table as the same rows given as objects: files per partition, types, stats', async () => {
    const fromRows = await salesTable();
    const fromColumns = await salesTable();
    const rows = [...salesRows(10, 1, '2024-12-12'), ...salesRows(10, 11, '2024-12-13')];
    await fromRows.table.append({ rows });
    const a = salesColumns(10, 1, [DAY_2024_12_12]);
    const b = salesColumns(10, 11, [DAY_2024_12_13]);
    const merged: ColumnBatch = {
      numRows: 20,
      columns: Object.fromEntries(
        Object.keys(a.columns).map((name) => {
          const [x, y] = [a.columns[name], b.columns[name]];
          if ('dictionary' in x && 'dictionary' in y)
            return [
              name,
              { dictionary: x.dictionary, indices: Int32Array.from([...x.indices.subarray(0, 10), ...y.indices.subarray(0, 10)]) },
            ];
          const X = x as Float64Array;
          const Y = y as Float64Array;
          const out = new (X.constructor as Float64ArrayConstructor)(20);
          out.set(X.subarray(0, 10));
          out.set(Y.subarray(0, 10), 10);
          return [name, out];
        }),
      ),
    };
    const summary = await fromColumns.table.append({ columns: merged });
    expect(summary).toEqual({ version: 1, addedFiles: 2, removedFiles: 0 });

    const read = sortById(await (await DeltaTable.open(fromColumns.dir)).readRows());
    expect(read).toEqual(asRead(rows));
    expect(read).toEqual(sortById(await (await DeltaTable.open(fromRows.dir)).readRows()));

    const statsBy = async (dir: string) => {
      const adds = actionsOf(await readLog(dir, 1), 'add').sort((x, y) =>
        JSON.stringify(x.partitionValues) < JSON.stringify(y.partitionValues) ? -1 : 1,
      );
      return adds.map((add) => ({ partitionValues: add.partitionValues, stats: statsOf(add) }));
    };
    expect(await statsBy(fromColumns.dir)).toEqual(await statsBy(fromRows.dir));
    const [file] = await dataFiles(fromColumns.dir);
    const types = Object.fromEntries((await parquetColumns(await readablePath(fromColumns.dir, file))).map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ vente_id: 'INT64', client_id: 'INT32', timestamp: 'INT64', montant: 'DOUBLE', pays: 'BYTE_ARRAY' });
  });

  it('takes BigInt64Array longs and timestamps, arrays of cells with nulls, and strings too many for a dictionary', async () => {
    const dir = tableRoot();
    const schema = struct([
      field('id', 'long', false),
      field('at', 'timestamp', false),
      field('note', 'string'),
      field('n', 'integer'),
      field('tag', 'string', false),
    ]);
    const table = await DeltaTable.create(dir, { schema });
    const n = 5000;
    const dictionary = Array.from({ length: n }, (_, i) => `tag-${i}`);
    await table.append({
      columns: {
        numRows: n,
        columns: {
          id: BigInt64Array.from({ length: n }, (_, i) => 2n ** 62n + BigInt(i)),
          at: BigInt64Array.from({ length: n }, (_, i) => -62135596800000000n + BigInt(i)), // from 0001-01-01
          note: Array.from({ length: n }, (_, i) => (i % 2 ? null : `note ${i}`)),
          n: Array.from({ length: n }, (_, i) => (i % 3 ? i : null)),
          tag: { dictionary, indices: Int32Array.from({ length: n }, (_, i) => n - 1 - i) },
        },
      },
    });
    const read = await table.readRows();
    expect(read).toHaveLength(n);
    expect(read[0]).toEqual({ id: 2n ** 62n, at: '0001-01-01T00:00:00.000000Z', note: 'note 0', n: null, tag: `tag-${n - 1}` });
    expect(read[1]).toEqual({ id: 2n ** 62n + 1n, at: '0001-01-01T00:00:00.000001Z', note: null, n: 1, tag: `tag-${n - 2}` });
    const [add] = table.snapshot.files();
    expect(statsOf(add)).toMatchObject({
      numRecords: n,
      nullCount: { note: n / 2, n: Math.ceil(n / 3), tag: 0 },
      minValues: { tag: 'tag-0' },
    });
  });

  it('takes typed arrays made in another realm, as a worker thread or a vm context hands them over', async () => {
    const { table } = await salesTable();
    const batch = salesColumns(3);
    const foreign = (a: Float64Array | Int32Array) => {
      const copy = vm.runInNewContext(`new ${a.constructor.name}(${a.length})`) as typeof a;
      copy.set(a);
      return copy;
    };
    const columns = { ...batch.columns, client_id: foreign(batch.columns.client_id as Int32Array), montant: foreign(batch.columns.montant as Float64Array) };
    expect(columns.client_id).not.toBeInstanceOf(Int32Array);
    await table.append({ columns: { numRows: 3, columns } });
    const read = sortById(await table.readRows());
    expect(read.map((r) => [r.client_id, r.montant])).toEqual(salesRows(3).map((r) => [r.client_id, r.montant]));
  });

  it('nulls of one 2048-row slice do not leak into the next (the staging chunk is reused)', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('i', 'integer', false), field('v', 'double')]) });
    const n = 5000;
    await table.append({
      columns: {
        numRows: n,
        columns: { i: Int32Array.from({ length: n }, (_, k) => k), v: Array.from({ length: n }, (_, k) => (k < 2048 ? null : k)) },
      },
    });
    const read = await table.readRows();
    expect(read.filter((r) => r.v === null).map((r) => r.i)).toEqual(Array.from({ length: 2048 }, (_, k) => k));
    expect(read.filter((r) => r.v !== null).every((r) => r.v === r.i)).toBe(true);
  });

  it('a dictionary with a repeated value still writes every row as given', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('s', 'string', false)]) });
    await table.append({ columns: { numRows: 3, columns: { s: { dictionary: ['a', 'b', 'a'], indices: Int32Array.from([0, 1, 2]) } } } });
    expect((await table.readRows()).map((r) => r.s)).toEqual(['a', 'b', 'a']);
  });

  it('writes strings an ENUM cannot hold (NUL, lone surrogates that encode alike) as plain strings', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: struct([field('s', 'string', false)]) });
    const dictionary = ['a\u0000b', '\ud800', '\udc00', '\ufffd', 'x'];
    const indices = Int32Array.from({ length: 50 }, (_, i) => i % dictionary.length);
    await table.append({ columns: { numRows: 50, columns: { s: { dictionary, indices } } } });
    // As rows too (repetitive: the rows path stages those as an ENUM).
    await table.append({ rows: Array.from(indices, (k) => ({ s: dictionary[k] })) });
    // Lone surrogates become U+FFFD in UTF-8, as Buffer.from does.
    const utf8 = (v: string) => Buffer.from(v).toString();
    const expected = Array.from(indices, (k) => utf8(dictionary[k]));
    expect((await table.readRows()).map((r) => r.s).sort()).toEqual([...expected, ...expected].sort());
  });

  describe('strings staged as an ENUM (repetitive ones) are written from its dictionary', () => {
    const schema = struct([field('s', 'string'), field('p', 'integer', false)]);
    // UTF-8 byte order, Parquet's, differs from JS's UTF-16 order for the emoji and U+FFFF.
    const values = ['b', 'a', 'é', 'z', '', 'x'.repeat(256), '\uffff', '😀', 'Zürich'];
    // Past 256 bytes DuckDB cuts a string's stats or leaves them out: the ENUM is then written as VARCHAR.
    const withLongValues = [...values, `long ${'x'.repeat(300)}`, '😀'.repeat(80)];
    const n = 400;
    const stringAt = (i: number) => values[(i * 7) % values.length];
    const partitionOf = (i: number) => (i % 3 === 0 ? 1 : 2);
    const statsBy = async (dir: string) =>
      actionsOf(await readLog(dir, 1), 'add')
        .map((add) => ({ partitionValues: add.partitionValues, stats: statsOf(add) }))
        .sort((x, y) => x.partitionValues.p!.localeCompare(y.partitionValues.p!));

    it('with each file’s min and max in byte order, and its null count (RETURN_STATS gives no bounds for an ENUM)', async () => {
      const dir = tableRoot();
      const table = await DeltaTable.create(dir, { schema, partitionColumns: ['p'] });
      const s = Array.from({ length: n }, (_, i) => (i % 10 === 9 ? null : stringAt(i)));
      await table.append({ columns: { numRows: n, columns: { s, p: Int32Array.from({ length: n }, (_, i) => partitionOf(i)) } } });
      const expected = [1, 2].map((p) => {
        const inPartition = s.filter((_, i) => partitionOf(i) === p);
        const present = inPartition.filter((v): v is string => v !== null).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        return {
          partitionValues: { p: String(p) },
          stats: expect.objectContaining({
            numRecords: inPartition.length,
            minValues: { s: present[0] },
            maxValues: { s: present[present.length - 1] },
            nullCount: { s: inPartition.length - present.length },
          }),
        };
      });
      expect(await statsBy(dir)).toEqual(expected);
      expect((await table.readRows()).map((r) => r.s).sort()).toEqual([...s].sort());
    });

    it.each([
      ['strings of up to 256 bytes', values],
      ['longer strings, the longest its max', withLongValues],
    ])('with the same stats and rows as the same strings written as plain strings: %s', async (_, dictionary) => {
      const indices = Int32Array.from({ length: n }, (_, i) => (i * 7) % dictionary.length);
      const p = Int32Array.from({ length: n }, (_, i) => partitionOf(i));
      const fromEnumDir = tableRoot();
      const fromEnum = await DeltaTable.create(fromEnumDir, { schema, partitionColumns: ['p'] });
      await fromEnum.append({ columns: { numRows: n, columns: { s: { dictionary, indices }, p } } });
      // A dictionary with a repeated value cannot be an ENUM: staged as plain strings.
      const plainDir = tableRoot();
      const plain = await DeltaTable.create(plainDir, { schema, partitionColumns: ['p'] });
      await plain.append({ columns: { numRows: n, columns: { s: { dictionary: [...dictionary, 'a'], indices }, p } } });
      expect(await statsBy(fromEnumDir)).toEqual(await statsBy(plainDir));
      const [file] = await dataFiles(fromEnumDir);
      expect((await parquetColumns(await readablePath(fromEnumDir, file))).find((c) => c.name === 's')?.type).toBe('BYTE_ARRAY');
      expect((await fromEnum.readRows()).map((r) => r.s).sort()).toEqual((await plain.readRows()).map((r) => r.s).sort());
    });
  });

  describe('refuses, naming column (and row), and changes nothing', () => {
    const cases: Array<[string, (b: { numRows: number; columns: Record<string, unknown> }) => void, string, number | undefined, RegExp]> = [
      [
        'a long that a double does not hold exactly',
        (b) => ((b.columns.vente_id as Float64Array)[3] = 2 ** 53 + 2),
        'vente_id',
        3,
        /64-bit integer/,
      ],
      ['a fractional long', (b) => ((b.columns.vente_id as Float64Array)[2] = 1.5), 'vente_id', 2, /64-bit integer/],
      ['a fractional timestamp', (b) => ((b.columns.timestamp as Float64Array)[4] = 0.5), 'timestamp', 4, /timestamp/],
      [
        'a dictionary index out of range',
        (b) => ((b.columns.pays as { indices: Int32Array }).indices[1] = 3),
        'pays',
        1,
        /dictionary index 3 out of \[0, 3\)/,
      ],
      [
        'integers given as doubles',
        (b) => (b.columns.client_id = new Float64Array(6)),
        'client_id',
        undefined,
        /cannot be given as a Float64Array/,
      ],
      [
        'a dictionary for a number',
        (b) => (b.columns.montant = { dictionary: ['1'], indices: new Int32Array(6) }),
        'montant',
        undefined,
        /cannot be given as a dictionary/,
      ],
      ['too few values', (b) => (b.columns.montant = new Float64Array(2)), 'montant', undefined, /has 2 values for 6 rows/],
      ['a non-null column missing', (b) => delete b.columns.vente_id, 'vente_id', undefined, /not nullable but is missing/],
      ['a column the schema does not have', (b) => (b.columns.extra = new Int32Array(6)), 'extra', undefined, /not in the table's schema/],
      ['a null in a non-null column', (b) => (b.columns.vente_id = [1, 2, 3, 4, null, 6]), 'vente_id', 4, /not nullable/],
    ];
    it.each(cases)('%s', async (_name, corrupt, column, row, message) => {
      const { dir, table } = await salesTable();
      await table.append({ columns: salesColumns(5) });
      const filesBefore = await dataFiles(dir);
      const batch = salesColumns(6, 100) as { numRows: number; columns: Record<string, unknown> };
      batch.columns = { ...batch.columns };
      corrupt(batch);
      const err = await table.append({ columns: batch as ColumnBatch }).catch((e) => e);
      expect(err).toBeInstanceOf(SchemaViolationError);
      expect(err.column).toBe(column);
      expect(err.row).toBe(row);
      expect(err.message).toMatch(message);
      expect(await commitVersions(dir)).toEqual([0, 1]);
      expect(await dataFiles(dir)).toEqual(filesBefore);
    });
  });
});
