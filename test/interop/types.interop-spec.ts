/**
 * Issue 15 §1 finding 2 and §2: the types Spark writes (decimal, struct, array, map,
 * timestamp_ntz, binary), both ways with delta-rs, and stats that other readers can trust.
 * delta-rs (py/types_table.py) writes and reads in the test; its filtered reads go through
 * DataFusion (which prunes files by their stats) and through pyarrow filters.
 */
import { promises as fs } from 'node:fs';
import {
  decimal,
  DeltaTable,
  field,
  FileStats,
  Filter,
  parseStats,
  Row,
  SchemaMismatchError,
  SchemaViolationError,
  struct,
  toDecimalText,
} from '@app/delta';
import { tempDir } from '../../libs/delta/test/fixtures';
import { JsonRow, readTable, runScript, sortedRows } from './delta-rs';

interface TypesWrite {
  version: number;
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures: string[] | null; writerFeatures: string[] | null };
  rows: JsonRow[];
}

interface FilteredRead {
  sql: JsonRow[];
  pyarrow: JsonRow[];
}

/** delta-rs reads with `column op value`; `value` is JSON text, so that an int64 reaches Python exactly. */
function deltaRsFilter(dir: string, column: string, op: string, value: string): FilteredRead {
  return runScript<FilteredRead>('types_table.py', ['filter', dir, column, op, value]);
}

const ids = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

/** Python prints some decimals in exponent form ('-1E-18'): compared as the exact text we read (scale digits). */
function withDecimalText(rows: JsonRow[], decimals: Record<string, [number, number]>): JsonRow[] {
  return rows.map((r) => {
    const out = { ...r };
    for (const [name, [p, s]] of Object.entries(decimals)) {
      if (typeof out[name] === 'string') out[name] = toDecimalText(p, s, out[name] as string)!;
    }
    return out;
  });
}

async function addStats(table: DeltaTable): Promise<FileStats[]> {
  return table.snapshot
    .files()
    .map((f) => parseStats(f)!)
    .sort((a, b) => a.numRecords - b.numRecords);
}

