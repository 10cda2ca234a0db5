import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { DeltaTable, readCommit, S3ObjectStore } from '@app/delta';
import { salesRows, salesSchema } from '../fixtures';
import { ids, range } from '../helpers';
import { startS3, S3TestServer } from './s3-server';

/** The Delta operations on the S3 server, through the same code as on a local disk. */
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3();
});

const logFile = (v: number, kind = 'json') => `_delta_log/${String(v).padStart(20, '0')}.${kind}`;

describe('Delta tables on S3', () => {
  it('appends, checkpoints, reopens from the checkpoint and time-travels by version and timestamp', async () => {
    const uri = s3.root('ops');
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
    const uri = s3.root('maintenance');
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

  it('4 processes append at once: contiguous versions, every commit exactly once, every row once', async () => {
    const uri = s3.root('writers');
    await DeltaTable.create(uri, { schema: salesSchema, partitionColumns: ['jour'] });
    const WRITERS = 4;
    const BATCHES = 6;
    const ROWS = 10;
    const writers = range(0, WRITERS - 1).map((w) => startWriter(uri, w, BATCHES, ROWS));
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    const outcomes = await Promise.all(writers.map((w) => w.done));
    for (const o of outcomes) expect({ code: o.code, stderr: o.code === 0 ? '' : o.stderr }).toEqual({ code: 0, stderr: '' });
    const versions = outcomes.flatMap((o) => (JSON.parse(o.stdout.trim()) as { versions: number[] }).versions);
    const total = WRITERS * BATCHES;
    expect(versions.sort((a, b) => a - b)).toEqual(range(1, total));

    const table = await DeltaTable.open(uri);
    expect(table.version).toBe(total);
    const seen: string[] = [];
    for (let v = 1; v <= total; v++) {
      const txns = (await readCommit(table.store, v)).flatMap((a) => ('txn' in a ? [a.txn] : []));
      expect(txns).toHaveLength(1);
      seen.push(`${txns[0].appId}#${txns[0].version}`);
    }
    expect(seen.sort()).toEqual(
      range(0, WRITERS - 1)
        .flatMap((w) => range(1, BATCHES).map((b) => `writer-${w}#${b}`))
        .sort(),
    );
    expect(ids(await table.readRows())).toEqual(range(1, total * ROWS));
  }, 300_000);
});

interface Writer {
  ready: Promise<void>;
  go(): void;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** libs/delta/test/concurrent-writer.ts in its own process, held at a barrier until go(). */
function startWriter(uri: string, writer: number, batches: number, rows: number): Writer {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      path.join(__dirname, '..', 'concurrent-writer.ts'),
      uri,
      String(writer),
      String(batches),
      String(rows),
      '--barrier',
    ],
    { env: { ...process.env, DUCKDB_THREADS: '1' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      resolve({ code, stdout: stdout.replace(/^ready\n/, ''), stderr });
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}
