/**
 * What Databricks writes by default, written by Spark (pyspark + delta-spark, local[1], in
 * py/spark_dv_cm.py): deletion vectors, column mapping in name and id mode, and one table with all
 * of them, decimals and column-mapped nested columns. libs/delta reads
 * each table row for row as Spark reads it back. delta-rs (1.6) refuses deletion vectors, so
 * Spark is the reference here; on the column-mapping table it checks the version and count.
 */
import { promises as fs, rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  AddAction,
  commitPath,
  DeltaTable,
  Filter,
  LAST_CHECKPOINT,
  relativeDeletionVectorPath,
  Row,
  serializeActions,
  UnsupportedProtocolError,
} from '@app/delta';
import { tempDir } from '../../libs/delta/test/fixtures';
import { z85Encode } from '../../libs/delta/test/deletion-vectors';
import { JsonRow, readTable, runScript } from './delta-rs';

interface SparkTable {
  rows: JsonRow[];
  columns: string[];
  count: number;
  protocol: { minReaderVersion: number; minWriterVersion: number; tableFeatures: string[] };
}

/** Spark's JSON leaves null fields out: every column is listed, null when absent; longs as numbers. */
function normalized(rows: ReadonlyArray<JsonRow | Row>, columns: readonly string[]): JsonRow[] {
  return rows
    .map((r) => Object.fromEntries(columns.map((c) => [c, typeof r[c] === 'bigint' ? Number(r[c]) : ((r[c] ?? null) as JsonRow[string])])))
    .sort((a, b) => (a.id as number) - (b.id as number));
}

