import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { commitTimestamps, DeltaTable, LocalObjectStore } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../../test/fixtures';
import { ids, range, setMtime } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const MIN = 60_000;

/** v0 create, v1..v3 appends of 2 rows (ids 10v, 10v+1), commit file mtimes at T0 + v minutes. */
async function tableWithTimes(): Promise<string> {
  const dir = tempDir();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
  for (let v = 1; v <= 3; v++) await table.append({ rows: salesRows(2, v * 10) });
  for (let v = 0; v <= 3; v++) await setMtime(path.join(dir, `_delta_log/${String(v).padStart(20, '0')}.json`), T0 + v * MIN);
  return dir;
}

describe('time travel', () => {
  it('opens a given version', async () => {
    const dir = await tableWithTimes();
    const v1 = await DeltaTable.open(dir, { version: 1 });
    expect(v1.version).toBe(1);
    expect(ids(await v1.readRows())).toEqual([10, 11]);
    expect(ids(await (await DeltaTable.open(dir, { version: 2 })).readRows())).toEqual([10, 11, 20, 21]);
    expect(await (await DeltaTable.open(dir, { version: 0 })).readRows()).toEqual([]);
    expect((await DeltaTable.open(dir)).version).toBe(3);
    await expect(DeltaTable.open(dir, { version: 4 })).rejects.toThrow(/version 4 cannot be rebuilt: the log ends at 3/);
  });

  it('opens the newest version committed at or before a timestamp (commit file mtime)', async () => {
    const dir = await tableWithTimes();
    const at = async (timestamp: Date | string | number) => (await DeltaTable.open(dir, { timestamp })).version;
    expect(await at(T0)).toBe(0);
    expect(await at(T0 + MIN - 1)).toBe(0);
    expect(await at(T0 + MIN + MIN / 2)).toBe(1);
    expect(await at(new Date(T0 + 2 * MIN))).toBe(2);
    expect(await at('2024-01-01T00:02:30Z')).toBe(2);
    expect(await at(T0 + 3 * MIN)).toBe(3);
    expect(await at(Date.parse('2030-01-01T00:00:00Z'))).toBe(3); // after the latest: the latest, as delta-rs does
    await expect(at(T0 - 1)).rejects.toThrow(/before the earliest available version \(0 at 2024-01-01T00:00:00.000Z\)/);
    const v2 = await DeltaTable.open(dir, { timestamp: T0 + 2 * MIN + 1 });
    expect(ids(await v2.readRows())).toEqual([10, 11, 20, 21]);
  });

  it('refuses an unparseable timestamp instead of travelling to version 0', async () => {
    const dir = await tableWithTimes();
    await expect(DeltaTable.open(dir, { timestamp: 'yesterday' })).rejects.toThrow('invalid time travel timestamp: yesterday');
    await expect(DeltaTable.open(dir, { timestamp: new Date('nope') })).rejects.toThrow(/invalid time travel timestamp/);
  });

  it('takes a timestamp string without an offset as UTC, whatever the host time zone', async () => {
    const dir = await tableWithTimes();
    // TZ cannot be changed inside jest's sandbox: ask a child process in New York (the local reading is version 3).
    const repo = path.resolve(__dirname, '../../../..');
    const code =
      `require('./libs/delta/src').DeltaTable.open(${JSON.stringify(dir)}, { timestamp: '2024-01-01T00:01:30' })` +
      `.then((t) => console.log(t.version), (e) => { console.log(e.message); process.exit(1); })`;
    for (const tz of ['America/New_York']) {
      const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], {
        cwd: repo,
        env: { ...process.env, TZ: tz, TS_NODE_PROJECT: path.join(repo, 'tsconfig.json') },
        encoding: 'utf8',
      });
      expect({ tz, out: r.stdout.trim(), status: r.status }).toEqual({ tz, out: '1', status: 0 });
    }
    expect((await DeltaTable.open(dir, { timestamp: '2024-01-01T00:01:30' })).version).toBe(1);
  });

  it('makes commit timestamps strictly increasing when file times go backwards', async () => {
    const dir = await tableWithTimes();
    await setMtime(path.join(dir, '_delta_log/00000000000000000002.json'), T0 + 30_000); // before v1's
    const times = await commitTimestamps(new LocalObjectStore(dir));
    expect(times).toEqual([
      { version: 0, timestamp: T0 },
      { version: 1, timestamp: T0 + MIN },
      { version: 2, timestamp: T0 + MIN + 1 },
      { version: 3, timestamp: T0 + 3 * MIN },
    ]);
    expect((await DeltaTable.open(dir, { timestamp: T0 + MIN })).version).toBe(1);
    expect((await DeltaTable.open(dir, { timestamp: T0 + MIN + 1 })).version).toBe(2);
  });
});

describeEachBackend('history', () => {
  it('returns commitInfo per version, newest first, with operation names', async () => {
    const dir = tableRoot();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    const start = Date.now();
    await table.append({ rows: salesRows(2, 1) });
    await table.append({ rows: salesRows(2, 10, '2024-12-13') }, { txns: [{ appId: 'a', version: 1 }] });
    await table.overwrite({ rows: salesRows(2, 20) }, { partitions: 'dynamic' });
    await table.append({ rows: salesRows(2, 30) });
    await table.optimize();
    const h = await table.history();
    expect(h.map((e) => e.version)).toEqual(range(0, 5).reverse());
    expect(h.map((e) => e.operation)).toEqual(['OPTIMIZE', 'WRITE', 'WRITE', 'WRITE', 'WRITE', 'CREATE TABLE']);
    expect(h.map((e) => e.operationParameters?.mode)).toEqual([undefined, 'Append', 'Overwrite', 'Append', 'Append', undefined]);
    expect(h.map((e) => e.isBlindAppend)).toEqual([false, true, false, true, true, true]);
    expect(h.map((e) => e.readVersion)).toEqual([4, 3, 2, 1, 0, undefined]);
    for (const e of h) {
      expect(e.engineInfo).toMatch(/^lakehouse-delta-ts\//);
      expect(typeof e.timestamp).toBe('number');
      for (const v of Object.values(e.operationParameters ?? {})) expect(typeof v).toBe('string');
      for (const v of Object.values(e.operationMetrics ?? {})) expect(typeof v).toBe('string');
    }
    expect(h[0].timestamp).toBeGreaterThanOrEqual(start);
    expect(h[0].operationMetrics).toEqual({ numRemovedFiles: '2', numAddedFiles: '1' });
    expect(h[2].operationParameters?.predicate).toBe('[{"jour":"2024-12-12"}]');

    expect((await table.history(2)).map((e) => e.operation)).toEqual(['OPTIMIZE', 'WRITE']);
    // The same from a fresh handle
    expect((await (await DeltaTable.open(dir)).history()).map((e) => e.version)).toEqual(range(0, 5).reverse());
  });
});
