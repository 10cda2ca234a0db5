import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, pad20 } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { DAY_MS, ids, logFiles, range, setMtime } from '../../test/helpers';

const json = (v: number) => `${pad20(v)}.json`;
const cp = (v: number) => `${pad20(v)}.checkpoint.parquet`;

async function tableWithCommits(n: number, config: Record<string, string> = {}): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tempDir();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: config });
  for (let i = 1; i <= n; i++) await table.append({ rows: salesRows(1, i) });
  return { dir, table };
}

describe('expired log cleanup', () => {
  it('deletes commits and checkpoints below the newest expired checkpoint; the table still opens at the latest version', async () => {
    const { dir, table } = await tableWithCommits(25);
    await fs.writeFile(path.join(dir, '_delta_log', `${pad20(3)}.crc`), '{}');
    expect((await logFiles(dir)).filter((f) => f.endsWith('.checkpoint.parquet'))).toEqual([cp(10), cp(20)]);

    const deleted = await table.cleanupExpiredLogs(Date.now() + 365 * DAY_MS);
    expect(deleted).toBe(20 + 1 + 1); // json 0-19, checkpoint 10, 3.crc
    expect(await logFiles(dir)).toEqual([...range(20, 25).map(json), cp(20), '_last_checkpoint'].sort());

    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(25);
    expect(ids(await fresh.readRows())).toEqual(range(1, 25));
    expect((await DeltaTable.open(dir, { version: 20 })).version).toBe(20);
    expect(ids(await (await DeltaTable.open(dir, { version: 22 })).readRows())).toEqual(range(1, 22));
    await expect(DeltaTable.open(dir, { version: 5 })).rejects.toThrow(/version 5 cannot be rebuilt/);
    expect((await fresh.history()).map((h) => h.version)).toEqual(range(20, 25).reverse());

    // Writing goes on as usual.
    await fresh.append({ rows: salesRows(1, 26) });
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual(range(1, 26));
  });

  it('a writer whose snapshot predates the cleanup cannot commit into a freed slot behind the checkpoint', async () => {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(1, 1) });
    const stale = await DeltaTable.open(dir); // a long-lived writer at version 1
    for (let i = 2; i <= 21; i++) await table.append({ rows: salesRows(1, i) });
    await table.cleanupExpiredLogs(Date.now() + 365 * DAY_MS);
    const before = await logFiles(dir);
    expect(before).not.toContain(json(2));

    await expect(stale.append({ rows: salesRows(1, 999) })).rejects.toThrow(/version 1, which this transaction read, is no longer in the log/);
    expect(await logFiles(dir)).toEqual(before);
    // update() notices that cleanup went past its version and catches up from the newest checkpoint.
    expect(await stale.update()).toBe(20);
    expect(stale.version).toBe(21);
    expect(ids(await stale.readRows())).toEqual(range(1, 21));

    const reopened = await DeltaTable.open(dir);
    expect((await reopened.append({ rows: salesRows(1, 999) })).version).toBe(22);
    expect(ids(await (await DeltaTable.open(dir)).readRows())).toEqual([...range(1, 21), 999]);
  });

  it('deletes nothing younger than the retention, and nothing without an expired checkpoint', async () => {
    const { dir, table } = await tableWithCommits(12);
    const before = await logFiles(dir);
    expect(await table.cleanupExpiredLogs()).toBe(0); // default 30 days
    expect(await table.cleanupExpiredLogs(Date.now() + 29 * DAY_MS)).toBe(0);
    expect(await logFiles(dir)).toEqual(before);

    // Commits 0-4 old, the rest (and the checkpoint) new: the checkpoint is not expired, so nothing goes.
    const old = Date.now() - 40 * DAY_MS;
    for (let v = 0; v <= 4; v++) await setMtime(path.join(dir, '_delta_log', json(v)), old);
    expect(await table.cleanupExpiredLogs()).toBe(0);
  });

  it('honours a lower delta.logRetentionDuration', async () => {
    const { dir, table } = await tableWithCommits(12, { 'delta.logRetentionDuration': 'interval 1 day' });
    expect(table.config.logRetentionMs).toBe(DAY_MS);
    expect(await table.cleanupExpiredLogs(Date.now() + 2 * DAY_MS)).toBe(10); // json 0-9; checkpoint 10 and its json stay
    expect(await logFiles(dir)).toEqual([json(10), json(11), json(12), cp(10), '_last_checkpoint'].sort());
    expect((await DeltaTable.open(dir)).version).toBe(12);
  });

  it('runs after each checkpoint when delta.enableExpiredLogCleanup is on (the default), not when off', async () => {
    for (const enabled of [true, false]) {
      const config: Record<string, string> = enabled ? {} : { 'delta.enableExpiredLogCleanup': 'false' };
      const { dir, table } = await tableWithCommits(10, config);
      const old = Date.now() - 40 * DAY_MS;
      for (const f of await logFiles(dir)) if (f !== '_last_checkpoint') await setMtime(path.join(dir, '_delta_log', f), old);
      for (let i = 11; i <= 20; i++) await table.append({ rows: salesRows(1, i) });
      const files = await logFiles(dir);
      if (enabled) {
        expect(files).toEqual([...range(10, 20).map(json), cp(10), cp(20), '_last_checkpoint'].sort());
      } else {
        expect(files).toEqual([...range(0, 20).map(json), cp(10), cp(20), '_last_checkpoint'].sort());
      }
      const fresh = await DeltaTable.open(dir);
      expect(fresh.version).toBe(20);
      expect(ids(await fresh.readRows())).toEqual(range(1, 20));
    }
  });
});
