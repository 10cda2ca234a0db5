import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { commitPath } from '@app/delta';
import { appendSales, createBronze, Sale, tempLakehouse } from '../test/bronze-fixtures';
import { bronzeChangesSince, daysIn } from './bronze-changes';

const sale = (vente_id: number, jour: string): Sale => ({ vente_id, client_id: 1, produit_id: 101, jour, montant: 10 });

describe('bronzeChangesSince', () => {
  it('recomputes everything on a first run', async () => {
    const bronze = await createBronze(tempLakehouse());
    expect(await bronzeChangesSince(bronze, undefined)).toEqual({ kind: 'all', reason: expect.stringMatching(/first run/) });
  });

  it('lists the days added to by the commits after the processed version only', async () => {
    const bronze = await createBronze(tempLakehouse());
    await appendSales(bronze, [sale(1, '2024-12-01'), sale(2, '2024-12-02')]);
    const processed = bronze.version;
    await appendSales(bronze, [sale(3, '2024-12-03')]);
    await appendSales(bronze, [sale(4, '2024-12-05'), sale(5, '2024-12-03')]);
    expect(await bronzeChangesSince(bronze, processed)).toEqual({ kind: 'days', days: ['2024-12-03', '2024-12-05'], commitsRead: 2 });
    expect(await bronzeChangesSince(bronze, bronze.version)).toEqual({ kind: 'days', days: [], commitsRead: 0 });
    expect(daysIn(bronze)).toEqual(['2024-12-01', '2024-12-02', '2024-12-03', '2024-12-05']);
  });

  it('ignores compactions, which rewrite files without changing rows', async () => {
    const bronze = await createBronze(tempLakehouse());
    await appendSales(bronze, [sale(1, '2024-12-01')]);
    await appendSales(bronze, [sale(2, '2024-12-01')]);
    const processed = bronze.version;
    expect((await bronze.optimize()).numFilesRemoved).toBe(2);
    expect(await bronzeChangesSince(bronze, processed)).toEqual({ kind: 'days', days: [], commitsRead: 1 });
  });

  it('counts removed data (a partition overwrite) as a change of its day', async () => {
    const bronze = await createBronze(tempLakehouse());
    await appendSales(bronze, [sale(1, '2024-12-01'), sale(2, '2024-12-02')]);
    const processed = bronze.version;
    await bronze.overwrite({ rows: [] }, { partitions: [{ jour: '2024-12-02' }] });
    expect(await bronzeChangesSince(bronze, processed)).toEqual({ kind: 'days', days: ['2024-12-02'], commitsRead: 1 });
  });

  it('recomputes everything when the commits since the processed version were cleaned up', async () => {
    const root = tempLakehouse();
    const bronze = await createBronze(root);
    await appendSales(bronze, [sale(1, '2024-12-01')]);
    const processed = bronze.version;
    await appendSales(bronze, [sale(2, '2024-12-02')]);
    await appendSales(bronze, [sale(3, '2024-12-03')]);
    await bronze.checkpoint();
    // What expired-log cleanup does to commits older than the retention, below a checkpoint.
    await fs.unlink(path.join(bronze.uri, commitPath(processed + 1)));
    expect(await bronzeChangesSince(bronze, processed)).toEqual({ kind: 'all', reason: expect.stringMatching(/no longer in the log/) });
  });

  it('recomputes everything after a metadata change or when bronze is behind the processed version', async () => {
    const bronze = await createBronze(tempLakehouse());
    await appendSales(bronze, [sale(1, '2024-12-01')]);
    expect(await bronzeChangesSince(bronze, bronze.version + 5)).toEqual({ kind: 'all', reason: expect.stringMatching(/past the table's version/) });
    const processed = bronze.version;
    const metaData = { ...bronze.snapshot.metadata, configuration: { 'delta.checkpointInterval': '20' } };
    await bronze.commit({
      actions: [{ metaData }],
      operation: 'SET TBLPROPERTIES',
      readVersion: bronze.version,
      isBlindAppend: false,
      footprint: { readPartitions: 'all', readFiles: new Set(), removedFiles: new Set(), appIds: new Set(), changesMetadata: true, rearrangeOnly: false },
    });
    expect(await bronzeChangesSince(bronze, processed)).toEqual({ kind: 'all', reason: expect.stringMatching(/metadata changed/) });
  });
});
