import { CommitConflictError, DeltaTable, deleteRows, RewriteResult, updateRows } from '@app/delta';
import { readTable } from '../../../test/interop/delta-rs';
import { tempDir } from './fixtures';
import { commitInfoOf, commitVersions, ids, range, readLog } from './helpers';
import { startWriterRace } from './writer-processes';

const WRITERS = 2;
const BATCHES = 16;
const ROWS = 5;

/** Retries an operation from a fresh snapshot while it loses races, as an operator's command would. */
async function withRetries(table: DeltaTable, op: () => Promise<RewriteResult>, conflicts: string[]): Promise<RewriteResult> {
  for (;;) {
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof CommitConflictError)) throw e;
      conflicts.push(e.kind);
      await table.update();
    }
  }
}

describe('DELETE and UPDATE racing appends and auto-compactions from other processes', () => {
  it('every appended row is kept unless a committed DELETE removed it, and every committed UPDATE holds', async () => {
    const dir = tempDir();
    const race = await startWriterRace(dir, { writers: WRITERS, batches: BATCHES, rows: ROWS, minFilesToCompact: 4 });

    const table = await DeltaTable.open(dir);
    const deleted = new Set<number>();
    const updated = new Set<number>();
    const conflicts: string[] = [];
    let rounds = 0;
    while (race.writing() || rounds < 2) {
      rounds++;
      await table.update();
      const present = ids(await table.readRows()).filter((i) => !deleted.has(i));
      // Delete every 7th id seen so far, update every 3rd: each is in rows this snapshot holds.
      const toDelete = present.filter((i) => i % 7 === 0);
      const toUpdate = present.filter((i) => i % 3 === 0 && !updated.has(i));
      if (toDelete.length) {
        const res = await withRetries(table, () => deleteRows(table.log, table.snapshot, [{ column: 'vente_id', op: 'in', value: toDelete }]), conflicts);
        toDelete.forEach((i) => deleted.add(i));
        expect(res.numMatchedRows).toBe(toDelete.length);
      }
      if (toUpdate.length) {
        await withRetries(table, () => updateRows(table.log, table.snapshot, [{ column: 'vente_id', op: 'in', value: toUpdate }], { pays: 'Mis à jour' }), conflicts);
        toUpdate.forEach((i) => updated.add(i));
      }
      if (!race.writing()) break;
    }
    const outcomes = await race.done;
    for (const o of outcomes) expect({ code: o.code, stderr: o.code === 0 ? '' : o.stderr }).toEqual({ code: 0, stderr: '' });

    const fresh = await DeltaTable.open(dir);
    const total = WRITERS * BATCHES * ROWS;
    const rows = await fresh.readRows();
    const expected = range(1, total).filter((i) => !deleted.has(i));
    expect(ids(rows)).toEqual(expected); // nothing lost, nothing duplicated, nothing deleted twice
    expect(deleted.size).toBeGreaterThan(0);
    for (const r of rows) expect(r.pays === 'Mis à jour').toBe(updated.has(Number(r.vente_id)));
    expect(fresh.snapshot.numRecords()).toBe(expected.length);
    for (let w = 0; w < WRITERS; w++) expect(fresh.txnVersion(`writer-${w}`)).toBe(BATCHES);

    // Every DELETE/UPDATE commit carries its metrics, and the versions are contiguous.
    const versions = await commitVersions(dir);
    expect(versions).toEqual(range(0, fresh.version));
    let deletedByCommits = 0;
    for (const v of versions) {
      const info = commitInfoOf(await readLog(dir, v));
      if (info.operation === 'DELETE') deletedByCommits += Number(info.operationMetrics?.numDeletedRows);
    }
    expect(deletedByCommits).toBe(deleted.size);

    const rs = readTable(dir);
    expect(rs.version).toBe(fresh.version);
    expect(rs.numRows).toBe(expected.length);
    // Conflicts seen (with auto-compaction) are only the kinds Delta's rules give a DELETE/UPDATE.
    for (const k of conflicts) expect(['ConcurrentDeleteRead', 'ConcurrentDeleteDelete']).toContain(k);
  });
});
