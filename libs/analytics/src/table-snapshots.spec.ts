import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, Row, withConnection } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE } from '@app/schemas';
import { clientDay, tempLakehouse } from '../test/silver-fixtures';
import { InvalidTimeTravelError, TableUnavailableError } from './errors';
import { parseInstant, SnapshotMemory, TableSnapshots } from './table-snapshots';

const segment = (name: string, revenue: number): Row => ({
  segment: name,
  total_transactions: 1,
  revenue_total: revenue,
  transaction_moyenne: revenue,
  unique_customers: 1,
  countries_count: 1,
});

async function rowsOf(snapshots: TableSnapshots, version?: number): Promise<number[]> {
  const t = await snapshots.at({ version });
  const { sql, params } = await t.select();
  return withConnection(async (c) => (await c.runAndReadAll(`SELECT revenue_total FROM (${sql}) ORDER BY 1`, params)).getRowObjectsJS().map((r) => Number(r.revenue_total)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TableSnapshots', () => {
  const REFRESH_MS = 30;
  let root: string;
  let uri: string;
  let snapshots: TableSnapshots;

  beforeEach(() => {
    root = tempLakehouse();
    uri = path.join(root, 'segments');
    snapshots = new TableSnapshots('ventes_par_segment', uri, { refreshIntervalMs: REFRESH_MS });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports a table that does not exist yet as unavailable, and looks for it again only after the refresh interval', async () => {
    const patient = new TableSnapshots('ventes_par_segment', uri, { refreshIntervalMs: 60_000 });
    await expect(patient.latest()).rejects.toBeInstanceOf(TableUnavailableError);
    const table = await DeltaTable.create(uri, { schema: SEGMENT_AGGREGATES_TABLE.schema });
    await expect(patient.latest()).rejects.toBeInstanceOf(TableUnavailableError);
    await patient.refresh(); // what the next request after the interval does
    expect((await patient.latest()).version).toBe(table.version);
  });

  it('a request after the refresh interval sees the new commit, copied before it is swapped in; the old one stays for time travel', async () => {
    const table = await DeltaTable.create(uri, { schema: SEGMENT_AGGREGATES_TABLE.schema });
    await table.append({ rows: [segment('A', 1)] });
    const v1 = await snapshots.latest();
    expect(await rowsOf(snapshots)).toEqual([1]); // copies version 1 in memory
    expect(v1.isMaterialized).toBe(true);

    await table.overwrite({ rows: [segment('A', 2)] });
    await sleep(REFRESH_MS);
    const v2 = await snapshots.latest(); // waits for the look and the load

    expect(v2.version).toBe(2);
    expect(v2.isMaterialized).toBe(true); // copied before it was swapped in
    expect(await rowsOf(snapshots)).toEqual([2]);
    expect(await snapshots.at({ version: 1 })).toBe(v1);
    expect(await rowsOf(snapshots, 1)).toEqual([1]);
    expect(await rowsOf(snapshots, 0)).toEqual([]);
  });

  it('while the table is asked for, loads and copies a new commit in the background, before any request needs it', async () => {
    const table = await DeltaTable.create(uri, { schema: SEGMENT_AGGREGATES_TABLE.schema });
    await table.append({ rows: [segment('A', 1)] });
    const loaded: number[] = [];
    const polled = new TableSnapshots('ventes_par_segment', uri, { refreshIntervalMs: REFRESH_MS, onNewVersion: (v) => loaded.push(v.version) });
    expect(await rowsOf(polled)).toEqual([1]);
    polled.startPolling();
    try {
      await table.overwrite({ rows: [segment('A', 2)] });
      const deadline = Date.now() + 5_000;
      while (polled.knownVersion !== 2 && Date.now() < deadline) await sleep(REFRESH_MS / 2);
      // No request was made since the commit: the background look loaded the version and copied it.
      expect(polled.knownVersion).toBe(2);
      expect(loaded).toEqual([1, 2]);
      expect((await polled.latest()).isMaterialized).toBe(true);
    } finally {
      polled.stopPolling();
    }
    await table.overwrite({ rows: [segment('A', 3)] });
    await sleep(REFRESH_MS * 3);
    expect(polled.knownVersion).toBe(2); // stopped: no look until a request
  });

  it('finds a version committed since the last look when asked for it', async () => {
    const table = await DeltaTable.create(uri, { schema: SEGMENT_AGGREGATES_TABLE.schema });
    await snapshots.latest();
    await table.append({ rows: [segment('A', 1)] });
    expect((await snapshots.at({ version: 1 })).version).toBe(1);
  });

  it('names the parameter of a version or instant the table does not have', async () => {
    await DeltaTable.create(uri, { schema: SEGMENT_AGGREGATES_TABLE.schema });
    await expect(snapshots.at({ version: 5 })).rejects.toThrow(new InvalidTimeTravelError('asOfVersion', 'version 5 of ventes_par_segment does not exist (latest is 0)'));
    await expect(snapshots.at({ timestamp: '2001-01-01T00:00:00Z' })).rejects.toMatchObject({ parameter: 'asOfTimestamp' });
    expect((await snapshots.at({ timestamp: new Date(Date.now() + 1000).toISOString() })).version).toBe(0);
  });

  it('resolves a timestamp to the version committed at or before it', async () => {
    const table = await DeltaTable.create(uri, { schema: SEGMENT_AGGREGATES_TABLE.schema });
    await sleep(5); // commits in the same millisecond get made-up, increasing times
    await table.append({ rows: [segment('A', 1)] });
    const v1 = await snapshots.latest();
    const v1At = await v1.committedAt();
    await sleep(20);
    await table.append({ rows: [segment('B', 2)] });
    expect((await snapshots.at({ timestamp: new Date(v1At).toISOString() })).version).toBe(1);
    expect((await snapshots.at({ timestamp: new Date(v1At - 1).toISOString() })).version).toBe(0);
  });
});

describe('SnapshotMemory', () => {
  it('versions share the copies of the files they have in common, and past versions are evicted beyond the byte budget', async () => {
    const root = tempLakehouse();
    try {
      const uri = path.join(root, 'client-days');
      const table = await DeltaTable.create(uri, { schema: CLIENT_AGGREGATES_TABLE.schema, partitionColumns: CLIENT_AGGREGATES_TABLE.partitionColumns });
      for (let d = 1; d <= 5; d++) await table.append({ rows: [clientDay({ client_id: d, client_nom: 'N', pays: 'France', segment: 'Particulier' }, `2024-12-0${d}`, [{ produit_id: 1, quantite: 1, montant: d }])] });
      const memory = new SnapshotMemory(1024 * 1024);
      const snapshots = new TableSnapshots('ventes_aggreges', uri, { refreshIntervalMs: 0, memory });
      await (await snapshots.latest()).materialize();
      const fiveFiles = memory.budget.heldBytes;
      expect(fiveFiles).toBeGreaterThan(0);
      // Versions 1 to 4 hold files the latest also holds: loading them copies nothing more.
      for (let v = 1; v <= 4; v++) await snapshots.at({ version: v });
      expect(memory.budget.heldBytes).toBe(fiveFiles);
      // A version that replaced one day costs one more file, not a copy of every file.
      await table.overwrite({ rows: [clientDay({ client_id: 9, client_nom: 'N', pays: 'France', segment: 'Particulier' }, '2024-12-03', [{ produit_id: 1, quantite: 1, montant: 9 }])] }, { partitions: 'dynamic' });
      await snapshots.latest();
      expect(memory.budget.heldBytes).toBe(fiveFiles * 1.2);
      expect(memory.pastVersions.size).toBe(5);

      const tight = new SnapshotMemory(1);
      const evicting = new TableSnapshots('ventes_aggreges', uri, { refreshIntervalMs: 0, memory: tight });
      await (await evicting.latest()).materialize();
      await evicting.at({ version: 2 });
      expect(tight.pastVersions.size).toBe(0); // over budget: past versions go, the latest stays
      expect(await rowsCount(evicting, 2)).toBe(2); // a version evicted is still answered (read again)
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

async function rowsCount(snapshots: TableSnapshots, version: number): Promise<number> {
  const { sql, params } = await (await snapshots.at({ version })).select();
  return withConnection(async (c) => Number((await c.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`, params)).getRowObjectsJS()[0].n));
}

describe('parseInstant', () => {
  it('reads ISO-8601 timestamps (UTC without offset) and dates, and nothing else', () => {
    expect(parseInstant('2024-12-12T10:00:00Z')).toBe(Date.UTC(2024, 11, 12, 10));
    expect(parseInstant('2024-12-12T10:00:00')).toBe(Date.UTC(2024, 11, 12, 10));
    expect(parseInstant('2024-12-12T11:00:00.250+01:00')).toBe(Date.UTC(2024, 11, 12, 10, 0, 0, 250));
    expect(parseInstant('2024-12-12')).toBe(Date.UTC(2024, 11, 12));
    expect(parseInstant('2024-02-30')).toBeUndefined();
    expect(parseInstant('yesterday')).toBeUndefined();
  });
});
