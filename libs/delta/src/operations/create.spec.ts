import { DeltaTable, storeForUri, struct, TableNotFoundError, UnsupportedProtocolError } from '@app/delta';
import { salesRows, salesSchema } from '../../test/fixtures';
import { commitVersions, craftTable, dataFiles, logFiles, readLog, rootEntries, writeLog } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

describeEachBackend('create table', () => {
  it('commits version 0 with commitInfo, protocol (1,2) and metaData, schemaString being a JSON string', async () => {
    const dir = tableRoot();
    const before = Date.now();
    const table = await DeltaTable.create(dir, {
      schema: salesSchema,
      partitionColumns: ['jour'],
      configuration: { 'delta.checkpointInterval': '5' },
      name: 'ventes',
      description: 'sales',
    });
    expect(table.version).toBe(0);
    expect(await logFiles(dir)).toEqual(['00000000000000000000.json']);

    const raw = (await storeForUri(dir).get('_delta_log/00000000000000000000.json')).toString('utf8');
    const lines = raw.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => Object.keys(l))).toEqual([['commitInfo'], ['protocol'], ['metaData']]);

    const info = lines[0].commitInfo;
    expect(info.operation).toBe('CREATE TABLE');
    expect(info.isBlindAppend).toBe(true);
    expect(info.operationParameters.partitionBy).toBe('["jour"]');
    expect(info.timestamp).toBeGreaterThanOrEqual(before);
    for (const v of Object.values(info.operationParameters)) expect(typeof v).toBe('string');

    expect(lines[1].protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });

    const md = lines[2].metaData;
    expect(md.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(md.name).toBe('ventes');
    expect(md.description).toBe('sales');
    expect(md.format).toEqual({ provider: 'parquet', options: {} });
    expect(md.partitionColumns).toEqual(['jour']);
    expect(md.configuration).toEqual({ 'delta.checkpointInterval': '5' });
    expect(md.createdTime).toBeGreaterThanOrEqual(before);
    expect(typeof md.schemaString).toBe('string');
    expect(JSON.parse(md.schemaString)).toEqual({
      type: 'struct',
      fields: [
        { name: 'vente_id', type: 'long', nullable: false, metadata: {} },
        { name: 'client_id', type: 'integer', nullable: true, metadata: {} },
        { name: 'timestamp', type: 'timestamp', nullable: true, metadata: {} },
        { name: 'montant', type: 'double', nullable: true, metadata: {} },
        { name: 'pays', type: 'string', nullable: true, metadata: {} },
        { name: 'jour', type: 'date', nullable: true, metadata: {} },
      ],
    });

    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(0);
    expect(reopened.snapshot.schema).toEqual(salesSchema);
    expect(reopened.snapshot.partitionColumns).toEqual(['jour']);
    expect(reopened.config.checkpointInterval).toBe(5);
    expect(reopened.snapshot.files()).toEqual([]);
    expect(await reopened.readRows()).toEqual([]);
  });

  it('refuses to create a table where one exists, leaving its log untouched', async () => {
    const dir = tableRoot();
    await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    const before = await readLog(dir, 0);
    await expect(DeltaTable.create(dir, { schema: salesSchema })).rejects.toThrow(/already exists/);
    expect(await readLog(dir, 0)).toEqual(before);
    expect(await logFiles(dir)).toEqual(['00000000000000000000.json']);
  });

  it('refuses a partition column missing from the schema or an invalid configuration without writing a log', async () => {
    const dir = tableRoot();
    await expect(DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['day'] })).rejects.toThrow(/partition column "day"/);
    await expect(
      DeltaTable.create(dir, { schema: salesSchema, configuration: { 'delta.checkpointInterval': '0' } }),
    ).rejects.toThrow(/checkpointInterval/);
    await expect(
      DeltaTable.create(dir, { schema: salesSchema, configuration: { 'delta.logRetentionDuration': 'forever' } }),
    ).rejects.toThrow(/invalid interval/);
    expect(await rootEntries(dir)).toEqual([]);
  });

  it('openOrCreate creates a missing table, reopens an existing one and refuses a different schema or partitioning', async () => {
    const dir = tableRoot();
    const created = await DeltaTable.openOrCreate(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    expect(created.version).toBe(0);
    await created.append({ rows: salesRows(2) });
    const reopened = await DeltaTable.openOrCreate(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    expect(reopened.version).toBe(1);
    await expect(DeltaTable.openOrCreate(dir, { schema: salesSchema })).rejects.toThrow(/different schema or partitioning/);
    await expect(DeltaTable.openOrCreate(dir, { schema: struct(salesSchema.fields.slice(0, 3)), partitionColumns: ['jour'] })).rejects.toThrow(
      /different schema/,
    );
  });

  it('openOrCreate reports why a table could not be created, not TableNotFoundError', async () => {
    const dir = tableRoot();
    await expect(DeltaTable.openOrCreate(dir, { schema: salesSchema, partitionColumns: ['nope'] })).rejects.toThrow(/partition column "nope" is not in the schema/);
    await expect(DeltaTable.openOrCreate(dir, { schema: salesSchema, configuration: { 'delta.checkpointInterval': 'x' } })).rejects.toThrow(
      /invalid delta.checkpointInterval "x"/,
    );
  });

  it('concurrent openOrCreate calls all end up on the same single version 0', async () => {
    const dir = tableRoot();
    const tables = await Promise.all([1, 2, 3, 4].map(() => DeltaTable.openOrCreate(dir, { schema: salesSchema, partitionColumns: ['jour'] })));
    expect(tables.map((t) => t.version)).toEqual([0, 0, 0, 0]);
    expect(new Set(tables.map((t) => t.snapshot.metadata.id)).size).toBe(1);
    expect(await logFiles(dir)).toEqual(['00000000000000000000.json']);
  });

  it('opening a folder without a log gives TableNotFoundError', async () => {
    await expect(DeltaTable.open(tableRoot())).rejects.toBeInstanceOf(TableNotFoundError);
  });
});