describe('types Spark writes, with delta-rs (issue 15 §2)', () => {
  const decimals = { price: [10, 2], amount: [38, 18] } as Record<string, [number, number]>;

  describe('a table delta-rs writes: decimal(10,2) partition, decimal(38,18), struct, array, map, timestamp_ntz, binary', () => {
    let dir: string;
    let written: TypesWrite;
    let table: DeltaTable;
    beforeAll(async () => {
      dir = tempDir('interop-types-rs-');
      written = runScript<TypesWrite>('types_table.py', ['write', dir]);
      table = await DeltaTable.open(dir);
    });

    it('parses the schema and the timestampNtz feature', () => {
      expect(written.protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'] });
      expect(table.snapshot.schema.fields.map((f) => [f.name, f.type])).toEqual([
        ['id', 'long'],
        ['price', 'decimal(10,2)'],
        ['amount', 'decimal(38,18)'],
        ['point', { type: 'struct', fields: [field('x', 'integer'), field('label', 'string')] }],
        ['tags', { type: 'array', elementType: 'string', containsNull: true }],
        ['attrs', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
        ['local_time', 'timestamp_ntz'],
        ['payload', 'binary'],
      ]);
    });

    it('reads it row for row: decimals exact as text, nested values as objects, arrays and [key, value] pairs', async () => {
      const rows = await table.readRows();
      expect(sortedRows(rows)).toEqual(sortedRows(withDecimalText(written.rows, decimals)));
      const first = rows.find((r) => r.id === 1n)!;
      expect(first.amount).toBe('12345678901234567890.123456789012345678');
      expect(first.attrs).toEqual([
        ['k', 1n],
        ['l', 2n],
      ]);
      expect(first.local_time).toBe('2024-12-12T10:00:00.123456');
    });

    it('prunes by decimal partition values and by decimal and timestamp_ntz stats without losing rows', async () => {
      const cases: Array<[Filter, number[]]> = [
        [{ column: 'price', op: '=', value: '12.5' }, [1, 3]],
        [{ column: 'price', op: '<', value: '12.50' }, [2]],
        [{ column: 'price', op: 'in', value: ['0.05', 12.5] }, [1, 2, 3]],
        [{ column: 'amount', op: '=', value: '99999999999999999999.999999999999999999' }, [3]],
        [{ column: 'amount', op: '<', value: '0' }, [2]],
        [{ column: 'amount', op: '>', value: '12345678901234567890.123456789012345677' }, [1, 3]],
        [{ column: 'local_time', op: '>=', value: '9999-12-31T23:59:59.999999' }, [3]],
        [{ column: 'local_time', op: '<', value: '1970-01-01 00:00:00' }, [2]],
      ];
      for (const [filter, expected] of cases) {
        expect([filter, ids(await table.readRows([filter]))]).toEqual([filter, expected]);
      }
    });

    it('refuses a filter on a nested column, naming it', async () => {
      await expect(table.readRows([{ column: 'point', op: '=', value: 'x' }])).rejects.toThrow(SchemaMismatchError);
      await expect(table.readRows([{ column: 'point', op: '=', value: 'x' }])).rejects.toThrow(/column "point" is a struct/);
    });

    it('refuses to write nested columns, naming the column', async () => {
      const err = await table.append({ rows: [{ id: 9n, point: { x: 1, label: 'y' } }] }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(SchemaViolationError);
      expect((err as Error).message).toMatch(/column "point" is a struct/);
    });
  });

  describe('a table we write with decimal and timestamp_ntz columns, read by delta-rs', () => {
    const schema = struct([
      field('id', 'long', false),
      field('price', decimal(10, 2)),
      field('amount', decimal(38, 18)),
      field('local_time', 'timestamp_ntz'),
      field('payload', 'binary'),
    ]);
    const rows: Row[] = [
      { id: 1, price: '12.5', amount: '12345678901234567890.123456789012345678', local_time: '2024-12-12T10:00:00.123456', payload: new Uint8Array([0, 1, 255]) },
      { id: 2, price: 0.05, amount: '-0.000000000000000001', local_time: '1969-12-31 23:59:59.999999', payload: new Uint8Array([]) },
      { id: 3, price: 12.5, amount: 99999999999999999999n, local_time: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), payload: null },
      { id: 4, price: null, amount: null, local_time: null, payload: null },
    ];
    let dir: string;
    let table: DeltaTable;
    beforeAll(async () => {
      dir = tempDir('interop-types-ours-');
      table = await DeltaTable.create(dir, { schema, partitionColumns: ['price'] });
      await table.append({ rows });
    });

    it('sets the timestampNtz feature as Spark does, and delta-rs reads every row exactly', async () => {
      const rs = readTable(dir);
      expect(rs.protocol).toEqual({
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['timestampNtz'],
        writerFeatures: ['appendOnly', 'invariants', 'timestampNtz'],
      });
      expect(rs.arrowSchema.map((f) => f.type)).toEqual(['int64', 'decimal128(10, 2)', 'decimal128(38, 18)', 'timestamp[us]', 'binary']);
      const ours = await table.readRows();
      expect(sortedRows(withDecimalText(rs.rows!, decimals))).toEqual(sortedRows(ours));
      expect(ours.find((r) => r.id === 3n)).toEqual({
        id: 3n,
        price: '12.50',
        amount: '99999999999999999999.000000000000000000',
        local_time: '9999-12-31T23:59:59.999000',
        payload: null,
      });
    });

    it('writes partition values and stats as the protocol spells them, exactly', async () => {
      expect(table.snapshot.files().map((f) => f.partitionValues.price).sort()).toEqual(['0.05', '12.50', null]);
      const raw = table.snapshot.files().find((f) => f.partitionValues.price === '12.50')!.stats!;
      expect(raw).toContain('"minValues":{"id":1,"amount":12345678901234567890.123456789012345678,"local_time":"2024-12-12T10:00:00.123456"}');
      expect(raw).toContain('"maxValues":{"id":3,"amount":99999999999999999999.000000000000000000,"local_time":"9999-12-31T23:59:59.999000"}');
    });

    it('delta-rs filtered reads find the rows: decimal partition, decimal stats, timestamp_ntz stats', () => {
      const cases: Array<[string, string, string, number[]]> = [
        ['price', '=', '"12.50"', [1, 3]],
        ['amount', '<', '"0"', [2]],
        ['amount', '=', '"99999999999999999999"', [3]],
        ['local_time', '>=', '"9999-12-31T23:59:59"', [3]],
        ['local_time', '<', '"1970-01-01T00:00:00"', [2]],
      ];
      for (const [column, op, value, expected] of cases) {
        const read = deltaRsFilter(dir, column, op, value);
        expect([column, op, value, ids(read.sql), ids(read.pyarrow)]).toEqual([column, op, value, expected, expected]);
      }
    });

    it('past a checkpoint, delta-rs and we still read the same rows and prune by the same exact stats', async () => {
      await table.checkpoint();
      const reopened = await DeltaTable.open(dir);
      expect(sortedRows(withDecimalText(readTable(dir).rows!, decimals))).toEqual(sortedRows(await reopened.readRows()));
      expect(ids(deltaRsFilter(dir, 'amount', '=', '"99999999999999999999"').pyarrow)).toEqual([3]);
      expect(ids(await reopened.readRows([{ column: 'amount', op: '>=', value: '99999999999999999999' }]))).toEqual([3]);
    });

    it('refuses a decimal that would need rounding or does not fit, naming the row and column', async () => {
      await expect(table.append({ rows: [{ id: 5, price: '1.005' }] })).rejects.toThrow(
        /row 0: column "price" \(decimal\(10,2\)\) expected a decimal with at most 8 integer and 2 fractional digits/,
      );
      await expect(table.append({ rows: [{ id: 5, price: '123456789' }] })).rejects.toThrow(SchemaViolationError);
      await expect(table.append({ rows: [{ id: 5, local_time: '2024-12-12T10:00:00Z' }] })).rejects.toThrow(/column "local_time" \(timestamp_ntz\)/);
    });
  });

  describe('stats other readers trust (issue 15 §1 finding 2)', () => {
    const schema = struct([field('id', 'long', false), field('ts', 'timestamp'), field('big', 'long')]);
    const rows: Row[] = [
      { id: 1, ts: '9999-12-31T23:59:59.999999Z', big: 9007199254740993n },
      { id: 2, ts: '0001-01-01T00:00:00.000001Z', big: -9223372036854775808n },
      { id: 3, ts: '2024-12-12T10:00:00.123456Z', big: 9223372036854775807n },
    ];
    let dir: string;
    let table: DeltaTable;
    beforeAll(async () => {
      dir = tempDir('interop-exact-stats-');
      table = await DeltaTable.create(dir, { schema });
      await table.append({ rows });
    });

    it('writes timestamps to the microsecond and longs beyond 2^53 digit for digit', async () => {
      const [add] = table.snapshot.files();
      expect(add.stats).toBe(
        '{"numRecords":3,' +
          '"minValues":{"id":1,"ts":"0001-01-01T00:00:00.000001Z","big":-9223372036854775808},' +
          '"maxValues":{"id":3,"ts":"9999-12-31T23:59:59.999999Z","big":9223372036854775807},' +
          '"nullCount":{"id":0,"ts":0,"big":0}}',
      );
      const rs = readTable(dir, { files: true, noRows: true });
      expect(rs.files![0]).toMatchObject({
        minValues: { big: '-9223372036854775808' },
        maxValues: { ts: '9999-12-31T23:59:59.999999Z', big: '9223372036854775807' },
      });
    });

    it('delta-rs filtered reads on those files return the row (they returned none)', () => {
      const cases: Array<[string, string, string, number[]]> = [
        ['ts', '=', '"9999-12-31T23:59:59.999999Z"', [1]],
        ['ts', '>', '"9999-12-31T23:59:59.999998Z"', [1]],
        ['ts', '<', '"0001-01-01T00:00:00.000002Z"', [2]],
        ['big', '=', '9223372036854775807', [3]],
        ['big', '=', '-9223372036854775808', [2]],
        ['big', '>', '9007199254740992', [1, 3]],
      ];
      for (const [column, op, value, expected] of cases) {
        const read = deltaRsFilter(dir, column, op, value);
        expect([column, op, value, ids(read.sql), ids(read.pyarrow)]).toEqual([column, op, value, expected, expected]);
      }
    });

    it('a column whose bounds have no exact text (NaN) gets its nullCount only, and filters on it find the rows', async () => {
      const nanDir = tempDir('interop-nan-stats-');
      const nan = await DeltaTable.create(nanDir, { schema: struct([field('id', 'long', false), field('x', 'double')]) });
      await nan.append({ rows: [{ id: 1, x: NaN }, { id: 2, x: 1.5 }] });
      const [stats] = await addStats(nan);
      expect(stats).toEqual({ numRecords: 2, minValues: { id: 1 }, maxValues: { id: 2 }, nullCount: { id: 0, x: 0 } });
      // (delta-rs's pyarrow filters drop any file whose minValues lack the column, whatever its nullCount: its SQL path is checked.)
      expect(ids(deltaRsFilter(nanDir, 'x', '=', '1.5').sql)).toEqual([2]);
      expect(ids(await nan.readRows([{ column: 'x', op: '=', value: 1.5 }]))).toEqual([2]);
      await fs.rm(nanDir, { recursive: true, force: true });
    });
  });
});
