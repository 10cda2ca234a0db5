import { DeltaTable } from '@app/delta';
import { readTable } from '../../../test/interop/delta-rs';
import { actionsOf, commitInfoOf, commitVersions, ids, range, readLog } from './helpers';
import { startWriterRace } from './writer-processes';
import { describeEachBackend, tableRoot } from './backends';

const WRITERS = 3;
const BATCHES = 16;
const ROWS = 5;
const MIN_FILES = 4;

describeEachBackend('auto-compaction racing appends from other processes', () => {
  it('writers in separate processes append (each compacting after its own commits) while this process compacts too: nothing lost or duplicated', async () => {
    const dir = tableRoot();
    const race = await startWriterRace(dir, { writers: WRITERS, batches: BATCHES, rows: ROWS, minFilesToCompact: MIN_FILES });
    // A compactor of its own (as a maintenance job would be) racing the writers' appends and auto-compactions.
    const compactor = await DeltaTable.open(dir);
    let compactions = 0;
    while (race.writing()) {
      await compactor.update();
      const res = await compactor.optimize({ minFilesToCompact: 2 }).catch((e: Error) => {
        // Losing a race on the same files is the expected outcome, anything else is a failure.
        if (e.name !== 'CommitConflictError') throw e;
        return undefined;
      });
      if (res?.version !== undefined) compactions++;
    }
    const outcomes = await race.done;
    for (const o of outcomes) expect({ code: o.code, stderr: o.code === 0 ? '' : o.stderr }).toEqual({ code: 0, stderr: '' });

    const table = await DeltaTable.open(dir);
    const total = WRITERS * BATCHES * ROWS;
    expect(ids(await table.readRows())).toEqual(range(1, total)); // every row, once
    expect(table.snapshot.numRecords()).toBe(total);
    for (let w = 0; w < WRITERS; w++) expect(table.txnVersion(`writer-${w}`)).toBe(BATCHES);

    // Compactions happened, in the writers (auto) and here, each rearranging only (dataChange=false).
    const versions = await commitVersions(dir);
    expect(versions).toEqual(range(0, table.version));
    let optimizeCommits = 0;
    for (const v of versions) {
      const log = await readLog(dir, v);
      if (commitInfoOf(log).operation !== 'OPTIMIZE') continue;
      optimizeCommits++;
      for (const a of [...actionsOf(log, 'add'), ...actionsOf(log, 'remove')]) expect(a.dataChange).toBe(false);
    }
    expect(optimizeCommits).toBeGreaterThan(compactions);
    // Small files stay bounded in both partitions, today's included.
    for (const day of ['2024-12-12', '2024-12-13']) {
      expect(table.snapshot.files().filter((f) => f.partitionValues.jour === day).length).toBeLessThanOrEqual(MIN_FILES + WRITERS);
    }

    // delta-rs reads the same rows.
    const rs = readTable(dir);
    expect(rs.version).toBe(table.version);
    expect(rs.numRows).toBe(total);
  });
});
