import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, CommitConflictError, DeltaTable, footprint, LocalObjectStore } from '@app/delta';
import { commitWithRetries } from './commit';
import { salesRows, salesSchema, tempDir } from '../../../test/fixtures';
import { actionsOf, asRead, commitInfoOf, commitVersions, ids, range, readLog, sortById } from '../../../test/helpers';
import { describeEachBackend, tableRoot } from '../../../test/backends';

async function salesTable(): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  return { dir, table };
}

describe('put-if-absent', () => {
  // LocalObjectStore's own (S3ObjectStore's: libs/delta/test/s3/object-store-conformance.spec.ts).
  it('LocalObjectStore.putIfAbsent refuses an existing path with AlreadyExistsError and keeps the first content', async () => {
    const dir = tempDir();
    const store = new LocalObjectStore(dir);
    await store.putIfAbsent('_delta_log/00000000000000000001.json', 'first\n');
    const err = await store.putIfAbsent('_delta_log/00000000000000000001.json', 'second\n').catch((e) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(err.message).toContain('_delta_log/00000000000000000001.json');
    expect(await fs.readFile(path.join(dir, '_delta_log/00000000000000000001.json'), 'utf8')).toBe('first\n');
    // No temp file is left behind, win or lose.
    expect(await fs.readdir(path.join(dir, '_delta_log'))).toEqual(['00000000000000000001.json']);
  });

  it('lets exactly one of many concurrent writers create a path', async () => {
    const dir = tempDir();
    const store = new LocalObjectStore(dir);
    const results = await Promise.allSettled(range(0, 19).map((i) => store.putIfAbsent('x/v.json', `writer ${i}`)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyExistsError);
    expect(await fs.readFile(path.join(dir, 'x/v.json'), 'utf8')).toBe(`writer ${won[0]}`);
    expect(await fs.readdir(path.join(dir, 'x'))).toEqual(['v.json']);
  });

  it('commitWithRetries never overwrites a commit and gives up after maxRetries', async () => {
    const { dir } = await salesTable();
    const store = new LocalObjectStore(dir);
    const req = {
      actions: [],
      operation: 'NOOP',
      readVersion: 0,
      isBlindAppend: true,
      footprint: { readPartitions: [] as [], readFiles: new Set<string>(), removedFiles: new Set<string>(), appIds: new Set<string>(), changesMetadata: false, rearrangeOnly: false },
    };
    const first = await commitWithRetries(store, req);
    expect(first.version).toBe(1);
    const second = await commitWithRetries(store, req);
    expect(second.version).toBe(2);
    expect(second.winners).toHaveLength(1);
    expect(commitInfoOf(second.winners[0]).operation).toBe('NOOP');
    await expect(commitWithRetries(store, req, { maxRetries: 1 })).rejects.toThrow(/gave up committing after 1 retries/);
    expect(await commitVersions(dir)).toEqual([0, 1, 2]);
  });
});

describeEachBackend('optimistic concurrency', () => {
  it('two tables opened at the same version both append: versions n+1 and n+2, nothing lost', async () => {
    const { dir, table } = await salesTable();
    await table.append({ rows: salesRows(5, 1) });
    const a = await DeltaTable.open(dir);
    const b = await DeltaTable.open(dir);
    expect([a.version, b.version]).toEqual([1, 1]);

    const ra = await a.append({ rows: salesRows(5, 100) });
    const rb = await b.append({ rows: salesRows(5, 200) });
    expect(ra.version).toBe(2);
    expect(rb.version).toBe(3);
    // The loser caught up with the winner's commit while retrying.
    expect(b.version).toBe(3);
    expect(b.snapshot.files()).toHaveLength(3);
    expect(commitInfoOf(await readLog(dir, 3)).readVersion).toBe(1);

    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(3);
    expect(sortById(await fresh.readRows())).toEqual(asRead([...salesRows(5, 1), ...salesRows(5, 100), ...salesRows(5, 200)]));
    expect(await commitVersions(dir)).toEqual([0, 1, 2, 3]);
  });

  it('many in-process writers appending at once get contiguous versions, each commit landing once', async () => {
    const { dir } = await salesTable();
    const tables = await Promise.all(range(0, 5).map(() => DeltaTable.open(dir)));
    const results = await Promise.all(tables.map((t, i) => t.append({ rows: salesRows(3, i * 10 + 1) })));
    expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await commitVersions(dir)).toEqual(range(0, 6));
    const rows = await (await DeltaTable.open(dir)).readRows();
    expect(ids(rows)).toEqual(range(0, 5).flatMap((i) => range(i * 10 + 1, i * 10 + 3)));
  });

  it('a refused commit (readVersion behind the snapshot) is an error', async () => {
    const { table } = await salesTable();
    await expect(
      table.commit({
        actions: [],
        operation: 'X',
        readVersion: 5,
        isBlindAppend: true,
        footprint: footprint(),
      }),
    ).rejects.toThrow(/current snapshot/);
  });
});

describeEachBackend('conflicts at table level', () => {
  async function twoDays(): Promise<{ dir: string }> {
    const { dir, table } = await salesTable();
    await table.append({ rows: [...salesRows(5, 1, '2024-12-12'), ...salesRows(5, 11, '2024-12-13')] });
    return { dir };
  }

  it('two overwrites of the same partition from stale snapshots: the second gets CommitConflictError', async () => {
    const { dir } = await twoDays();
    const a = await DeltaTable.open(dir);
    const b = await DeltaTable.open(dir);
    await a.overwrite({ rows: salesRows(2, 100, '2024-12-12') }, { partitions: [{ jour: '2024-12-12' }] });
    const err = await b.overwrite({ rows: salesRows(3, 200, '2024-12-12') }, { partitions: [{ jour: '2024-12-12' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(['ConcurrentDeleteRead', 'ConcurrentDeleteDelete']).toContain(err.kind);
    expect(err.winningVersion).toBe(2);
    expect(await commitVersions(dir)).toEqual([0, 1, 2]);
    const rows = await (await DeltaTable.open(dir)).readRows();
    expect(ids(rows)).toEqual([...range(11, 15), 100, 101]);
  });

  it('a full overwrite conflicts with a concurrent overwrite of any partition', async () => {
    const { dir } = await twoDays();
    const a = await DeltaTable.open(dir);
    const b = await DeltaTable.open(dir);
    await a.overwrite({ rows: salesRows(1, 100, '2024-12-13') }, { partitions: 'dynamic' });
    await expect(b.overwrite({ rows: salesRows(1, 200) })).rejects.toBeInstanceOf(CommitConflictError);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([...range(1, 5), 100]);
  });

  it('overwrites of different partitions from stale snapshots both commit', async () => {
    const { dir } = await twoDays();
    const a = await DeltaTable.open(dir);
    const b = await DeltaTable.open(dir);
    expect((await a.overwrite({ rows: salesRows(1, 100, '2024-12-12') }, { partitions: 'dynamic' })).version).toBe(2);
    expect((await b.overwrite({ rows: salesRows(1, 200, '2024-12-13') }, { partitions: 'dynamic' })).version).toBe(3);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([100, 200]);
  });

  it('a blind append does not conflict with a partition overwrite (WriteSerializable): the appended rows survive', async () => {
    const { dir } = await twoDays();
    const appender = await DeltaTable.open(dir);
    const overwriter = await DeltaTable.open(dir);
    await appender.append({ rows: salesRows(2, 50, '2024-12-12') });
    const r = await overwriter.overwrite({ rows: salesRows(1, 100, '2024-12-12') }, { partitions: 'dynamic' });
    expect(r.version).toBe(3);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([...range(11, 15), 50, 51, 100]);
  });

  it('an OPTIMIZE and a concurrent overwrite of the files it compacts: the later one fails', async () => {
    const { dir } = await twoDays();
    const t = await DeltaTable.open(dir);
    await t.append({ rows: salesRows(2, 50, '2024-12-12') });
    const optimizer = await DeltaTable.open(dir);
    const overwriter = await DeltaTable.open(dir);
    await optimizer.optimize();
    const err = await overwriter.overwrite({ rows: salesRows(1, 100, '2024-12-12') }, { partitions: 'dynamic' }).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(['ConcurrentDeleteRead', 'ConcurrentDeleteDelete']).toContain(err.kind);
  });

  it('an OPTIMIZE does not conflict with concurrent blind appends', async () => {
    const { dir } = await twoDays();
    const t = await DeltaTable.open(dir);
    await t.append({ rows: salesRows(2, 50, '2024-12-12') });
    const optimizer = await DeltaTable.open(dir);
    await t.append({ rows: salesRows(2, 60, '2024-12-12') });
    const res = await optimizer.optimize();
    expect(res.version).toBe(4);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([...range(1, 5), ...range(11, 15), 50, 51, 60, 61]);
  });

  it('the same appId committed concurrently: the second writer gets ConcurrentTransaction', async () => {
    const { dir } = await twoDays();
    const a = await DeltaTable.open(dir);
    const b = await DeltaTable.open(dir);
    await a.append({ rows: salesRows(1, 100) }, { txns: [{ appId: 'ingest', version: 1 }] });
    const err = await b.append({ rows: salesRows(1, 200) }, { txns: [{ appId: 'ingest', version: 1 }] }).catch((e) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect(err.kind).toBe('ConcurrentTransaction');
    expect(err.message).toContain('ingest');
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(2);
    expect(fresh.txnVersion('ingest')).toBe(1);
    expect(ids(await fresh.readRows())).toContain(100);
    expect(ids(await fresh.readRows())).not.toContain(200);
  });

  it('different appIds committed concurrently both land', async () => {
    const { dir } = await twoDays();
    const a = await DeltaTable.open(dir);
    const b = await DeltaTable.open(dir);
    await a.append({ rows: salesRows(1, 100) }, { txns: [{ appId: 'ingest-a', version: 1 }] });
    await b.append({ rows: salesRows(1, 200) }, { txns: [{ appId: 'ingest-b', version: 1 }] });
    const fresh = await DeltaTable.open(dir);
    expect([fresh.txnVersion('ingest-a'), fresh.txnVersion('ingest-b')]).toEqual([1, 1]);
  });
});

describeEachBackend('txn (application transaction versions)', () => {
  it('reads txn versions back per app id, the last one written winning (even when lower)', async () => {
    const { dir, table } = await salesTable();
    expect(table.txnVersion('a')).toBeUndefined();
    await table.append({ rows: salesRows(1, 1) }, { txns: [{ appId: 'a', version: 1 }, { appId: 'b', version: 7 }] });
    await table.append({ rows: salesRows(1, 2) }, { txns: [{ appId: 'a', version: 5 }] });
    await table.append({ rows: salesRows(1, 3) }, { txns: [{ appId: 'a', version: 3 }] });
    expect(table.txnVersion('a')).toBe(3);
    expect(table.txnVersion('b')).toBe(7);
    expect(table.txnVersion('c')).toBeUndefined();

    const txns = actionsOf(await readLog(dir, 1), 'txn');
    expect(txns.map((t) => [t.appId, t.version])).toEqual([
      ['a', 1],
      ['b', 7],
    ]);
    for (const t of txns) expect(typeof t.lastUpdated).toBe('number');

    const fresh = await DeltaTable.open(dir);
    expect([fresh.txnVersion('a'), fresh.txnVersion('b')]).toEqual([3, 7]);
    expect((await DeltaTable.open(dir, { version: 2 })).txnVersion('a')).toBe(5);

    // Through a checkpoint as well.
    await fresh.checkpoint();
    const fromCheckpoint = await DeltaTable.open(dir);
    expect([fromCheckpoint.txnVersion('a'), fromCheckpoint.txnVersion('b')]).toEqual([3, 7]);
  });

  it('an overwrite carries txns too', async () => {
    const { dir, table } = await salesTable();
    await table.overwrite({ rows: salesRows(2) }, { txns: [{ appId: 'silver', version: 42 }] });
    expect((await DeltaTable.open(dir)).txnVersion('silver')).toBe(42);
  });
});
