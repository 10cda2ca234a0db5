import { DeltaTable } from '@app/delta';
import { describeEachBackend } from './backends';
import { salesSchema } from './fixtures';
import { actionsOf, commitInfoOf, commitVersions, ids, logFiles, range, readLog } from './helpers';
import { startWriter, transpileWriter } from './writer-processes';

const WRITERS = 4;
const BATCHES = 15;
const ROWS = 10;

describeEachBackend('concurrent writers in separate processes', (backend) => {
  it(`${WRITERS} processes x ${BATCHES} commits of ${ROWS} rows: contiguous versions, every commit exactly once, every row once`, async () => {
    const dir = backend.root();
    await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });

    const script = transpileWriter();
    const writers = range(0, WRITERS - 1).map((w) => startWriter(script, dir, w, true, BATCHES, ROWS));
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    const outcomes = await Promise.all(writers.map((w) => w.done));
    // stderr is shown only when a writer failed (warnings of a healthy run do not matter).
    for (const o of outcomes) expect({ code: o.code, stderr: o.code === 0 ? '' : o.stderr }).toEqual({ code: 0, stderr: '' });
    const reported = outcomes.map((o) => JSON.parse(o.stdout.trim()) as { writer: number; versions: number[] });
    for (const r of reported) expect(r.versions).toHaveLength(BATCHES);
    const total = WRITERS * BATCHES;
    // Each writer saw its own commits land at distinct versions, in increasing order.
    expect(reported.flatMap((r) => r.versions).sort((a, b) => a - b)).toEqual(range(1, total));
    for (const r of reported) expect([...r.versions].sort((a, b) => a - b)).toEqual(r.versions);

    // Versions are contiguous: create + one commit per batch.
    expect(await commitVersions(dir)).toEqual(range(0, total));

    // Every commit landed exactly once: one WRITE with one txn and one add per version, each (appId, batch) once.
    const seen: string[] = [];
    for (let v = 1; v <= total; v++) {
      const log = await readLog(dir, v);
      expect(commitInfoOf(log).operation).toBe('WRITE');
      const txns = actionsOf(log, 'txn');
      expect(txns).toHaveLength(1);
      expect(actionsOf(log, 'add')).toHaveLength(1);
      seen.push(`${txns[0].appId}#${txns[0].version}`);
    }
    const expected = range(0, WRITERS - 1).flatMap((w) => range(1, BATCHES).map((b) => `writer-${w}#${b}`));
    expect(seen.sort()).toEqual(expected.sort());

    // Checkpoints were written along the way by whichever writer reached a multiple of 10.
    const log = await logFiles(dir);
    for (let v = 10; v <= total; v += 10) expect(log).toContain(`${String(v).padStart(20, '0')}.checkpoint.parquet`);

    const table = await DeltaTable.open(dir);
    expect(table.version).toBe(total);
    expect(table.snapshot.files()).toHaveLength(total);
    expect(table.snapshot.numRecords()).toBe(total * ROWS);
    const rows = await table.readRows();
    expect(rows).toHaveLength(total * ROWS);
    expect(ids(rows)).toEqual(range(1, total * ROWS)); // all 600 ids, each exactly once
    for (let w = 0; w < WRITERS; w++) expect(table.txnVersion(`writer-${w}`)).toBe(BATCHES);

    // A writer restarted after finishing commits nothing: its batches are already in the table.
    const rerun = await startWriter(script, dir, 0, false, BATCHES, ROWS).done;
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout.trim())).toEqual({ writer: 0, versions: [] });
    expect(await commitVersions(dir)).toEqual(range(0, total));
  });
});
