import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { appendSales, createBronze, readSilver, Sale, tempLakehouse } from '../test/bronze-fixtures';
import { SILVER_APP_ID, SilverJob, SilverJobClosedError } from './silver-job';

const DAY1 = '2024-12-10';
const DAY2 = '2024-12-11';

/**
 * Client 1, 2, 4 are Particulier; 3 and 5 Entreprise. France: 1 and 3; Belgique: 2; Suisse: 4;
 * Luxembourg: 5. Amounts are chosen for exact-cent traps (0.1 + 0.2, 999.99 + 0.01 at the
 * Premium boundary, 200.00 at the Standard boundary, 199.99 just below, averages at half a cent).
 */
const SALES: Sale[] = [
  { vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 899.99 },
  { vente_id: 2, client_id: 1, produit_id: 105, jour: DAY1, montant: 159.98, quantite: 2 },
  { vente_id: 3, client_id: 1, produit_id: 101, jour: DAY1, montant: 899.99 },
  { vente_id: 4, client_id: 2, produit_id: 104, jour: DAY1, montant: 189.9 },
  { vente_id: 5, client_id: 3, produit_id: 106, jour: DAY1, montant: 0.1 },
  { vente_id: 6, client_id: 3, produit_id: 106, jour: DAY1, montant: 0.2 },
  { vente_id: 7, client_id: 1, produit_id: 102, jour: DAY2, montant: 599.99 },
  { vente_id: 8, client_id: 2, produit_id: 106, jour: DAY2, montant: 0.01 },
  { vente_id: 9, client_id: 2, produit_id: 106, jour: DAY2, montant: 0.02 },
  { vente_id: 10, client_id: 3, produit_id: 103, jour: DAY2, montant: 199.99 },
  { vente_id: 11, client_id: 4, produit_id: 107, jour: DAY2, montant: 200.0 },
  { vente_id: 12, client_id: 5, produit_id: 101, jour: DAY2, montant: 999.99 },
  { vente_id: 13, client_id: 5, produit_id: 108, jour: DAY2, montant: 0.01 },
];

function clientDay(
  client_id: number,
  client_nom: string,
  pays: string,
  segment: string,
  jour: string,
  v: [number, number, number, number, number, number, number, boolean, string],
) {
  const [total_quantite, total_depense, nb_achats, panier_moyen, achat_min, achat_max, nb_produits_distincts, est_client_fidele, segment_depense] = v;
  return {
    client_id,
    client_nom,
    pays,
    segment,
    jour,
    total_quantite: BigInt(total_quantite),
    total_depense,
    nb_achats: BigInt(nb_achats),
    panier_moyen,
    achat_min,
    achat_max,
    nb_produits_distincts: BigInt(nb_produits_distincts),
    est_client_fidele,
    segment_depense,
  };
}

/** Computed by hand from SALES with the default thresholds (Premium >= 1000, Standard >= 200). */
const EXPECTED_CLIENT_DAYS = [
  clientDay(1, 'Jean Dupont', 'France', 'Particulier', DAY1, [4, 1959.96, 3, 653.32, 159.98, 899.99, 2, true, 'Premium']),
  clientDay(2, 'Marie Martin', 'Belgique', 'Particulier', DAY1, [1, 189.9, 1, 189.9, 189.9, 189.9, 1, false, 'Economy']),
  clientDay(3, 'TechCorp SA', 'France', 'Entreprise', DAY1, [2, 0.3, 2, 0.15, 0.1, 0.2, 1, true, 'Economy']),
  clientDay(1, 'Jean Dupont', 'France', 'Particulier', DAY2, [1, 599.99, 1, 599.99, 599.99, 599.99, 1, false, 'Standard']),
  // 3 cents over 2 purchases: 1.5 cents rounds half away from zero to 0.02.
  clientDay(2, 'Marie Martin', 'Belgique', 'Particulier', DAY2, [2, 0.03, 2, 0.02, 0.01, 0.02, 1, true, 'Economy']),
  clientDay(3, 'TechCorp SA', 'France', 'Entreprise', DAY2, [1, 199.99, 1, 199.99, 199.99, 199.99, 1, false, 'Economy']),
  clientDay(4, 'Hans Müller', 'Suisse', 'Particulier', DAY2, [1, 200, 1, 200, 200, 200, 1, false, 'Standard']),
  clientDay(5, 'Global Industries', 'Luxembourg', 'Entreprise', DAY2, [2, 1000, 2, 500, 0.01, 999.99, 2, true, 'Premium']),
];

function country(pays: string, tx: number, revenue: number, moyenne: number, items: number, customers: number) {
  return { pays, total_transactions: BigInt(tx), revenue_total: revenue, transaction_moyenne: moyenne, items_sold: BigInt(items), unique_customers: BigInt(customers) };
}

