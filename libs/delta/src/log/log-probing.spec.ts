import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, footprint, isObjectStoreUri, LAST_CHECKPOINT, pad20, versionAtTimestamp } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { CountingStore } from '../../test/counting-store';
import { DAY_MS, ids, logFiles, range, setMtime } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const MIN = 60_000;
const json = (v: number) => `${pad20(v)}.json`;
const cp = (v: number) => `${pad20(v)}.checkpoint.parquet`;

/** Commits carrying one txn each (the log's cost does not depend on data files), through the real transaction. */
async function commitTxns(table: DeltaTable, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await table.commit({
      actions: [{ txn: { appId: 'app', version: table.version + 1, lastUpdated: 0 } }],
      operation: 'WRITE',
      readVersion: table.version,
      isBlindAppend: true,
      footprint: footprint(),
    });
  }
}

/** A table at version n, checkpoints every 10 versions, commit file times T0 + v minutes. */
async function logOf(n: number): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: { 'delta.checkpointInterval': '10' } });
  await commitTxns(table, n);
  // S3 sets an object's time itself: only the local cases can rely on T0 + v minutes.
  if (!isObjectStoreUri(dir)) for (let v = 0; v <= n; v++) await setMtime(path.join(dir, '_delta_log', json(v)), T0 + v * MIN);
  return { dir, table };
}

