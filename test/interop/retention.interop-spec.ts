/**
 * Data lifecycle: the silver-scheduler's maintenance removes bronze days past BRONZE_RETENTION_DAYS
 * in one commit; delta-rs reads the result (the remaining days, the DELETE in the history), and
 * the next silver run drops the expired days from silver too.
 */
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { MaintenanceJob, SilverJob } from '@app/silver';
import { appendSales, createBronze, readSilver, tempLakehouse } from '../../libs/silver/test/bronze-fixtures';
import { readTable } from './delta-rs';

const DAYS = ['2024-09-01', '2024-09-02', '2024-09-03', '2024-12-01', '2024-12-02'];

describe('bronze retention, read by delta-rs', () => {
  it('removes exactly the expired days in one commit', async () => {
    const root = tempLakehouse('retention-');
    const bronze = await createBronze(root);
    let id = 1;
    for (const jour of DAYS) await appendSales(bronze, [{ vente_id: id++, client_id: 1, produit_id: 101, jour, montant: 10 }, { vente_id: id++, client_id: 2, produit_id: 101, jour, montant: 20 }]);
    await new SilverJob({ lakehouseRoot: root }).run();
    const before = (await DeltaTable.open(tableLocation(root, BRONZE_TABLE))).version;

    // 90 days back from 2024-12-02 is 2024-09-03: the two days before it expire, that day stays.
    const job = new MaintenanceJob({ lakehouseRoot: root, bronzeRetentionDays: 90, quarantineRetentionDays: 30, now: () => Date.parse('2024-12-02T10:00:00Z') });
    const report = await job.run('test');
    expect(report.status).toBe('succeeded');
    const bronzeReport = report.tables.find((t) => t.table === 'bronze/ventes_stream')!;
    expect(bronzeReport).toMatchObject({ expiredDays: ['2024-09-01', '2024-09-02'], expireVersion: before + 1 });

    const read = readTable(tableLocation(root, BRONZE_TABLE), { history: true });
    expect(read.version).toBeGreaterThanOrEqual(before + 1);
    expect([...new Set(read.rows!.map((r) => r.jour as string))].sort()).toEqual(['2024-09-03', '2024-12-01', '2024-12-02']);
    expect(read.numRows).toBe(6);
    expect(read.history!.find((h) => h.version === before + 1)?.operation).toBe('DELETE');
    // Time travel before the expiry still works for delta-rs until VACUUM removes the files.
    expect(readTable(tableLocation(root, BRONZE_TABLE), { version: before, noRows: true }).numRows).toBe(10);

    // Silver follows bronze: the expired days leave ventes_aggreges at the next run.
    await new SilverJob({ lakehouseRoot: root }).run();
    const silverDays = new Set((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id'])).map((r) => r.jour));
    expect([...silverDays].sort()).toEqual(['2024-09-03', '2024-12-01', '2024-12-02']);
  });
});