const EXPECTED_COUNTRIES = [
  country('Belgique', 3, 189.93, 63.31, 3, 1),
  country('France', 7, 2760.24, 394.32, 8, 2),
  country('Luxembourg', 2, 1000, 500, 2, 1),
  country('Suisse', 1, 200, 200, 1, 1),
];

function segment(name: string, tx: number, revenue: number, moyenne: number, customers: number, countries: number) {
  return { segment: name, total_transactions: BigInt(tx), revenue_total: revenue, transaction_moyenne: moyenne, unique_customers: BigInt(customers), countries_count: BigInt(countries) };
}

const EXPECTED_SEGMENTS = [
  segment('Entreprise', 5, 1200.29, 240.06, 2, 2),
  // 2949.88 / 8 = 368.735: half a cent, rounded up.
  segment('Particulier', 8, 2949.88, 368.74, 3, 3),
];

const byClientDay = ['jour', 'client_id'];
const readClientDays = (root: string) => readSilver(root, CLIENT_AGGREGATES_TABLE, byClientDay);
const readCountries = (root: string) => readSilver(root, COUNTRY_AGGREGATES_TABLE, ['pays']);
const readSegments = (root: string) => readSilver(root, SEGMENT_AGGREGATES_TABLE, ['segment']);
const openSilver = (root: string, def = CLIENT_AGGREGATES_TABLE) => DeltaTable.open(tableLocation(root, def));

async function bronzeWithSales(root: string): Promise<DeltaTable> {
  const bronze = await createBronze(root);
  // Two commits, so days and commits do not coincide.
  await appendSales(bronze, SALES.slice(0, 8));
  await appendSales(bronze, SALES.slice(8));
  return bronze;
}

async function commitFiles(root: string, def = CLIENT_AGGREGATES_TABLE): Promise<string[]> {
  return (await fs.readdir(path.join(tableLocation(root, def), '_delta_log'))).filter((f) => f.endsWith('.json')).sort();
}