describeEachBackend('reading the log without listing it', (backend) => {
  it('update() probes the next versions by name: the same few reads at 30 and 300 commits', async () => {
    const probes: number[] = [];
    for (const n of [30, 300]) {
      const { dir, table } = await logOf(n);
      const store = new CountingStore(dir);
      const reader = await DeltaTable.open(dir, { store });
      expect(reader.version).toBe(n);
      await commitTxns(table, 1);
      store.reset();
      expect(await reader.update()).toBe(1);
      expect(reader.txnVersion('app')).toBe(n + 1);
      probes.push(store.probes);
      expect(store.calls.list + store.calls.listRecursive).toBe(0);
      store.reset();
      expect(await reader.update()).toBe(0);
      expect(store.calls.list + store.calls.listRecursive).toBe(0);
      expect(store.probes).toBeLessThanOrEqual(2);
      // Opening the latest version goes from _last_checkpoint by name too.
      store.reset();
      expect((await DeltaTable.open(dir, { store })).version).toBe(n + 1);
      expect(store.calls.list).toBe(0);
    }
    expect(probes[1]).toBe(probes[0]);
    expect(probes[0]).toBeLessThanOrEqual(3);
  });

  it('history(limit) reads only the last `limit` commits; the whole history keeps at most 16 commit files open', async () => {
    const { dir } = await logOf(300);
    const store = new CountingStore(dir);
    const table = await DeltaTable.open(dir, { store });
    store.reset();
    const last = await table.history(10);
    expect(last.map((h) => h.version)).toEqual(range(291, 300).reverse());
    expect(store.calls.get).toBe(10);
    expect(store.calls.list).toBe(0);

    store.reset();
    const all = await table.history();
    expect(all.map((h) => h.version)).toEqual(range(0, 300).reverse());
    expect(all[0].operation).toBe('WRITE');
    expect(store.maxInFlight).toBeLessThanOrEqual(16);
    expect(store.calls.list).toBe(0);
  });

  const onLocalDisk = backend.name === 'local' ? it : it.skip; // commit times set by hand (see logOf)
  onLocalDisk('time travel by timestamp is a binary search over commit times: O(log n) probes, no listing', async () => {
    const { dir } = await logOf(300);
    const store = new CountingStore(dir);
    const at = async (t: number) => {
      store.reset();
      const v = await versionAtTimestamp(store, t);
      expect(store.calls.list).toBe(0);
      expect(store.probes).toBeLessThan(200);
      return v;
    };
    expect(await at(T0)).toBe(0);
    expect(await at(T0 + 137 * MIN)).toBe(137);
    expect(await at(T0 + 137 * MIN + MIN / 2)).toBe(137);
    expect(await at(T0 + 138 * MIN - 1)).toBe(137);
    expect(await at(T0 + 300 * MIN)).toBe(300);
    expect(await at(T0 + 9999 * MIN)).toBe(300);
    await expect(at(T0 - 1)).rejects.toThrow(/before the earliest available version \(0 at/);
    expect((await DeltaTable.open(dir, { timestamp: T0 + 42 * MIN + 1 })).txnVersion('app')).toBe(42);
  });
});

describe('a crash in the middle', () => {
  it('a commit written but its checkpoint not: the table opens, updates, and the next interval checkpoints', async () => {
    const { dir, table } = await logOf(25);
    await fs.rm(path.join(dir, '_delta_log', cp(20)));
    await fs.writeFile(path.join(dir, LAST_CHECKPOINT), JSON.stringify({ version: 10, size: 3 }));
    const store = new CountingStore(dir);
    const reopened = await DeltaTable.open(dir, { store });
    expect(reopened.version).toBe(25);
    expect(reopened.txnVersion('app')).toBe(25);
    expect(store.calls.list).toBe(0); // the older hint is still a valid starting point
    await commitTxns(reopened, 5);
    expect(await logFiles(dir)).toContain(cp(30));
    expect(JSON.parse(await fs.readFile(path.join(dir, LAST_CHECKPOINT), 'utf8')).version).toBe(30);
    expect(await table.update()).toBe(5);
    expect(table.txnVersion('app')).toBe(30);
  });

  it('a torn or missing _last_checkpoint falls back to listing the log', async () => {
    const { dir } = await logOf(25);
    await fs.writeFile(path.join(dir, LAST_CHECKPOINT), '{"vers');
    expect((await DeltaTable.open(dir)).txnVersion('app')).toBe(25);
    await fs.rm(path.join(dir, LAST_CHECKPOINT));
    expect((await DeltaTable.open(dir)).txnVersion('app')).toBe(25);
  });

  it('a half-done cleanup: readers start at the first checkpoint left, and the next cleanup finishes it', async () => {
    const { dir } = await logOf(45);
    // Cleanup deletes in version order, checkpoints first: it stopped after commit 14.
    for (const v of [10, 20]) await fs.rm(path.join(dir, '_delta_log', cp(v)));
    for (const v of range(0, 14)) await fs.rm(path.join(dir, '_delta_log', json(v)));

    const store = new CountingStore(dir);
    const table = await DeltaTable.open(dir, { store });
    expect(table.version).toBe(45);
    expect((await table.history()).map((h) => h.version)).toEqual(range(15, 45).reverse());
    await expect(versionAtTimestamp(store, T0 + 17 * MIN)).rejects.toThrow(/before the earliest available version \(30 at/);
    expect(await versionAtTimestamp(store, T0 + 33 * MIN)).toBe(33);
    await expect(DeltaTable.open(dir, { version: 25 })).rejects.toThrow(/the Delta log is missing version 0 \(found 15\)/);
    expect((await DeltaTable.open(dir, { version: 31 })).txnVersion('app')).toBe(31);

    store.reset();
    expect(await table.cleanupExpiredLogs(Date.now() + 365 * DAY_MS)).toBe(25 + 1); // commits 15-39, checkpoint 30
    expect(store.calls.list + store.calls.listRecursive).toBe(0);
    expect(await logFiles(dir)).toEqual([...range(40, 45).map(json), cp(40), '_last_checkpoint'].sort());
    // The horizon is remembered: nothing more to delete costs a few probes.
    store.reset();
    expect(await table.cleanupExpiredLogs(Date.now() + 365 * DAY_MS)).toBe(0);
    expect(store.probes).toBeLessThan(20);
    expect((await DeltaTable.open(dir)).txnVersion('app')).toBe(45);
  });

  it('cleanup keeps every version inside the retention: it stops at the newest checkpoint older than the cutoff', async () => {
    const { dir, table } = await logOf(45);
    // Commits up to 27 are older than the cutoff: checkpoint 20 is the newest whose version is expired.
    const deleted = await table.cleanupExpiredLogs(T0 + 27 * MIN + 30 * DAY_MS);
    expect(deleted).toBe(20 + 1); // commits 0-19, checkpoint 10
    expect((await logFiles(dir)).filter((f) => f.endsWith('.checkpoint.parquet'))).toEqual([cp(20), cp(30), cp(40)]);
    expect((await DeltaTable.open(dir, { version: 20 })).txnVersion('app')).toBe(20);
  });
});

describe('the transaction', () => {
  it('a failed post-commit hook (checkpoint) is reported, the commit stands, and log cleanup waits for a checkpoint', async () => {
    const dir = tempDir();
    class FailingCheckpoints extends CountingStore {
      fail = true;
      override put(p: string, data: Buffer | string): Promise<void> {
        if (this.fail && p.endsWith('.checkpoint.parquet')) return Promise.reject(new Error('disk full'));
        return super.put(p, data);
      }
    }
    const store = new FailingCheckpoints(dir);
    const reported: string[] = [];
    const table = await DeltaTable.create(dir, {
      schema: salesSchema,
      configuration: { 'delta.checkpointInterval': '10' },
      store,
      onPostCommitError: (hook, e) => reported.push(`${hook}: ${e.message}`),
    });
    await commitTxns(table, 10);
    expect(table.version).toBe(10);
    expect(reported).toEqual(['checkpoint: disk full']);
    expect(await logFiles(dir)).not.toContain(cp(10));
    expect((await DeltaTable.open(dir)).txnVersion('app')).toBe(10);
    store.fail = false;
    await commitTxns(table, 10);
    expect(await logFiles(dir)).toContain(cp(20));
    expect((await DeltaTable.open(dir)).version).toBe(20);
  });

  it('takes its clock from the table handle: commit timestamps and log retention follow an injected clock', async () => {
    const dir = tempDir();
    let now = T0;
    const table = await DeltaTable.create(dir, {
      schema: salesSchema,
      configuration: { 'delta.checkpointInterval': '10', 'delta.logRetentionDuration': 'interval 1 days' },
      clock: () => now,
    });
    for (let i = 0; i < 30; i++) {
      now += 3_600_000;
      await commitTxns(table, 1);
      // Commit file times follow the clock too, as a store on a simulated clock would give them.
      await setMtime(path.join(dir, '_delta_log', json(table.version)), now);
    }
    expect((await table.history(1))[0].timestamp).toBe(now);
    // At the commit of version 30 (hour 30), versions up to 6 are a day old: nothing is cleaned before checkpoint 10 expires.
    expect(await logFiles(dir)).toContain(json(0));
    now += 10 * 3_600_000;
    await commitTxns(table, 10); // version 40, hour 40: commits up to 16 expired, checkpoint 10 is the newest below
    expect((await logFiles(dir)).filter((f) => f.endsWith('.json'))[0]).toBe(json(10));
  });

  it('a long-running writer forgets expired tombstones at each checkpoint, as the checkpoint does', async () => {
    const dir = tempDir();
    let now = T0;
    const table = await DeltaTable.create(dir, {
      schema: salesSchema,
      partitionColumns: ['jour'],
      configuration: { 'delta.checkpointInterval': '10', 'delta.deletedFileRetentionDuration': 'interval 1 hours' },
      clock: () => now,
    });
    await table.append({ rows: salesRows(2, 1) });
    await table.append({ rows: salesRows(2, 3) });
    await table.optimize(); // version 3: two tombstones at T0
    expect(table.snapshot.state.tombstones.size).toBe(2);
    now += 2 * 3_600_000;
    await commitTxns(table, 7); // version 10: a checkpoint, two hours later
    expect(table.snapshot.state.tombstones.size).toBe(0);
    expect(ids(await table.readRows())).toEqual([1, 2, 3, 4]);
  });
});
