/**
 * The analytics gateway over real Delta tables in a temp folder: silver tables written by hand
 * (the silver job is not involved) with expected numbers computed by hand below. The gateway
 * starts before the silver tables exist, so the 503s are checked first, then every endpoint,
 * the 400s and the 404, then a new silver commit (followed without restart) and time travel.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import { DeltaTable, Row } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { KEYS, startTestGateway, TestGateway } from '../support/gateway';
import { Client, clientDay, tempLakehouse, writeSilver } from '../../libs/analytics/test/silver-fixtures';

const JEAN: Client = { client_id: 1, client_nom: 'Jean Dupont', pays: 'France', segment: 'Particulier' };
const MARIE: Client = { client_id: 2, client_nom: 'Marie Martin', pays: 'Belgique', segment: 'Entreprise' };
const LUC: Client = { client_id: 3, client_nom: 'Luc Simon', pays: 'France', segment: 'Entreprise' };
const EMMA: Client = { client_id: 4, client_nom: 'Emma Garcia', pays: 'Suisse', segment: 'Particulier' };

/**
 * Monday 2024-12-09 and Tuesday 2024-12-10, Monday of the next week, and a day in January 2025
 * (whose ISO week starts on Monday 2024-12-30). Fixture tiers: Premium >= 500, Standard >= 100.
 */
const CLIENT_DAYS: Row[] = [
  clientDay(JEAN, '2024-12-09', [
    { produit_id: 101, quantite: 1, montant: 100 },
    { produit_id: 102, quantite: 2, montant: 50 },
  ]), // 150, 2 purchases, 3 units, Standard
  clientDay(MARIE, '2024-12-09', [{ produit_id: 103, quantite: 1, montant: 1000 }]), // Premium
  clientDay(JEAN, '2024-12-10', [{ produit_id: 101, quantite: 1, montant: 20 }]), // Economy
  clientDay(LUC, '2024-12-10', [
    { produit_id: 104, quantite: 3, montant: 300 },
    { produit_id: 104, quantite: 2, montant: 200 },
  ]), // 500, 2 purchases, 5 units, 1 product, Premium
  clientDay(MARIE, '2024-12-16', [{ produit_id: 105, quantite: 1, montant: 10 }]), // Economy
  clientDay(EMMA, '2024-12-16', [{ produit_id: 101, quantite: 2, montant: 60 }]), // Economy
  clientDay(LUC, '2025-01-02', [{ produit_id: 102, quantite: 1, montant: 99.99 }]), // Economy
];
// Totals: Jean 170.00 (3 purchases, 4 units), Marie 1010.00 (2, 2), Luc 599.99 (3, 6), Emma 60.00 (1, 2).

/** Written by a second silver run: Emma buys for 2000 more, and becomes the top client. */
const NEW_DAY = clientDay(EMMA, '2025-01-03', [{ produit_id: 103, quantite: 1, montant: 2000 }]);

const REFRESH_MS = 50;

function startGateway(root: string): Promise<TestGateway> {
  return startTestGateway({ LAKEHOUSE_ROOT: root, SNAPSHOT_REFRESH_INTERVAL: `${REFRESH_MS}ms`, CACHE_MAX_BYTES: '1000000' });
}

async function writeBronze(root: string): Promise<void> {
  const bronze = await DeltaTable.create(tableLocation(root, BRONZE_TABLE), { schema: BRONZE_TABLE.schema, partitionColumns: BRONZE_TABLE.partitionColumns });
  const sale = (vente_id: number, timestamp: string): Row => ({
    vente_id,
    client_id: 1,
    produit_id: 101,
    timestamp,
    quantite: 1,
    montant: 100,
    client_nom: 'Jean Dupont',
    produit_nom: 'Ordinateur portable',
    categorie: 'Électronique',
    pays: 'France',
    segment: 'Particulier',
    kafka_topic: 'ventes_stream',
    kafka_partition: 0,
    kafka_offset: vente_id,
    date_ingestion: new Date(),
    jour: timestamp.slice(0, 10),
  });
  await bronze.append({ rows: [sale(1, '2024-12-09T10:15:23.123456'), sale(2, '2024-12-10T08:00:00.500')] });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks until `accept` holds (the gateway swaps a new version in once it is loaded), or fails after 5 s. */
async function eventually(get: () => Promise<request.Response>, accept: (res: request.Response) => boolean): Promise<request.Response> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await get();
    if (accept(res) || Date.now() > deadline) return res;
    await sleep(REFRESH_MS);
  }
}

