import {
  commitPath,
  DataType,
  DeltaTable,
  duckdbType,
  LocalObjectStore,
  logicalColumnSql,
  physicalName,
  physicalType,
  serializeActions,
  sqlIdent,
  sqlString,
  StructField,
  StructType,
  UnsupportedProtocolError,
  withConnection,
} from '@app/delta';
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

/** A field as Spark writes it in a table with column mapping: its id and physical name, at any depth. */
const mapped = (name: string, type: DataType, id: number): StructField => ({
  name,
  type,
  nullable: true,
  metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': `col-${id}` },
});

/** id, a struct holding a struct, an array of structs and a map of structs, every field under a physical name. */
const nestedSchema: StructType = {
  type: 'struct',
  fields: [
    mapped('id', 'long', 1),
    mapped(
      'customer',
      {
        type: 'struct',
        fields: [
          mapped('name', 'string', 3),
          mapped('address', { type: 'struct', fields: [mapped('town', 'string', 5)] }, 4),
          // Added after the file was written: the file lacks it.
          mapped('vip', 'boolean', 10),
        ],
      },
      2,
    ),
    mapped('items', { type: 'array', elementType: { type: 'struct', fields: [mapped('qty', 'integer', 7)] }, containsNull: true }, 6),
    mapped(
      'by_store',
      { type: 'map', keyType: 'string', valueType: { type: 'struct', fields: [mapped('total', 'decimal(10,2)', 9)] }, valueContainsNull: true },
      8,
    ),
  ],
};

/** The schema of the data file: before `customer.vip` was added. */
const fileSchema: StructType = {
  ...nestedSchema,
  fields: nestedSchema.fields.map((f) =>
    f.name === 'customer' && typeof f.type !== 'string' && f.type.type === 'struct' ? { ...f, type: { ...f.type, fields: f.type.fields.slice(0, 2) } } : f,
  ),
};

/** A table of nestedSchema with one file of three rows; `topLevel` renames the file's top-level columns, to tell id from name resolution. */
async function nestedTable(mode: 'name' | 'id', topLevel: (physical: string) => string = (p) => p): Promise<string> {
  const dir = tempDir();
  const store = new LocalObjectStore(dir);
  const staging = await store.stagingPath('data.parquet');
  const [id, customer, items, byStore] = ['col-1', 'col-2', 'col-6', 'col-8'].map((c) => sqlIdent(topLevel(c)));
  const rows =
    `SELECT * FROM (VALUES ` +
    `(0, {'col-3': 'c0', 'col-4': {'col-5': 'Paris'}}, [{'col-7': 1}, NULL], MAP {'s1': {'col-9': 1.50}, 'web': NULL}), ` +
    `(1, {'col-3': 'c1', 'col-4': NULL}, [], MAP {}), ` +
    `(2, NULL, NULL, NULL)) AS v(${id}, ${customer}, ${items}, ${byStore})`;
  const physicalTypes = fileSchema.fields.map((f) => `CAST(${sqlIdent(topLevel(physicalName(f, mode)))} AS ${duckdbType(physicalType(f.type, mode))})`);
  await withConnection((conn) =>
    conn.run(
      `COPY (SELECT ${physicalTypes.map((t, i) => `${t} AS ${[id, customer, items, byStore][i]}`).join(', ')} FROM (${rows})) ` +
        `TO ${sqlString(staging)} (FORMAT parquet, FIELD_IDS {${id}: 1, ${customer}: 2, ${items}: 6, ${byStore}: 8})`,
    ),
  );
  await store.publish('data.parquet', staging);
  await store.putIfAbsent(
    commitPath(0),
    serializeActions([
      { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
      {
        metaData: {
          id: 'cm-nested',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(nestedSchema),
          partitionColumns: [],
          configuration: { 'delta.columnMapping.mode': mode, 'delta.columnMapping.maxColumnId': '9' },
          createdTime: 0,
        },
      },
      { add: { path: 'data.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } },
    ]),
  );
  return dir;
}

const nestedRows = [
  { id: 0n, customer: { name: 'c0', address: { town: 'Paris' }, vip: null }, items: [{ qty: 1 }, null], by_store: [['s1', { total: '1.50' }], ['web', null]] },
  { id: 1n, customer: { name: 'c1', address: null, vip: null }, items: [], by_store: [] },
  { id: 2n, customer: null, items: null, by_store: null },
];

describe('column mapping of nested columns', () => {
  const [customer, items, byStore] = nestedSchema.fields.slice(1);

  it('leaves unmapped and flat columns as plain column references', () => {
    expect(logicalColumnSql({ name: 'customer', type: customer.type, nullable: true }, 'none')).toBe('"customer"');
    expect(logicalColumnSql(nestedSchema.fields[0], 'name')).toBe('"col-1"');
    expect(physicalType(customer.type, 'none')).toBe(customer.type);
  });

  it('rebuilds logical names at every depth, keeping null structs, arrays and maps null', () => {
    expect(logicalColumnSql(customer, 'name')).toBe(
      `CASE WHEN "col-2" IS NULL THEN NULL ELSE struct_pack("name" := struct_extract("col-2", 'col-3'), ` +
        `"address" := CASE WHEN struct_extract("col-2", 'col-4') IS NULL THEN NULL ELSE struct_pack("town" := struct_extract(struct_extract("col-2", 'col-4'), 'col-5')) END, ` +
        `"vip" := struct_extract("col-2", 'col-10')) END`,
    );
    expect(logicalColumnSql(items, 'name')).toBe(
      `CASE WHEN "col-6" IS NULL THEN NULL ELSE list_transform("col-6", lambda x1: CASE WHEN x1 IS NULL THEN NULL ELSE struct_pack("qty" := struct_extract(x1, 'col-7')) END) END`,
    );
    expect(logicalColumnSql(byStore, 'name')).toBe(
      `CASE WHEN "col-8" IS NULL THEN NULL ELSE map_from_entries(list_transform(map_entries("col-8"), ` +
        `lambda x1: struct_pack(key := x1.key, value := CASE WHEN x1.value IS NULL THEN NULL ELSE struct_pack("total" := struct_extract(x1.value, 'col-9')) END))) END`,
    );
    expect(duckdbType(physicalType(byStore.type, 'name'))).toBe('MAP(VARCHAR, STRUCT("col-9" DECIMAL(10,2)))');
  });

  it('name mode: a struct of structs, an array of structs and a map of structs read with logical names, a field the file lacks as null', async () => {
    const table = await DeltaTable.open(await nestedTable('name'));
    expect(await table.readRows()).toEqual(nestedRows);
  });

  it('id mode: top-level columns by field id, nested fields by physical name, a field the file lacks as null', async () => {
    const table = await DeltaTable.open(await nestedTable('id', (p) => `other-${p}`));
    expect(table.snapshot.columnMappingMode).toBe('id');
    expect(await table.readRows()).toEqual(nestedRows);
  });
});
