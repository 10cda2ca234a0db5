import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, S3ObjectStore } from '@app/delta';
import { LocalCopies } from '../../src/storage/local-copies';
import { salesRows, salesSchema, tempDir } from '../fixtures';
import { asRead, ids, range, sortById } from '../helpers';
import { describeS3, tableRoot } from '../backends';

/** The Delta operations on the S3 server, through the same code as on a local disk. */

const logFile = (v: number, kind = 'json') => `_delta_log/${String(v).padStart(20, '0')}.${kind}`;

describeS3('Delta tables on S3', () => {
  it('appends, checkpoints, reopens from the checkpoint and time-travels by version and timestamp', async () => {
    const uri = tableRoot('ops');
    const table = await DeltaTable.create(uri, {
      schema: salesSchema,
      partitionColumns: ['jour'],
      configuration: { 'delta.checkpointInterval': '3' },
    });
    expect(table.store).toBeInstanceOf(S3ObjectStore);
    const times: number[] = [];
    for (let v = 1; v <= 4; v++) {
      await table.append({ rows: salesRows(5, v * 100, v % 2 ? '2024-12-12' : '2024-12-13') });
      times.push(Date.now());
      // Time travel by timestamp reads commit files' modification times, which S3 keeps to the second.
      await new Promise((r) => setTimeout(r, 1100));
    }
    const store = table.store;
    await expect(store.head(logFile(3, 'checkpoint.parquet'))).resolves.toMatchObject({ path: logFile(3, 'checkpoint.parquet') });
    expect(JSON.parse((await store.get('_delta_log/_last_checkpoint')).toString())).toMatchObject({ version: 3 });

    const reopened = await DeltaTable.open(uri);
    expect(reopened.version).toBe(4);
    expect(ids(await reopened.readRows())).toEqual([...range(100, 104), ...range(200, 204), ...range(300, 304), ...range(400, 404)]);
    expect(ids(await (await DeltaTable.open(uri, { version: 2 })).readRows())).toEqual([...range(100, 104), ...range(200, 204)]);
    expect((await DeltaTable.open(uri, { timestamp: times[0] })).version).toBe(1);
    expect((await reopened.history()).map((h) => h.operation)).toEqual(['WRITE', 'WRITE', 'WRITE', 'WRITE', 'CREATE TABLE']);
  });

  it('optimize compacts a partition, vacuum deletes the replaced files from the bucket, the table reads the same', async () => {
    const uri = tableRoot('maintenance');
    const table = await DeltaTable.create(uri, { schema: salesSchema, partitionColumns: ['jour'] });
    for (let b = 0; b < 4; b++) await table.append({ rows: salesRows(5, 1 + b * 5, '2024-12-12') });
    const before = table.snapshot.files().map((f) => f.path);
    const result = await table.optimize();
    expect(result).toMatchObject({ numFilesRemoved: 4, numFilesAdded: 1 });
    expect(ids(await table.readRows())).toEqual(range(1, 20));

    const vacuumed = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    expect([...vacuumed.filesDeleted].sort()).toEqual([...before].sort());
    const left = (await table.store.listRecursive('')).map((f) => f.path).filter((p) => !p.startsWith('_delta_log/'));
    expect(left).toEqual(table.snapshot.files().map((f) => f.path));
    expect(ids(await (await DeltaTable.open(uri)).readRows())).toEqual(range(1, 20));
  });

  it('keeps the local copies of data files within their byte budget, downloading an evicted one again', async () => {
    const uri = tableRoot('copies');
    const table = await DeltaTable.create(uri, { schema: salesSchema, partitionColumns: ['jour'] });
    const days = ['2024-12-10', '2024-12-11', '2024-12-12', '2024-12-13'];
    for (const [i, day] of days.entries()) await table.append({ rows: salesRows(50, 1 + i * 50, day) });
    const files = table.snapshot.files().map((f) => f.path);
    const budget = Math.max(...table.snapshot.files().map((f) => f.size)) * 2;

    // No hold time here: each read evicts what does not fit.
    const localDir = tempDir('s3-copies-');
    const copies = LocalCopies.in(path.join(localDir, 'cache'), { maxBytes: budget, holdMs: 0 });
    const store = new S3ObjectStore(uri, { localDir });
    const onDisk = async () => {
      const names = await fs.readdir(path.join(localDir, 'cache'), { recursive: true, withFileTypes: true });
      const sizes = await Promise.all(names.filter((e) => e.isFile()).map(async (e) => (await fs.stat(path.join(e.parentPath, e.name))).size));
      return sizes.reduce((a, b) => a + b, 0);
    };
    const firstCopy = await fs.readFile(await store.readablePath(files[0]));
    for (const f of files.slice(1)) {
      await store.readablePath(f);
      expect(await onDisk()).toBeLessThanOrEqual(budget);
      expect(copies.bytes).toBe(await onDisk());
    }
    expect(await fs.readFile(await store.readablePath(files[0]))).toEqual(firstCopy); // evicted, downloaded again

    // With the hold time, a budget smaller than one file never takes a file from a query reading it.
    const held = new S3ObjectStore(uri, { localDir: tempDir('s3-copies-held-'), localCopiesMaxBytes: 1 });
    const rows = await (await DeltaTable.open(uri, { store: held })).readRows();
    expect(sortById(rows)).toEqual(asRead(days.flatMap((day, i) => salesRows(50, 1 + i * 50, day))));
  });
});