/** The 400 body's messages, joined: each must name the parameter at fault. */
function messages(res: request.Response): string {
  expect(res.status).toBe(400);
  return ([] as string[]).concat(res.body.message).join(' | ');
}

describe('analytics-gateway (e2e)', () => {
  const root = tempLakehouse('gateway-e2e-');
  let gateway: TestGateway;
  let http: string;
  const get = (url: string) => request(http).get(url).set('Authorization', `Bearer ${KEYS.analyst}`);

  beforeAll(async () => {
    gateway = await startGateway(root);
    http = gateway.url;
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(root, { recursive: true, force: true });
  });

  describe('before the silver job has run', () => {
    it('answers 503 naming the missing table, and reports it in /freshness and /health', async () => {
      const res = await get('/analytics/segments').expect(503);
      expect(res.body.message).toMatch(/ventes_par_segment is not available yet/);
      expect(res.headers['retry-after']).toBe('60');
      await get('/analytics/top-customers').expect(503);

      const fresh = await get('/analytics/freshness').expect(200);
      expect(fresh.body.last_silver_refresh).toBeNull();
      expect(fresh.body.silver).toEqual([
        { table: 'ventes_aggreges', layer: 'silver', available: false, version: null, last_commit_at: null, num_records: null },
        { table: 'ventes_par_pays', layer: 'silver', available: false, version: null, last_commit_at: null, num_records: null },
        { table: 'ventes_par_segment', layer: 'silver', available: false, version: null, last_commit_at: null, num_records: null },
      ]);
      expect(fresh.body.bronze).toMatchObject({ table: 'ventes_stream', available: false, latest_event_time: null });

      const health = await get('/health').expect(503);
      expect(health.body.details['silver-tables']).toMatchObject({ status: 'down', tables: { ventes_aggreges: 'not computed yet' } });
    });
  });

  describe('once silver exists', () => {
    let silverVersions: Record<string, number>;

    beforeAll(async () => {
      silverVersions = await writeSilver(root, CLIENT_DAYS);
      await writeBronze(root);
      await sleep(REFRESH_MS + 10); // the missing tables are looked for again after the refresh interval
    });

    it('reports the silver tables healthy', async () => {
      const res = await get('/health').expect(200);
      expect(res.body.details['silver-tables']).toEqual({ status: 'up', tables: { ventes_aggreges: 1, ventes_par_pays: 1, ventes_par_segment: 1 } });
    });

    it('GET /analytics/top-customers ranks clients by spend', async () => {
      const res = await get('/analytics/top-customers').expect(200);
      expect(res.body).toEqual({
        source: { table: 'ventes_aggreges', version: 1 },
        currency: 'EUR',
        page: { limit: 10, offset: 0, total: 4 },
        customers: [
          { client_id: 2, client_nom: 'Marie Martin', pays: 'Belgique', segment: 'Entreprise', total_depense: 1010, nb_achats: 2, total_quantite: 2 },
          { client_id: 3, client_nom: 'Luc Simon', pays: 'France', segment: 'Entreprise', total_depense: 599.99, nb_achats: 3, total_quantite: 6 },
          { client_id: 1, client_nom: 'Jean Dupont', pays: 'France', segment: 'Particulier', total_depense: 170, nb_achats: 3, total_quantite: 4 },
          { client_id: 4, client_nom: 'Emma Garcia', pays: 'Suisse', segment: 'Particulier', total_depense: 60, nb_achats: 1, total_quantite: 2 },
        ],
      });
    });

    it('GET /analytics/top-customers filters by days (inclusive), country and segment, and limits', async () => {
      const ids = (res: request.Response) => res.body.customers.map((c: { client_id: number; total_depense: number }) => [c.client_id, c.total_depense]);
      // 2024-12-10..2024-12-16: Luc 500, Emma 60, Jean 20, Marie 10.
      expect(ids(await get('/analytics/top-customers?from=2024-12-10&to=2024-12-16').expect(200))).toEqual([
        [3, 500],
        [4, 60],
        [1, 20],
        [2, 10],
      ]);
      expect(ids(await get('/analytics/top-customers?pays=France').expect(200))).toEqual([
        [3, 599.99],
        [1, 170],
      ]);
      expect(ids(await get('/analytics/top-customers?segment=Entreprise&limit=1').expect(200))).toEqual([[2, 1010]]);
      expect(ids(await get('/analytics/top-customers?pays=Nowhere').expect(200))).toEqual([]);
    });

    it('GET /analytics/revenue-by-country reads ventes_par_pays, or ventes_aggreges for a date range', async () => {
      const all = await get('/analytics/revenue-by-country').expect(200);
      expect(all.body).toEqual({
        source: { table: 'ventes_par_pays', version: 1 },
        currency: 'EUR',
        page: { limit: 100, offset: 0, total: 3 },
        countries: [
          { pays: 'Belgique', revenue_total: 1010, total_transactions: 2, transaction_moyenne: 505, items_sold: 2, unique_customers: 1 },
          // 769.99 / 6 = 128.33
          { pays: 'France', revenue_total: 769.99, total_transactions: 6, transaction_moyenne: 128.33, items_sold: 10, unique_customers: 2 },
          { pays: 'Suisse', revenue_total: 60, total_transactions: 1, transaction_moyenne: 60, items_sold: 2, unique_customers: 1 },
        ],
      });
      const range = await get('/analytics/revenue-by-country?from=2024-12-09&to=2024-12-10').expect(200);
      expect(range.body).toEqual({
        source: { table: 'ventes_aggreges', version: 1 },
        currency: 'EUR',
        page: { limit: 100, offset: 0, total: 2 },
        countries: [
          { pays: 'Belgique', revenue_total: 1000, total_transactions: 1, transaction_moyenne: 1000, items_sold: 1, unique_customers: 1 },
          // Jean 150 + 20, Luc 500: 670 over 5 sales.
          { pays: 'France', revenue_total: 670, total_transactions: 5, transaction_moyenne: 134, items_sold: 9, unique_customers: 2 },
        ],
      });
    });

    it('GET /analytics/segments returns ventes_par_segment', async () => {
      const res = await get('/analytics/segments').expect(200);
      expect(res.body).toEqual({
        source: { table: 'ventes_par_segment', version: 1 },
        currency: 'EUR',
        page: { limit: 100, offset: 0, total: 2 },
        segments: [
          // Marie 1010 + Luc 599.99 over 5 sales: 321.998.
          { segment: 'Entreprise', total_transactions: 5, revenue_total: 1609.99, transaction_moyenne: 322, unique_customers: 2, countries_count: 2 },
          { segment: 'Particulier', total_transactions: 4, revenue_total: 230, transaction_moyenne: 57.5, unique_customers: 2, countries_count: 2 },
        ],
      });
    });

    it('GET /analytics/revenue-trends by day, ISO week and month', async () => {
      const day = await get('/analytics/revenue-trends').expect(200);
      expect(day.body).toEqual({
        source: { table: 'ventes_aggreges', version: 1 },
        currency: 'EUR',
        granularity: 'day',
        page: { limit: 100, offset: 0, total: 4 },
        periods: [
          { period: '2024-12-09', revenue_total: 1150, total_transactions: 3, unique_customers: 2 },
          { period: '2024-12-10', revenue_total: 520, total_transactions: 3, unique_customers: 2 },
          { period: '2024-12-16', revenue_total: 70, total_transactions: 2, unique_customers: 2 },
          { period: '2025-01-02', revenue_total: 99.99, total_transactions: 1, unique_customers: 1 },
        ],
      });
      const week = await get('/analytics/revenue-trends?granularity=week').expect(200);
      expect(week.body.periods).toEqual([
        { period: '2024-12-09', revenue_total: 1670, total_transactions: 6, unique_customers: 3 },
        { period: '2024-12-16', revenue_total: 70, total_transactions: 2, unique_customers: 2 },
        { period: '2024-12-30', revenue_total: 99.99, total_transactions: 1, unique_customers: 1 },
      ]);
      const month = await get('/analytics/revenue-trends?granularity=month&from=2024-12-10').expect(200);
      expect(month.body.periods).toEqual([
        { period: '2024-12-01', revenue_total: 590, total_transactions: 5, unique_customers: 4 },
        { period: '2025-01-01', revenue_total: 99.99, total_transactions: 1, unique_customers: 1 },
      ]);
    });

    it('GET /analytics/loyalty splits loyal (>= 2 purchases over the period) from occasional clients', async () => {
      const all = await get('/analytics/loyalty').expect(200);
      expect(all.body).toEqual({
        source: { table: 'ventes_aggreges', version: 1 },
        currency: 'EUR',
        definition: expect.stringContaining('at least 2'),
        total_customers: 4,
        loyal_customers: 3, // Jean 3, Marie 2 (on two days), Luc 3
        occasional_customers: 1, // Emma
        repeat_purchase_rate: 0.75,
        loyal_revenue: 1779.99,
        occasional_revenue: 60,
        spending_tiers: [
          { segment_depense: 'Premium', client_days: 2, revenue_total: 1500 },
          { segment_depense: 'Standard', client_days: 1, revenue_total: 150 },
          { segment_depense: 'Economy', client_days: 4, revenue_total: 189.99 },
        ],
      });
      // 2024-12-09..10: Jean 3 and Luc 2 purchases are loyal, Marie's single one is not; 2/3.
      const range = await get('/analytics/loyalty?from=2024-12-09&to=2024-12-10').expect(200);
      expect(range.body).toMatchObject({ total_customers: 3, loyal_customers: 2, occasional_customers: 1, repeat_purchase_rate: 0.6667, loyal_revenue: 670, occasional_revenue: 1000 });
    });

    it('GET /analytics/customers/:clientId returns totals and per-day history', async () => {
      const res = await get('/analytics/customers/1').expect(200);
      expect(res.body).toEqual({
        source: { table: 'ventes_aggreges', version: 1 },
        currency: 'EUR',
        page: { limit: 100, offset: 0, total: 2 },
        client_id: 1,
        client_nom: 'Jean Dupont',
        pays: 'France',
        segment: 'Particulier',
        totals: {
          total_depense: 170,
          nb_achats: 3,
          total_quantite: 4,
          panier_moyen: 56.67, // 170 / 3
          achat_min: 20,
          achat_max: 100,
          days_active: 2,
          first_day: '2024-12-09',
          last_day: '2024-12-10',
        },
        history: [
          { jour: '2024-12-09', total_quantite: 3, total_depense: 150, nb_achats: 2, panier_moyen: 75, achat_min: 50, achat_max: 100, nb_produits_distincts: 2, est_client_fidele: true, segment_depense: 'Standard' },
          { jour: '2024-12-10', total_quantite: 1, total_depense: 20, nb_achats: 1, panier_moyen: 20, achat_min: 20, achat_max: 20, nb_produits_distincts: 1, est_client_fidele: false, segment_depense: 'Economy' },
        ],
      });
    });

    it('GET /analytics/customers/:clientId answers 404 for an unknown client', async () => {
      const res = await get('/analytics/customers/999').expect(404);
      expect(res.body).toEqual({ statusCode: 404, message: 'client 999 not found in ventes_aggreges (version 1)', error: 'Not Found' });
    });

    it('GET /analytics/freshness reports versions, commit times, row counts and the latest bronze event', async () => {
      const res = await get('/analytics/freshness').expect(200);
      const body = res.body;
      expect(body.silver.map((t: { table: string; version: number; num_records: number; available: boolean }) => [t.table, t.available, t.version, t.num_records])).toEqual([
        ['ventes_aggreges', true, 1, 7],
        ['ventes_par_pays', true, 1, 3],
        ['ventes_par_segment', true, 1, 2],
      ]);
      const commitTimes = body.silver.map((t: { last_commit_at: string }) => t.last_commit_at);
      for (const t of commitTimes) expect(Math.abs(Date.parse(t) - Date.now())).toBeLessThan(60_000);
      expect(body.last_silver_refresh).toBe([...commitTimes].sort().pop());
      expect(body.bronze).toMatchObject({ table: 'ventes_stream', layer: 'bronze', available: true, version: 1, num_records: 2, latest_event_time: '2024-12-10T08:00:00.500Z' });
    });

    describe('invalid parameters answer 400 naming the parameter', () => {
      it.each([
        ['/analytics/top-customers?limit=0', 'limit'],
        ['/analytics/top-customers?limit=101', 'limit'],
        ['/analytics/top-customers?limit=ten', 'limit'],
        ['/analytics/top-customers?limit=', 'limit'],
        ['/analytics/top-customers?segment=Startup', 'segment'],
        ['/analytics/top-customers?from=2024-13-01', 'from'],
        ['/analytics/revenue-by-country?to=2024-02-30', 'to'],
        ['/analytics/loyalty?from=12/09/2024', 'from'],
        ['/analytics/revenue-trends?granularity=year', 'granularity'],
        ['/analytics/segments?asOfVersion=-1', 'asOfVersion'],
        ['/analytics/segments?asOfVersion=1.5', 'asOfVersion'],
        ['/analytics/segments?asOfTimestamp=yesterday', 'asOfTimestamp'],
        ['/analytics/customers/abc', 'clientId'],
        ['/analytics/customers/0', 'clientId'],
        ['/analytics/segments?unknown=1', 'unknown'],
      ])('%s', async (url, parameter) => {
        expect(messages(await get(url))).toContain(parameter);
      });

      it('a value that is not a number is reported as such, not as out of range', async () => {
        expect(messages(await get('/analytics/top-customers?limit=ten'))).toBe('limit must be an integer number');
        expect(messages(await get('/analytics/segments?offset=x'))).toBe('offset must be an integer number');
        expect(messages(await get('/analytics/segments?asOfVersion=x'))).toBe('asOfVersion must be an integer number');
      });

      it('from after to', async () => {
        expect(messages(await get('/analytics/top-customers?from=2024-12-16&to=2024-12-09'))).toBe('from must be on or before to');
      });

      it('asOfVersion and asOfTimestamp together', async () => {
        expect(messages(await get('/analytics/top-customers?asOfVersion=1&asOfTimestamp=2024-12-12T00:00:00Z'))).toBe(
          'asOfTimestamp and asOfVersion are mutually exclusive: give at most one',
        );
      });

      it('a version the table does not have', async () => {
        expect(messages(await get('/analytics/top-customers?asOfVersion=99'))).toBe('asOfVersion: version 99 of ventes_aggreges does not exist (latest is 1)');
      });

      it('a timestamp before the table existed', async () => {
        expect(messages(await get('/analytics/segments?asOfTimestamp=2000-01-01T00:00:00Z'))).toMatch(/^asOfTimestamp: ventes_par_segment: timestamp .* is before the earliest available version/);
      });
    });

    describe('after a new silver run', () => {
      /** When the first silver run ended: every silver table was at version 1 from then until the second run. */
      let v1RefreshedAt: string;

      beforeAll(async () => {
        v1RefreshedAt = (await get('/analytics/freshness').expect(200)).body.last_silver_refresh;
        // Cached for version 1: the answer after the new run must not be this one.
        expect((await get('/analytics/top-customers?limit=1').expect(200)).body.customers[0]).toMatchObject({ client_id: 2, total_depense: 1010 });
        await sleep(20); // distinct commit times for the two versions
        silverVersions = await writeSilver(root, [...CLIENT_DAYS, NEW_DAY], 'overwrite');
        expect(silverVersions[CLIENT_AGGREGATES_TABLE.name]).toBe(2);
      });

      it('answers from the new version without a restart (the cached answer of version 1 is not served)', async () => {
        const res = await eventually(
          () => get('/analytics/top-customers?limit=1'),
          (r) => r.body.source?.version === 2,
        );
        expect(res.body).toEqual({
          source: { table: 'ventes_aggreges', version: 2 },
          currency: 'EUR',
          page: { limit: 1, offset: 0, total: 4 },
          customers: [{ client_id: 4, client_nom: 'Emma Garcia', pays: 'Suisse', segment: 'Particulier', total_depense: 2060, nb_achats: 2, total_quantite: 3 }],
        });
        const fresh = await eventually(
          () => get('/analytics/freshness'),
          (r) => r.body.silver.every((t: { version: number }) => t.version === 2),
        );
        expect(fresh.body.silver.map((t: { num_records: number }) => t.num_records)).toEqual([8, 3, 2]);
      });

      it('asOfVersion reads the older numbers', async () => {
        const top = await get('/analytics/top-customers?limit=1&asOfVersion=1').expect(200);
        expect(top.body.source).toEqual({ table: 'ventes_aggreges', version: 1 });
        expect(top.body.customers[0]).toMatchObject({ client_id: 2, total_depense: 1010 });
        const emma = await get('/analytics/customers/4?asOfVersion=1').expect(200);
        expect(emma.body.totals).toMatchObject({ total_depense: 60, days_active: 1 });
        expect((await get('/analytics/customers/4').expect(200)).body.totals).toMatchObject({ total_depense: 2060, days_active: 2 });
        const countries = await get('/analytics/revenue-by-country?asOfVersion=1').expect(200);
        expect(countries.body.countries.find((c: { pays: string }) => c.pays === 'Suisse').revenue_total).toBe(60);
        const now = await get('/analytics/revenue-by-country').expect(200);
        expect(now.body.countries[0]).toMatchObject({ pays: 'Suisse', revenue_total: 2060 });
      });

      it('asOfTimestamp reads the version committed at or before that instant', async () => {
        const old = await get(`/analytics/top-customers?limit=1&asOfTimestamp=${encodeURIComponent(v1RefreshedAt)}`).expect(200);
        expect(old.body.source.version).toBe(1);
        expect(old.body.customers[0].client_id).toBe(2);
        const later = await get(`/analytics/top-customers?limit=1&asOfTimestamp=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`).expect(200);
        expect(later.body.source.version).toBe(2);
        const segments = await get(`/analytics/segments?asOfTimestamp=${encodeURIComponent(v1RefreshedAt)}`).expect(200);
        expect(segments.body.segments.find((s: { segment: string }) => s.segment === 'Particulier').revenue_total).toBe(230);
        const fresh = await get('/analytics/freshness?asOfVersion=1').expect(200);
        expect(fresh.body.silver.map((t: { version: number }) => t.version)).toEqual([1, 1, 1]);
      });
    });
  });

  describe('operations', () => {
    it('/docs-json documents every endpoint, its parameters and answers; /docs serves the UI', async () => {
      const doc = (await get('/docs-json').expect(200)).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/analytics/top-customers',
          '/analytics/revenue-by-country',
          '/analytics/segments',
          '/analytics/revenue-trends',
          '/analytics/loyalty',
          '/analytics/customers/{clientId}',
          '/analytics/freshness',
          '/health',
        ]),
      );
      const top = doc.paths['/analytics/top-customers'].get;
      expect(top.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['limit', 'from', 'to', 'pays', 'segment', 'asOfVersion', 'asOfTimestamp']));
      expect(top.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/TopCustomersResponseDto');
      expect(Object.keys(top.responses)).toEqual(expect.arrayContaining(['200', '400', '503']));
      expect(doc.components.schemas.TopCustomerDto.properties.total_depense.example).toBe(1799.98);
      expect(doc.paths['/analytics/customers/{clientId}'].get.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'clientId', in: 'path' })]));
      const ui = await get('/docs').expect(200);
      expect(ui.text).toContain('swagger');
    });

    it('/metrics counts requests per route, latency, and cache hits and misses', async () => {
      await get('/analytics/segments').expect(200);
      await get('/analytics/segments').expect(200);
      const text = (await get('/metrics').expect(200)).text;
      expect(text).toMatch(/http_requests_total\{method="GET",route="\/analytics\/customers\/:clientId",status="404"\} 1/);
      expect(text).toMatch(/http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/analytics\/segments",status="200"\} \d+/);
      expect(text).toMatch(/analytics_cache_lookups_total\{endpoint="segments",result="hit"\} [1-9]/);
      expect(text).toMatch(/analytics_cache_lookups_total\{endpoint="top-customers",result="miss"\} [1-9]/);
      expect(text).toMatch(/analytics_table_version\{table="ventes_aggreges"\} 2/);
    });
  });
});