describeEachBackend('protocol check', () => {
  const cases: Array<[string, Parameters<typeof craftTable>[1]]> = [
    // Deletion vectors and column mapping are read (scan/deletion-vectors.spec.ts, schema/column-mapping.spec.ts), beside a feature that is not.
    ['reader version 3 with readerFeatures [deletionVectors, v2Checkpoint]', { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', 'v2Checkpoint'], writerFeatures: ['deletionVectors', 'v2Checkpoint'] }],
    ['reader version 3 with readerFeatures [v2Checkpoint]', { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['v2Checkpoint'], writerFeatures: ['v2Checkpoint'] }],
    ['reader version 3 with readerFeatures [columnMapping, typeWidening]', { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['columnMapping', 'typeWidening'], writerFeatures: ['columnMapping', 'typeWidening'] }],
    ['reader version 4', { minReaderVersion: 4, minWriterVersion: 7 }],
  ];

  it.each(cases)('refuses to open a table that needs %s', async (_name, protocol) => {
    const dir = tableRoot();
    await craftTable(dir, protocol);
    const err = await DeltaTable.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedProtocolError);
    expect(err.name).toBe('UnsupportedProtocolError');
  });

  it('names the unsupported reader feature', async () => {
    const dir = tableRoot();
    await craftTable(dir, cases[0][1]);
    await expect(DeltaTable.open(dir)).rejects.toThrow(/reader features this library does not support: v2Checkpoint$/);
  });

  const writeCases: Array<[string, Parameters<typeof craftTable>[1], RegExp]> = [
    ['writer 7 with the read-only writer feature deletionVectors', { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['deletionVectors'] }, /deletion vectors \(deletionVectors\): this library reads such tables but does not write them/],
    ['writer version 5 (column mapping)', { minReaderVersion: 2, minWriterVersion: 5 }, /writer version 5 \(column mapping\): this library reads such tables but does not write them/],
    ['writer 7 with appendOnly and the unknown feature changeDataFeed', { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'changeDataFeed'] }, /changeDataFeed/],
    ['writer version 3 (CHECK constraints)', { minReaderVersion: 1, minWriterVersion: 3 }, /writer version 3/],
    ['writer version 4 (generated columns)', { minReaderVersion: 1, minWriterVersion: 4 }, /writer version 4/],
  ];

  it.each(writeCases)('opens for reading but refuses to write a table with %s', async (_name, protocol, message) => {
    const dir = tableRoot();
    await craftTable(dir, protocol);
    const table = await DeltaTable.open(dir);
    expect(table.version).toBe(0);
    expect(await table.readRows()).toEqual([]);
    const err = await table.append({ rows: salesRows(3) }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedProtocolError);
    expect(err.message).toMatch(message);
    expect(await commitVersions(dir)).toEqual([0]);
    expect((await DeltaTable.open(dir)).snapshot.files()).toEqual([]);
    await expect(table.overwrite({ rows: salesRows(3) })).rejects.toBeInstanceOf(UnsupportedProtocolError);
    expect(await commitVersions(dir)).toEqual([0]);
  });

  it('writes a writer-7 table whose features are all supported (appendOnly, invariants)', async () => {
    const dir = tableRoot();
    await craftTable(dir, { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'invariants'] });
    const table = await DeltaTable.open(dir);
    await table.append({ rows: salesRows(3) });
    expect(table.version).toBe(1);
    expect((await (await DeltaTable.open(dir)).readRows()).length).toBe(3);
  });

  it('reads a reader-3 table with an empty readerFeatures list', async () => {
    const dir = tableRoot();
    await craftTable(dir, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: [] });
    expect((await DeltaTable.open(dir)).version).toBe(0);
  });

  it('refuses a protocol upgrade in a later commit, on open and on update() of an open table', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(2) });
    const stale = await DeltaTable.open(dir);
    await writeLog(dir, 2, [
      { commitInfo: { timestamp: Date.now(), operation: 'UPGRADE PROTOCOL', operationParameters: {} } },
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['v2Checkpoint'], writerFeatures: ['v2Checkpoint'] } },
    ]);
    await expect(DeltaTable.open(dir)).rejects.toBeInstanceOf(UnsupportedProtocolError);
    await expect(stale.update()).rejects.toBeInstanceOf(UnsupportedProtocolError);
    // Older versions are still readable.
    expect((await (await DeltaTable.open(dir, { version: 1 })).readRows()).length).toBe(2);
  });

  it('a concurrent protocol change makes a pending write fail and leaves no commit of it', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await writeLog(dir, 1, [
      { commitInfo: { timestamp: Date.now(), operation: 'UPGRADE PROTOCOL', operationParameters: {} } },
      { protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['deletionVectors'] } },
    ]);
    await expect(table.append({ rows: salesRows(2) })).rejects.toMatchObject({ name: 'CommitConflictError', kind: 'ProtocolChanged' });
    expect(await commitVersions(dir)).toEqual([0, 1]);
    expect((await dataFiles(dir)).length).toBe(1); // the orphan data file, for VACUUM
  });
});