describe('SilverJob', () => {
  it('does nothing and reports it when there is no bronze table yet', async () => {
    const root = tempLakehouse();
    const report = await new SilverJob({ lakehouseRoot: root }).run();
    expect(report).toMatchObject({ status: 'succeeded', mode: 'no-bronze-table', reason: 'no bronze table', bronzeVersion: null, rowsWritten: {} });
    expect(existsSync(path.join(root, 'silver'))).toBe(false);
  });

  it('computes the three silver tables, cent-exact, from a first full run', async () => {
    const root = tempLakehouse();
    const bronze = await bronzeWithSales(root);
    const report = await new SilverJob({ lakehouseRoot: root }).run('test');

    expect(report).toMatchObject({
      trigger: 'test',
      status: 'succeeded',
      mode: 'full',
      bronzeVersion: bronze.version,
      previousBronzeVersion: null,
      bronzeRowsRead: SALES.length,
      daysRecomputed: [DAY1, DAY2],
      rowsWritten: { ventes_aggreges: 8, ventes_par_pays: 4, ventes_par_segment: 2 },
      silverVersions: { ventes_aggreges: 1, ventes_par_pays: 1, ventes_par_segment: 1 },
    });
    expect(report.reason).toMatch(/first run/);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(await readClientDays(root)).toEqual(EXPECTED_CLIENT_DAYS);
    expect(await readCountries(root)).toEqual(EXPECTED_COUNTRIES);
    expect(await readSegments(root)).toEqual(EXPECTED_SEGMENTS);
    for (const def of [CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE]) {
      expect((await openSilver(root, def)).txnVersion(SILVER_APP_ID)).toBe(bronze.version);
    }
  });

  it('sums amounts without float drift', async () => {
    const root = tempLakehouse();
    const bronze = await createBronze(root);
    // Summed as doubles, ten 0.10 make 0.9999999999999999 and 0.1 + 0.2 makes 0.30000000000000004.
    const tenths = Array.from({ length: 10 }, (_, i): Sale => ({ vente_id: i + 1, client_id: 1, produit_id: 101 + (i % 3), jour: DAY1, montant: 0.1 }));
    expect(tenths.reduce((sum, s) => sum + s.montant, 0)).not.toBe(1);
    expect(0.1 + 0.2).not.toBe(0.3);
    await appendSales(bronze, [
      ...tenths,
      { vente_id: 11, client_id: 3, produit_id: 106, jour: DAY1, montant: 0.1 },
      { vente_id: 12, client_id: 3, produit_id: 106, jour: DAY1, montant: 0.2 },
    ]);

    await new SilverJob({ lakehouseRoot: root }).run();
    const [tenthsDay, pairDay] = await readClientDays(root);
    expect(tenthsDay).toMatchObject({ total_depense: 1, nb_achats: 10n, panier_moyen: 0.1, achat_min: 0.1, achat_max: 0.1, nb_produits_distincts: 3n });
    expect(pairDay).toMatchObject({ total_depense: 0.3, panier_moyen: 0.15 });
    // 1.30 over 12 sales = 0.108333: 0.11.
    expect(await readCountries(root)).toEqual([country('France', 12, 1.3, 0.11, 12, 2)]);
  });

  it('recomputes only the day late data landed in, leaving the other days untouched', async () => {
    const root = tempLakehouse();
    const bronze = await bronzeWithSales(root);
    const job = new SilverJob({ lakehouseRoot: root });
    await job.run();
    const clients = await openSilver(root);
    const filesOfDay = (t: DeltaTable, day: string) => t.snapshot.files().filter((f) => f.partitionValues.jour === day).map((f) => f.path);
    const day1Before = filesOfDay(clients, DAY1);
    const day2Before = filesOfDay(clients, DAY2);

    // A late event for client 2 on day 1, after day 2 was already aggregated.
    const lateVersion = await appendSales(bronze, [{ vente_id: 14, client_id: 2, produit_id: 105, jour: DAY1, montant: 79.99 }]);
    const report = await job.run();

    expect(report).toMatchObject({
      mode: 'incremental',
      bronzeVersion: lateVersion,
      previousBronzeVersion: lateVersion - 1,
      bronzeCommitsRead: 1,
      bronzeRowsRead: 7,
      daysRecomputed: [DAY1],
      rowsWritten: { ventes_aggreges: 3, ventes_par_pays: 4, ventes_par_segment: 2 },
      silverVersions: { ventes_aggreges: 2, ventes_par_pays: 2, ventes_par_segment: 2 },
    });
    await clients.update();
    expect(filesOfDay(clients, DAY2)).toEqual(day2Before);
    expect(filesOfDay(clients, DAY1)).not.toEqual(day1Before);
    expect(clients.txnVersion(SILVER_APP_ID)).toBe(lateVersion);

    // 189.90 + 79.99 = 269.89 over 2 purchases: 134.945 rounds to 134.95; 269.89 >= 200 is Standard.
    const expected = EXPECTED_CLIENT_DAYS.map((r) =>
      r.client_id === 2 && r.jour === DAY1
        ? { ...r, total_quantite: 2n, total_depense: 269.89, nb_achats: 2n, panier_moyen: 134.95, achat_min: 79.99, nb_produits_distincts: 2n, est_client_fidele: true, segment_depense: 'Standard' }
        : r,
    );
    expect(await readClientDays(root)).toEqual(expected);
    expect(await readCountries(root)).toEqual(EXPECTED_COUNTRIES.map((c) => (c.pays === 'Belgique' ? country('Belgique', 4, 269.92, 67.48, 4, 1) : c)));
    expect(await readSegments(root)).toEqual([EXPECTED_SEGMENTS[0], segment('Particulier', 9, 3029.87, 336.65, 3, 3)]);
  });

  it('commits nothing when re-run with no bronze change, and gives the same tables', async () => {
    const root = tempLakehouse();
    const bronze = await bronzeWithSales(root);
    const job = new SilverJob({ lakehouseRoot: root });
    const first = await job.run();
    const logs = await Promise.all([CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE].map((d) => commitFiles(root, d)));

    const second = await job.run();
    // A fresh job (a restarted process) reaches the same conclusion from the Delta logs alone.
    const third = await new SilverJob({ lakehouseRoot: root }).run();

    for (const r of [second, third]) {
      expect(r).toMatchObject({ mode: 'up-to-date', bronzeVersion: bronze.version, previousBronzeVersion: bronze.version, bronzeCommitsRead: 0, daysRecomputed: [], rowsWritten: {} });
      expect(r.silverVersions).toEqual(first.silverVersions);
    }
    expect(await Promise.all([CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE].map((d) => commitFiles(root, d)))).toEqual(logs);
    expect(await readClientDays(root)).toEqual(EXPECTED_CLIENT_DAYS);
  });

  it('applies configured thresholds, and recomputes every day when they change', async () => {
    const root = tempLakehouse();
    await bronzeWithSales(root);
    await new SilverJob({ lakehouseRoot: root }).run();

    const report = await new SilverJob({ lakehouseRoot: root, thresholds: { premium: 599.99, standard: 0.3 } }).run();
    expect(report.mode).toBe('full');
    expect(report.reason).toMatch(/thresholds/);
    const tiers = (await readClientDays(root)).map((r) => `${r.jour} ${r.client_id} ${r.segment_depense}`);
    expect(tiers).toEqual([
      `${DAY1} 1 Premium`,
      `${DAY1} 2 Standard`,
      `${DAY1} 3 Standard`, // 0.1 + 0.2 is exactly 0.30, not 0.30000000000000004
      `${DAY2} 1 Premium`,
      `${DAY2} 2 Economy`,
      `${DAY2} 3 Standard`,
      `${DAY2} 4 Standard`,
      `${DAY2} 5 Premium`,
    ]);
    // Country and segment totals do not depend on tiers: they stay as they were.
    // (the occurrence bookkeeping is rewritten with the days: 13 sales, none duplicated)
    expect(report.rowsWritten).toEqual({ ventes_aggreges: 8, sale_occurrences: 13 });
    expect(await readCountries(root)).toEqual(EXPECTED_COUNTRIES);

    // Same thresholds again: nothing to do.
    expect((await new SilverJob({ lakehouseRoot: root, thresholds: { premium: 599.99, standard: 0.3 } }).run()).mode).toBe('up-to-date');
  });

  it('recomputes everything when bronze was recreated at the same path', async () => {
    const root = tempLakehouse();
    await bronzeWithSales(root);
    await new SilverJob({ lakehouseRoot: root }).run();
    // A new bronze table reaching past the processed version with other data: day 2 no longer exists.
    await fs.rm(path.join(root, 'bronze'), { recursive: true });
    const bronze = await createBronze(root);
    for (const s of SALES.filter((x) => x.jour === DAY1)) await appendSales(bronze, [s]);
    const report = await new SilverJob({ lakehouseRoot: root }).run();
    // Day 2, gone from bronze, is recomputed too: replaced by nothing.
    expect(report).toMatchObject({ mode: 'full', daysRecomputed: [DAY1, DAY2], reason: expect.stringMatching(/not the one/) });
    expect(await readClientDays(root)).toEqual(EXPECTED_CLIENT_DAYS.filter((r) => r.jour === DAY1));
  });

  it('refuses thresholds where standard exceeds premium', () => {
    expect(() => new SilverJob({ lakehouseRoot: tempLakehouse(), thresholds: { premium: 100, standard: 200 } })).toThrow(/must not exceed premium/);
  });

  it('rebuilds derived tables left behind by a run that stopped after the client aggregates', async () => {
    const root = tempLakehouse();
    await bronzeWithSales(root);
    await new SilverJob({ lakehouseRoot: root }).run();
    // As if the process died after committing ventes_aggreges for a newer bronze version: ventes_par_pays lags.
    const countries = await openSilver(root, COUNTRY_AGGREGATES_TABLE);
    await countries.overwrite({ rows: [] }, { txns: [{ appId: SILVER_APP_ID, version: 0 }] });

    const report = await new SilverJob({ lakehouseRoot: root }).run();
    expect(report).toMatchObject({ mode: 'up-to-date', rowsWritten: { ventes_par_pays: 4 } });
    expect(await readCountries(root)).toEqual(EXPECTED_COUNTRIES);
  });

  it('never overlaps runs: a run requested during another joins it', async () => {
    const root = tempLakehouse();
    await bronzeWithSales(root);
    const finished: number[] = [];
    const job = new SilverJob({ lakehouseRoot: root }, { onRunFinished: (r) => finished.push(r.runId) });
    const a = job.run('schedule');
    expect(job.running?.trigger).toBe('schedule');
    const b = job.run('manual');
    const [ra, rb] = await Promise.all([a, b]);
    expect(rb).toBe(ra);
    expect(finished).toEqual([ra.runId]);
    expect(job.runs.recent()).toHaveLength(1);
    expect(job.running).toBeUndefined();
  });

  it('waits for the run in progress on close, then refuses new runs', async () => {
    const root = tempLakehouse();
    await bronzeWithSales(root);
    const job = new SilverJob({ lakehouseRoot: root });
    const run = job.run();
    await job.close();
    expect(job.running).toBeUndefined();
    expect((await run).status).toBe('succeeded');
    await expect(job.run()).rejects.toBeInstanceOf(SilverJobClosedError);
  });

  it('reports a failed run and rejects its callers', async () => {
    const root = tempLakehouse();
    await bronzeWithSales(root);
    // A ventes_aggreges with another schema cannot be opened as the silver table.
    await DeltaTable.create(tableLocation(root, CLIENT_AGGREGATES_TABLE), { schema: COUNTRY_AGGREGATES_TABLE.schema });
    const job = new SilverJob({ lakehouseRoot: root });
    await expect(job.run()).rejects.toThrow(/different schema/);
    expect(job.runs.last).toMatchObject({ status: 'failed', error: expect.stringMatching(/different schema/) });
    expect(job.runs.last?.durationMs).toBeGreaterThanOrEqual(0);
  });
});
