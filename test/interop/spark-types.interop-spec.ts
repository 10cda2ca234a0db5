/**
 * Issue 15 §2 with Spark (pyspark + delta-spark, local mode, py/spark_types.py): Spark writes a
 * table of decimal(38,18) and decimal(10,2) (its partition column), struct, array, map,
 * timestamp_ntz, timestamp and binary columns, which libs/delta reads row for row; in the same
 * Spark session, Spark reads a table libs/delta wrote with decimal and timestamp_ntz columns.
 */
import { decimal, DeltaTable, field, Filter, Row, struct } from '@app/delta';
import { tempDir } from '../../libs/delta/test/fixtures';
import { JsonRow, runScript, sortedRows, toJsonRow } from './delta-rs';

interface SparkRun {
  written: { rows: JsonRow[]; protocol: { minReaderVersion: number; minWriterVersion: number; tableFeatures: string[] } };
  read: { rows: JsonRow[]; filtered: number[][] };
}

/** Spark hands maps to Python as dicts: their pairs are compared sorted by key. */
function withSortedMaps(rows: readonly Row[], mapColumns: readonly string[]): JsonRow[] {
  return rows.map((r) => {
    const out = toJsonRow(r);
    for (const c of mapColumns) {
      const pairs = out[c];
      if (Array.isArray(pairs)) out[c] = [...pairs].sort((a, b) => String((a as string[])[0]).localeCompare(String((b as string[])[0])));
    }
    return out;
  });
}

const ids = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

describe('types Spark writes, and Spark reads ours (issue 15 §2)', () => {
  const ours = struct([
    field('id', 'long', false),
    field('price', decimal(10, 2)),
    field('amount', decimal(38, 18)),
    field('local_time', 'timestamp_ntz'),
    field('ts', 'timestamp'),
    field('payload', 'binary'),
  ]);
  const ourRows: Row[] = [
    { id: 1, price: '12.50', amount: '12345678901234567890.123456789012345678', local_time: '2024-12-12T10:00:00.123456', ts: '2024-12-12T10:00:00.654321Z', payload: new Uint8Array([0, 1, 255]) },
    { id: 2, price: '-0.5', amount: '-0.000000000000000001', local_time: '1969-12-31T23:59:59.999999', ts: '1969-12-31T23:59:59.999999Z', payload: new Uint8Array([]) },
    { id: 3, price: null, amount: null, local_time: null, ts: null, payload: null },
    { id: 4, price: 12.5, amount: '99999999999999999999.999999999999999999', local_time: '9999-12-31T23:59:59.999999', ts: '9999-12-31T23:59:59.999999Z', payload: new Uint8Array([97]) },
  ];
  let spark: SparkRun;
  let sparkTable: DeltaTable;
  let ourTable: DeltaTable;

  beforeAll(async () => {
    const ourDir = tempDir('interop-spark-ours-');
    ourTable = await DeltaTable.create(ourDir, { schema: ours, partitionColumns: ['price'] });
    await ourTable.append({ rows: ourRows.slice(0, 2) });
    await ourTable.append({ rows: ourRows.slice(2) });
    const sparkDir = `${tempDir('interop-spark-types-')}/table`;
    spark = runScript<SparkRun>('spark_types.py', [
      sparkDir,
      '--read',
      ourDir,
      ...['--filter', 'price', '12.50'],
      ...['--filter', 'price', '-0.5'],
      ...['--filter', 'amount', '99999999999999999999.999999999999999999'],
      ...['--filter', 'local_time', "TIMESTAMP_NTZ'9999-12-31 23:59:59.999999'"],
      ...['--filter', 'ts', "TIMESTAMP'9999-12-31 23:59:59.999999Z'"],
      ...['--filter', 'ts', "TIMESTAMP'1969-12-31 23:59:59.999999Z'"],
    ]);
    sparkTable = await DeltaTable.open(sparkDir);
  }, 600_000);

  it('reads the table Spark wrote row for row: exact decimals, struct, arrays, maps, timestamp_ntz, binary', async () => {
    expect(spark.written.protocol.tableFeatures).toContain('timestampNtz');
    expect(sparkTable.snapshot.schema.fields.map((f) => f.type)).toEqual([
      'long',
      'decimal(10,2)',
      'decimal(38,18)',
      { type: 'struct', fields: [field('x', 'integer'), field('label', 'string'), field('at', 'timestamp_ntz')] },
      { type: 'array', elementType: 'string', containsNull: true },
      { type: 'array', elementType: 'decimal(10,2)', containsNull: true },
      { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true },
      'timestamp_ntz',
      'timestamp',
      'binary',
    ]);
    const rows = await sparkTable.readRows();
    expect(sortedRows(withSortedMaps(rows, ['attrs']))).toEqual(sortedRows(spark.written.rows));
    expect(rows.find((r) => r.id === 4n)).toMatchObject({
      amount: '99999999999999999999.999999999999999999',
      prices: [null, '99999999.99'],
      point: { x: 4, label: null, at: '9999-12-31T23:59:59.999999' },
    });
  });

  it('prunes by the decimal partition and by Spark’s decimal and timestamp_ntz stats without losing rows', async () => {
    const cases: Array<[Filter, number[]]> = [
      [{ column: 'price', op: '=', value: '12.5' }, [1, 4]],
      [{ column: 'price', op: '<', value: 0 }, [2, 5]],
      [{ column: 'amount', op: '=', value: '99999999999999999999.999999999999999999' }, [4]],
      [{ column: 'amount', op: '<', value: '0' }, [2]],
      [{ column: 'local_time', op: '=', value: '9999-12-31T23:59:59.999999' }, [4]],
      [{ column: 'local_time', op: '<', value: '1970-01-01T00:00:00' }, [2]],
      [{ column: 'ts', op: '>', value: '2024-12-12T10:00:00.654320Z' }, [1, 4]],
    ];
    for (const [filter, expected] of cases) {
      expect([filter, ids(await sparkTable.readRows([filter]))]).toEqual([filter, expected]);
    }
  });

  it('Spark reads the table we wrote row for row, and its filters on our stats find the rows', async () => {
    expect(sortedRows(spark.read.rows)).toEqual(sortedRows(await ourTable.readRows()));
    expect(spark.read.filtered).toEqual([[1, 4], [2], [4], [4], [4], [2]]);
  });
});