describe('Spark writes deletion vectors and column mapping, libs/delta reads them', () => {
  let dir: string;
  let spark: Record<'dv' | 'cm_name' | 'cm_id_dv' | 'all_features' | 'all_features_id', SparkTable>;

  beforeAll(() => {
    dir = tempDir('interop-spark-dv-cm-');
    spark = runScript<{ tables: typeof spark }>('spark_dv_cm.py', [dir]).tables;
  }, 30 * 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const readAs = async (name: keyof typeof spark, filters?: Filter[], uri = path.join(dir, name)) =>
    normalized(await (await DeltaTable.open(uri)).readRows(filters), spark[name].columns);

  it('deletion vectors: the rows Spark reads, and counts without the deleted rows', async () => {
    expect(spark.dv.protocol.tableFeatures).toContain('deletionVectors');
    const table = await DeltaTable.open(path.join(dir, 'dv'));
    expect(table.snapshot.files().filter((f) => f.deletionVector).map((f) => f.deletionVector!.storageType)).toEqual(['u', 'u']);
    expect(await readAs('dv')).toEqual(normalized(spark.dv.rows, spark.dv.columns));
    expect(table.snapshot.numRecords()).toBe(spark.dv.count);
    // The snapshot starts from Spark's checkpoint, which holds the vectors, then applies a commit after it.
    const checkpoint = JSON.parse(await fs.readFile(path.join(dir, 'dv', LAST_CHECKPOINT), 'utf8')) as { version: number };
    expect(checkpoint.version).toBeLessThan(table.version);
  });

  it('deletion vectors with filters and time travel', async () => {
    const filters: Filter[] = [
      { column: 'part', op: '=', value: 'a' },
      { column: 'id', op: '>=', value: 14990 },
    ];
    const expected = spark.dv.rows.filter((r) => r.part === 'a' && (r.id as number) >= 14990);
    expect(await readAs('dv', filters)).toEqual(normalized(expected, spark.dv.columns));
    // Version 1 is the insert, before any DELETE.
    const before = await DeltaTable.open(path.join(dir, 'dv'), { version: 1 });
    expect((await before.readRows()).length).toBe(20500);
    expect(before.snapshot.numRecords()).toBe(20500);
  });

  it('inline and absolute-path vectors read as the relative ones Spark wrote', async () => {
    const copy = tempDir('interop-dv-storage-');
    await fs.cp(path.join(dir, 'dv'), copy, { recursive: true });
    const table = await DeltaTable.open(copy);
    const [first, second] = table.snapshot.files().filter((f) => f.deletionVector);
    const bitmapOf = async (add: AddAction) => {
      const dv = add.deletionVector!;
      const file = await fs.readFile(path.join(copy, relativeDeletionVectorPath(dv)));
      return file.subarray(dv.offset! + 4, dv.offset! + 4 + dv.sizeInBytes);
    };
    const inline: AddAction = {
      ...first,
      deletionVector: { ...first.deletionVector!, storageType: 'i', pathOrInlineDv: z85Encode(await bitmapOf(first)), offset: undefined },
    };
    const absolute: AddAction = {
      ...second,
      deletionVector: { ...second.deletionVector!, storageType: 'p', pathOrInlineDv: `file://${path.join(copy, relativeDeletionVectorPath(second.deletionVector!))}` },
    };
    // Written as Spark would commit a vector replaced by another: the old pair removed, the new added.
    await table.store.putIfAbsent(
      commitPath(table.version + 1),
      serializeActions(
        [first, second].flatMap((old, i) => [
          { remove: { path: old.path, deletionTimestamp: Date.now(), dataChange: false, deletionVector: old.deletionVector } },
          { add: [inline, absolute][i] },
        ]),
      ),
    );
    const reopened = await DeltaTable.open(copy);
    expect(reopened.snapshot.files().filter((f) => f.deletionVector).map((f) => f.deletionVector!.storageType).sort()).toEqual(['i', 'p']);
    expect(await readAs('dv', undefined, copy)).toEqual(normalized(spark.dv.rows, spark.dv.columns));
    rmSync(copy, { recursive: true, force: true });
  });

  it('column mapping, name mode: renamed, dropped and re-added columns by their logical names', async () => {
    expect(spark.cm_name.columns).toEqual(['id', 'label', 'pays', 'unit price', 'amount']);
    const table = await DeltaTable.open(path.join(dir, 'cm_name'));
    expect(table.snapshot.columnMappingMode).toBe('name');
    expect(await readAs('cm_name')).toEqual(normalized(spark.cm_name.rows, spark.cm_name.columns));
    expect(table.snapshot.numRecords()).toBe(spark.cm_name.count);
    const deltaRs = readTable(path.join(dir, 'cm_name'), { noRows: true });
    expect([deltaRs.version, deltaRs.numRows]).toEqual([table.version, spark.cm_name.count]);
  });

  it('column mapping: partition values and stats are found by physical name', async () => {
    const table = await DeltaTable.open(path.join(dir, 'cm_name'));
    // `pays` was `country` when the first files were written, under the same physical name.
    const italy = await table.scan([{ column: 'pays', op: '=', value: 'IT' }]);
    expect(italy.files).toHaveLength(1);
    expect(await readAs('cm_name', [{ column: 'pays', op: '=', value: 'IT' }])).toEqual(
      normalized(spark.cm_name.rows.filter((r) => r.pays === 'IT'), spark.cm_name.columns),
    );
    // Only the last insert holds ids of 50 and more: its min/max stats, keyed by physical name, let the others be skipped.
    const late = await table.scan([{ column: 'id', op: '>=', value: 50 }]);
    expect(late.files.length).toBeLessThan(table.snapshot.files().length);
    expect(await readAs('cm_name', [{ column: 'id', op: '>=', value: 50 }])).toEqual(
      normalized(spark.cm_name.rows.filter((r) => (r.id as number) >= 50), spark.cm_name.columns),
    );
  });

  it('column mapping, id mode, with deletion vectors: columns found by Parquet field id', async () => {
    expect(spark.cm_id_dv.protocol.tableFeatures).toEqual(expect.arrayContaining(['columnMapping', 'deletionVectors']));
    const table = await DeltaTable.open(path.join(dir, 'cm_id_dv'));
    expect(table.snapshot.columnMappingMode).toBe('id');
    expect(table.snapshot.files().some((f) => f.deletionVector)).toBe(true);
    expect(await readAs('cm_id_dv')).toEqual(normalized(spark.cm_id_dv.rows, spark.cm_id_dv.columns));
    expect(table.snapshot.numRecords()).toBe(spark.cm_id_dv.count);
  });

  it.each([
    ['all_features', 'name'],
    ['all_features_id', 'id'],
  ] as const)('everything at once (%s): decimals, mapped nested columns with a renamed nested field, deletion vectors', async (name, mode) => {
    expect(spark[name].protocol.tableFeatures).toEqual(expect.arrayContaining(['columnMapping', 'deletionVectors']));
    expect(spark[name].columns).toEqual(['id', 'amount', 'price', 'customer', 'items', 'by_store']);
    const table = await DeltaTable.open(path.join(dir, name));
    expect(table.snapshot.columnMappingMode).toBe(mode);
    expect(table.snapshot.files().some((f) => f.deletionVector)).toBe(true);
    // Spark's map keys are written in sorted order (`storeN` before `web`), the order its pairs are listed in.
    const rows = await readAs(name);
    expect(rows).toEqual(normalized(spark[name].rows, spark[name].columns));
    expect(table.snapshot.numRecords()).toBe(spark[name].count);
    // The renamed field reads from files written before and after the rename.
    const towns = rows.filter((r) => (r.customer as { address?: { town?: string } } | null)?.address?.town).map((r) => Number(r.id));
    expect([towns.some((id) => id < 20), towns.some((id) => id >= 20)]).toEqual([true, true]);
  });

  it('refuses writes to such tables, naming the feature', async () => {
    const dv = await DeltaTable.open(path.join(dir, 'dv'));
    await expect(dv.append({ rows: [{ id: 1n, name: 'x', amount: 1, part: 'a' }] })).rejects.toThrow(UnsupportedProtocolError);
    await expect(dv.append({ rows: [{ id: 1n, name: 'x', amount: 1, part: 'a' }] })).rejects.toThrow(/deletion vectors/);
    const named = await DeltaTable.open(path.join(dir, 'cm_name'));
    const row = { id: 1n, label: 'x', pays: 'FR', 'unit price': 1, amount: 'x' };
    await expect(named.append({ rows: [row] })).rejects.toThrow(/column mapping \(columnMapping\).*does not write them/);
  });
});
