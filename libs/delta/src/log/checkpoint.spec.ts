import { checkpointActions, DeltaTable, field, readCheckpoint, readCommit, storeForUri, struct, withConnection } from '@app/delta';
import { TableState } from './table-state';
import { salesRows, salesSchema } from '../../test/fixtures';
import { asRead, DAY_MS, fileSize, ids, logFiles, query, range, readablePath, sortById } from '../../test/helpers';
import { describeEachBackend, tableRoot } from '../../test/backends';

const CP10 = '00000000000000000010.checkpoint.parquet';

/** The reconciled state, with what legitimately differs between a checkpoint and JSON replay left out (dataChange, null optionals). */
function normalize(s: TableState) {
  const md = s.metadata!;
  return {
    protocol: { minReaderVersion: s.protocol!.minReaderVersion, minWriterVersion: s.protocol!.minWriterVersion },
    metadata: {
      id: md.id,
      name: md.name ?? undefined,
      description: md.description ?? undefined,
      format: md.format,
      schemaString: md.schemaString,
      partitionColumns: md.partitionColumns,
      configuration: md.configuration,
      createdTime: md.createdTime,
    },
    files: [...s.files.values()]
      .map((f) => ({ path: f.path, partitionValues: f.partitionValues, size: f.size, modificationTime: f.modificationTime, stats: f.stats }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
    tombstones: [...s.tombstones.values()]
      .map((r) => ({ path: r.path, deletionTimestamp: r.deletionTimestamp, partitionValues: r.partitionValues, size: r.size }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
    txns: [...s.txns.values()].map((t) => ({ appId: t.appId, version: t.version, lastUpdated: t.lastUpdated })).sort((a, b) => (a.appId < b.appId ? -1 : 1)),
  };
}

/** State rebuilt from the JSON commits 0..version only. */
async function jsonReplay(dir: string, version: number): Promise<TableState> {
  const store = storeForUri(dir);
  const s = new TableState();
  for (let v = 0; v <= version; v++) s.apply(await readCommit(store, v));
  return s;
}

async function tableWithCommits(n: number, config: Record<string, string> = {}): Promise<{ dir: string; table: DeltaTable }> {
  const dir = tableRoot();
  const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration: config, name: 'ventes' });
  for (let i = 1; i <= n; i++) {
    await table.append({ rows: salesRows(2, i * 10, i % 2 ? '2024-12-12' : '2024-12-13') }, { txns: [{ appId: `app-${i % 3}`, version: i }] });
  }
  return { dir, table };
}

describeEachBackend('checkpoints', () => {
  it('writes 10.checkpoint.parquet and _last_checkpoint after the 10th commit, by default', async () => {
    const { dir, table } = await tableWithCommits(9);
    expect((await logFiles(dir)).filter((f) => f.includes('checkpoint'))).toEqual([]);
    await table.append({ rows: salesRows(2, 100) }, { txns: [{ appId: 'app-1', version: 10 }] });
    expect(table.version).toBe(10);
    expect((await logFiles(dir)).filter((f) => f.includes('checkpoint'))).toEqual([CP10, '_last_checkpoint']);

    const last = JSON.parse((await storeForUri(dir).get('_delta_log/_last_checkpoint')).toString('utf8'));
    // protocol + metaData + 3 txns (app-0, app-1, app-2) + 10 adds
    expect(last).toEqual({ version: 10, size: 15, sizeInBytes: await fileSize(dir, `_delta_log/${CP10}`), numOfAddFiles: 10 });

    const cp = await readablePath(dir, `_delta_log/${CP10}`);
    const rows = await query(`SELECT * FROM read_parquet('${cp}')`);
    expect(rows).toHaveLength(15);
    expect(Object.keys(rows[0]).sort()).toEqual(['add', 'metaData', 'protocol', 'remove', 'txn']);
    const counts = await query(
      `SELECT count(add) AS adds, count(remove) AS removes, count(txn) AS txns, count(metaData) AS md, count(protocol) AS p FROM read_parquet('${cp}')`,
    );
    expect(counts[0]).toEqual({ adds: 10n, removes: 0n, txns: 3n, md: 1n, p: 1n });
    const addRows = await query(`SELECT add.dataChange AS dc, add.stats AS stats FROM read_parquet('${cp}') WHERE add IS NOT NULL`);
    for (const r of addRows) {
      expect(r.dc).toBe(false);
      expect(JSON.parse(r.stats as string).numRecords).toBe(2);
    }
    const parts = await query(`SELECT add.partitionValues AS pv FROM read_parquet('${cp}') WHERE add IS NOT NULL LIMIT 1`);
    expect(JSON.stringify(parts[0].pv)).toMatch(/jour/);
  });

  it('loading from the checkpoint plus later commits gives the state of a full JSON replay', async () => {
    const { dir, table } = await tableWithCommits(10);
    await table.overwrite({ rows: salesRows(3, 500, '2024-12-13') }, { partitions: 'dynamic', txns: [{ appId: 'app-9', version: 1 }] });
    await table.append({ rows: salesRows(2, 600) });
    expect(table.version).toBe(12);
    expect(await logFiles(dir)).toContain(CP10);

    const viaCheckpoint = await DeltaTable.open(dir);
    expect(viaCheckpoint.version).toBe(12);
    const replay = await jsonReplay(dir, 12);
    expect(normalize(viaCheckpoint.snapshot.state)).toEqual(normalize(replay));
    // The in-memory state of the writer agrees too.
    expect(normalize(table.snapshot.state)).toEqual(normalize(replay));

    // And with the checkpoint deleted, a full replay from JSON gives the same again.
    await storeForUri(dir).delete(`_delta_log/${CP10}`);
    const noCheckpoint = await DeltaTable.open(dir);
    expect(normalize(noCheckpoint.snapshot.state)).toEqual(normalize(replay));
    expect(sortById(await noCheckpoint.readRows())).toEqual(sortById(await viaCheckpoint.readRows()));
  });

  it('really loads from the checkpoint: commits before it can be gone', async () => {
    const { dir, table } = await tableWithCommits(11);
    const expected = sortById(await table.readRows());
    for (let v = 0; v < 10; v++) await storeForUri(dir).delete(`_delta_log/${String(v).padStart(20, '0')}.json`);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(11);
    expect(fresh.snapshot.metadata.name).toBe('ventes');
    expect(fresh.txnVersion('app-1')).toBe(10);
    expect(sortById(await fresh.readRows())).toEqual(expected);
    // Version 10 itself is the checkpoint; earlier versions cannot be rebuilt any more.
    expect((await DeltaTable.open(dir, { version: 10 })).version).toBe(10);
    await expect(DeltaTable.open(dir, { version: 9 })).rejects.toThrow(/version 9 cannot be rebuilt/);
  });

  it('is written under a small DuckDB memory limit, and with an action longer than the JSON reader\'s default maximum', async () => {
    const { dir, table } = await tableWithCommits(3);
    const longAppId = 'x'.repeat(17 << 20);
    await table.append({ rows: salesRows(1, 500) }, { txns: [{ appId: longAppId, version: 7 }] });
    const setLimit = (limit: string) => withConnection((c) => c.run(`SET memory_limit = '${limit}'`));
    const previous = await withConnection(async (c) => String((await c.runAndReadAll(`SELECT current_setting('memory_limit')`)).getRows()[0][0]));
    await setLimit('256MB');
    try {
      await table.checkpoint();
    } finally {
      // Set back explicitly: RESET restores the setting but not the buffer pool's limit.
      await setLimit(previous);
    }
    const store = storeForUri(dir);
    for (let v = 0; v <= 4; v++) await store.delete(`_delta_log/${String(v).padStart(20, '0')}.json`);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.txnVersion(longAppId)).toBe(7);
    expect(normalize(fresh.snapshot.state)).toEqual(normalize(table.snapshot.state));
  });

  it('time travel before the checkpoint replays JSON only', async () => {
    const { dir } = await tableWithCommits(12);
    const v5 = await DeltaTable.open(dir, { version: 5 });
    expect(v5.version).toBe(5);
    expect(ids(await v5.readRows())).toEqual(range(1, 5).flatMap((i) => [i * 10, i * 10 + 1]));
  });

  it('honours delta.checkpointInterval', async () => {
    const { dir } = await tableWithCommits(7, { 'delta.checkpointInterval': '3' });
    const cps = (await logFiles(dir)).filter((f) => f.endsWith('.checkpoint.parquet'));
    expect(cps).toEqual(['00000000000000000003.checkpoint.parquet', '00000000000000000006.checkpoint.parquet']);
    expect(JSON.parse((await storeForUri(dir).get('_delta_log/_last_checkpoint')).toString('utf8')).version).toBe(6);
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(7);
    expect(normalize(fresh.snapshot.state)).toEqual(normalize(await jsonReplay(dir, 7)));
  });

  describe('tolerates a stale, missing or broken _last_checkpoint', () => {
    const cases: Array<[string, string | null]> = [
      ['missing', null],
      ['stale (an older checkpoint)', '{"version":3,"size":5}'],
      ['pointing at a checkpoint that does not exist', '{"version":5,"size":5}'],
      ['ahead of the log', '{"version":40,"size":5}'],
      ['pointing past the newest checkpoint', '{"version":7,"size":5}'],
      ['torn (not JSON)', '{"version":6,"si'],
    ];
    it.each(cases)('%s', async (_name, content) => {
      const { dir, table } = await tableWithCommits(8, { 'delta.checkpointInterval': '3' });
      const expected = normalize(table.snapshot.state);
      const last = '_delta_log/_last_checkpoint';
      if (content === null) await storeForUri(dir).delete(last);
      else await storeForUri(dir).put(last, content);
      const fresh = await DeltaTable.open(dir);
      expect(fresh.version).toBe(8);
      expect(normalize(fresh.snapshot.state)).toEqual(expected);
      expect((await DeltaTable.open(dir, { version: 4 })).version).toBe(4);
    });
  });

  it('falls back to the full log when the checkpoint _last_checkpoint names was deleted', async () => {
    const { dir, table } = await tableWithCommits(8, { 'delta.checkpointInterval': '3' });
    await storeForUri(dir).delete('_delta_log/00000000000000000006.checkpoint.parquet');
    const fresh = await DeltaTable.open(dir);
    expect(fresh.version).toBe(8);
    expect(normalize(fresh.snapshot.state)).toEqual(normalize(table.snapshot.state));
  });

  it('keeps unexpired tombstones and drops expired ones', async () => {
    const { dir, table } = await tableWithCommits(2);
    await table.overwrite({ rows: salesRows(1, 900) });
    const state = table.snapshot.state;
    expect(state.tombstones.size).toBe(2);
    const now = Date.now();
    const kept = checkpointActions(state, 7 * DAY_MS, now).filter((a) => 'remove' in a);
    expect(kept).toHaveLength(2);
    for (const r of kept) expect((r as { remove: { dataChange: boolean; extendedFileMetadata?: boolean } }).remove).toMatchObject({ dataChange: false, extendedFileMetadata: true });
    expect(checkpointActions(state, 7 * DAY_MS, now + 8 * DAY_MS).filter((a) => 'remove' in a)).toEqual([]);

    await table.checkpoint();
    const fromCp = await readCheckpoint(table.store, [`_delta_log/${String(table.version).padStart(20, '0')}.checkpoint.parquet`]);
    expect(fromCp.filter((a) => 'remove' in a).map((a) => (a as { remove: { path: string } }).remove.path).sort()).toEqual([...state.tombstones.keys()].sort());
    const fresh = await DeltaTable.open(dir);
    expect(normalize(fresh.snapshot.state)).toEqual(normalize(await jsonReplay(dir, 3)));
  });

  it('round-trips an unpartitioned table (empty partitionValues), null partition values and nulls in stats', async () => {
    const dir = tableRoot();
    const flat = await DeltaTable.create(dir, { schema: struct([field('id', 'long', false), field('v', 'string')]), configuration: { 'delta.checkpointInterval': '2' } });
    await flat.append({ rows: [{ id: 1, v: null }] });
    await flat.append({ rows: [{ id: 2, v: 'x' }] });
    const fresh = await DeltaTable.open(dir);
    expect(fresh.snapshot.files().map((f) => f.partitionValues)).toEqual([{}, {}]);
    expect(normalize(fresh.snapshot.state)).toEqual(normalize(await jsonReplay(dir, 2)));
    expect((await fresh.readRows()).sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, v: null },
      { id: 2n, v: 'x' },
    ]);

    const dir2 = tableRoot();
    const parted = await DeltaTable.create(dir2, { schema: struct([field('id', 'long', false), field('p', 'string')]), partitionColumns: ['p'], configuration: { 'delta.checkpointInterval': '1' } });
    await parted.append({ rows: [{ id: 1, p: null }, { id: 2, p: 'a' }] });
    const fresh2 = await DeltaTable.open(dir2);
    expect(fresh2.snapshot.files().map((f) => f.partitionValues.p ?? null).sort()).toEqual(['a', null]);
    expect(normalize(fresh2.snapshot.state)).toEqual(normalize(await jsonReplay(dir2, 1)));
    expect(await fresh2.readRows([{ column: 'p', op: '=', value: 'a' }])).toEqual([{ id: 2n, p: 'a' }]);
  });

  it('a checkpoint gives the same rows as the log it summarises', async () => {
    const { dir, table } = await tableWithCommits(10);
    expect(sortById(await (await DeltaTable.open(dir)).readRows())).toEqual(
      asRead(range(1, 10).flatMap((i) => salesRows(2, i * 10, i % 2 ? '2024-12-12' : '2024-12-13'))),
    );
    expect(table.snapshot.numRecords()).toBe(20);
  });
});
