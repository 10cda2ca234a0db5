import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE } from '@app/schemas';
import { appendSales, bronzeRow, createBronze, readSilver, tempLakehouse } from '../test/bronze-fixtures';
import { SilverDaysFailedError, SilverJob } from './silver-job';

const DAY1 = '2024-12-10';
const DAY3 = '2024-12-12';

describe('SilverJob: each sale counted once, one row per client day, a bad day isolated', () => {
  jest.setTimeout(60_000);

  it('collapses an exact re-send and keeps the first of a conflicting payload arriving two days later, through incremental runs', async () => {
    const root = tempLakehouse();
    const bronze = await createBronze(root);
    await appendSales(bronze, [
      { vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 100 },
      { vente_id: 2, client_id: 2, produit_id: 101, jour: DAY1, montant: 50 },
    ]);
    const job = new SilverJob({ lakehouseRoot: root });
    await job.run();
    // An exact re-send of sale 1 (another Kafka offset), then sale 2 again with another payload and an event day two days later.
    const first = bronzeRow({ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 100 });
    const conflicting = bronzeRow({ vente_id: 2, client_id: 2, produit_id: 101, jour: DAY3, montant: 999 });
    await bronze.append({
      rows: [
        { ...first, kafka_offset: 1001, date_ingestion: '2024-12-13T00:00:00Z' },
        { ...conflicting, kafka_offset: 1002, date_ingestion: '2024-12-13T00:00:01Z' },
      ],
    });
    const report = await job.run();
    expect(report).toMatchObject({ status: 'succeeded', mode: 'incremental', duplicates: { dropped: 2, conflicts: 1, newlyDropped: 2, newConflicts: 1 } });
    const days = await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id']);
    expect(days.map((r) => [r.jour, r.client_id, r.total_depense, r.nb_achats])).toEqual([
      [DAY1, 1, 100, 1n],
      [DAY1, 2, 50, 1n],
    ]);
    const countries = await readSilver(root, COUNTRY_AGGREGATES_TABLE, ['pays']);
    expect(countries.map((c) => [c.pays, c.revenue_total, c.total_transactions])).toEqual([
      ['Belgique', 50, 1n],
      ['France', 100, 1n],
    ]);
    const conflicts = await job.conflicts(10);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0].vente_id).toBe(2);
    expect(conflicts[0].occurrences.map((o) => [o.jour, o.is_first])).toEqual([
      [DAY1, true],
      [DAY3, false],
    ]);
    // The next run has nothing new: no duplicate is counted twice.
    expect((await job.run()).duplicates.newlyDropped).toBe(0);
  });

  it('counts a client day once when the client changed name or country that day (days_active, segment_depense)', async () => {
    const root = tempLakehouse();
    const bronze = await createBronze(root);
    const morning = bronzeRow({ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 600 });
    const evening = bronzeRow({ vente_id: 2, client_id: 1, produit_id: 102, jour: DAY1, montant: 600 });
    await bronze.append({
      rows: [
        { ...morning, timestamp: `${DAY1}T08:00:00Z`, client_nom: 'Jean Dupont', pays: 'France' },
        { ...evening, timestamp: `${DAY1}T20:00:00Z`, client_nom: 'Jean Dupont-Martin', pays: 'Belgique' },
      ],
    });
    await new SilverJob({ lakehouseRoot: root }).run();
    const days = await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id']);
    // One row: the day's 1200 EUR make it Premium (two rows of 600 were Standard each), with the identity of the day's last sale.
    expect(days.map((r) => [r.client_id, r.client_nom, r.pays, r.total_depense, r.nb_achats, r.segment_depense])).toEqual([
      [1, 'Jean Dupont-Martin', 'Belgique', 1200, 2n, 'Premium'],
    ]);
  });

  it('refreshes the other days when one day cannot be aggregated, reports it, and retries it on the next run', async () => {
    const root = tempLakehouse();
    const bronze = await createBronze(root);
    await appendSales(bronze, [{ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 10 }]);
    const job = new SilverJob({ lakehouseRoot: root });
    await job.run();
    // An amount whose cents overflow BIGINT (bronze written before the contract bounded montant) on day 3, a valid sale on day 1.
    await appendSales(bronze, [
      { vente_id: 2, client_id: 1, produit_id: 101, jour: DAY1, montant: 5 },
      { vente_id: 3, client_id: 2, produit_id: 101, jour: DAY3, montant: 1e300 },
    ]);
    const failed = await job.run().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SilverDaysFailedError);
    const report = job.runs.last!;
    expect(report).toMatchObject({ status: 'failed', errorClass: 'SilverDaysFailedError', daysRecomputed: [DAY1] });
    expect(report.failedDays.map((d) => d.day)).toEqual([DAY3]);
    expect(report.failedDays[0].errorClass).toMatch(/Error/);
    const days = await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id']);
    expect(days.map((r) => [r.jour, r.total_depense])).toEqual([[DAY1, 15]]);
    // Still failing on the next run (the day is retried), and day 1 stays right.
    await expect(job.run()).rejects.toBeInstanceOf(SilverDaysFailedError);
    expect(job.runs.last!.failedDays.map((d) => d.day)).toEqual([DAY3]);
  });
});
