/**
 * The whole platform, as a user runs it: producer -> Kafka -> bronze -> silver -> gateway, each
 * app a real process on the real broker. The API's numbers must equal those computed here,
 * independently, from the events read back from the topic.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { SalesEvent } from '@app/schemas';
import { ensureBroker } from '../support/kafka-broker';
import { bearer } from '../support/api-keys';
import { startedApps, waitFor } from '../support/app-process';

jest.setTimeout(240_000);

const SALES = 400;
const start = startedApps();

/** Everything on the topic, read by a plain kafkajs consumer: the independent record of what was produced. */
async function readTopic(brokers: string, topic: string, expected: number): Promise<SalesEvent[]> {
  const consumer = new Kafka({ clientId: 'pipeline-check', brokers: [brokers], logLevel: logLevel.WARN }).consumer({ groupId: `check-${randomUUID()}` });
  const events: SalesEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void events.push(JSON.parse(message.value!.toString())) });
  await waitFor(`${expected} events on the topic`, async () => (events.length >= expected ? true : undefined));
  await consumer.disconnect();
  return events;
}

const cents = (x: number) => Math.round(x * 100);

function groupBy<T>(items: T[], key: (t: T) => string | number): Map<string | number, T[]> {
  const m = new Map<string | number, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

it('the API answers what the produced events say', async () => {
  const brokers = await ensureBroker();
  const root = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-pipeline-'));
  const topic = `pipeline-${randomUUID().slice(0, 8)}`;
  const common = { KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, LAKEHOUSE_ROOT: root };

  await start('bronze-ingestor', { ...common, KAFKA_GROUP_ID: `${topic}-bronze`, FLUSH_MAX_LATENCY: '200ms' });
  const producer = await start('producer', { ...common, PRODUCER_RATE: '400', PRODUCER_TOTAL: String(SALES), PRODUCER_CLIENTS: '12', PRODUCER_PRODUCTS: '8', PRODUCER_SEED: '7' });
  const silver = await start('silver-scheduler', { ...common, SILVER_CRON: '0 0 0 1 1 *' });
  const gateway = await start('analytics-gateway', { LAKEHOUSE_ROOT: root, AUTH_DISABLED: 'true' }); // keys: analytics-gateway-http.e2e-spec.ts

  await waitFor('the producer to finish', async () => {
    const s = (await producer.get('/producer/stats')).body as { running: boolean; acked: number };
    return !s.running && s.acked === SALES ? true : undefined;
  });
  const events = await readTopic(brokers, topic, SALES);
  expect(new Set(events.map((e) => e.vente_id)).size).toBe(SALES);

  // Bronze holds every event, then an on-demand silver run aggregates them.
  await waitFor('bronze to hold every sale', async () => {
    const f = (await gateway.get('/analytics/freshness')).body as { bronze?: { num_records?: number } };
    return f.bronze?.num_records === SALES ? f : undefined;
  });
  const run = await fetch(`${silver.url}/silver/run`, { method: 'POST', headers: bearer('operator') });
  expect(run.status).toBeLessThan(300);

  // Per country.
  const byCountry = groupBy(events, (e) => e.pays);
  const countries = await waitFor('silver in the gateway', async () => {
    const r = await gateway.get('/analytics/revenue-by-country');
    const body = r.body as { countries?: Array<Record<string, number | string>> };
    return r.status === 200 && body.countries?.length === byCountry.size ? body.countries : undefined;
  });
  for (const c of countries) {
    const sales = byCountry.get(c.pays as string)!;
    expect(cents(c.revenue_total as number)).toBe(sales.reduce((n, e) => n + cents(e.montant), 0));
    expect(c.total_transactions).toBe(sales.length);
    expect(c.items_sold).toBe(sales.reduce((n, e) => n + e.quantite, 0));
    expect(c.unique_customers).toBe(new Set(sales.map((e) => e.client_id)).size);
  }

  // Per segment.
  const segments = ((await gateway.get('/analytics/segments')).body as { segments: Array<Record<string, number | string>> }).segments;
  const bySegment = groupBy(events, (e) => e.segment);
  expect(segments).toHaveLength(bySegment.size);
  for (const s of segments) {
    const sales = bySegment.get(s.segment as string)!;
    expect(cents(s.revenue_total as number)).toBe(sales.reduce((n, e) => n + cents(e.montant), 0));
    expect(s.total_transactions).toBe(sales.length);
    expect(s.unique_customers).toBe(new Set(sales.map((e) => e.client_id)).size);
    expect(s.countries_count).toBe(new Set(sales.map((e) => e.pays)).size);
  }

  // Top customers, and one customer's detail.
  const byClient = groupBy(events, (e) => e.client_id);
  const top = ((await gateway.get('/analytics/top-customers?limit=100')).body as { customers: Array<Record<string, number | string>> }).customers;
  expect(top).toHaveLength(byClient.size);
  for (const c of top) {
    const sales = byClient.get(c.client_id as number)!;
    expect(cents(c.total_depense as number)).toBe(sales.reduce((n, e) => n + cents(e.montant), 0));
    expect(c.nb_achats).toBe(sales.length);
    expect(c.total_quantite).toBe(sales.reduce((n, e) => n + e.quantite, 0));
  }
  const totals = top.map((c) => c.total_depense as number);
  expect(totals).toEqual([...totals].sort((a, b) => b - a));
  const first = top[0];
  const detail = (await gateway.get(`/analytics/customers/${first.client_id}`)).body as { client_nom: string; totals: { nb_achats: number } };
  expect(detail.client_nom).toBe(byClient.get(first.client_id as number)![0].client_nom);
  expect(detail.totals.nb_achats).toBe(first.nb_achats);

  // Revenue trend over the days the events fall in (UTC).
  const trends = ((await gateway.get('/analytics/revenue-trends?granularity=day')).body as { periods: Array<{ period: string; revenue_total: number; total_transactions: number }> }).periods;
  const byDay = groupBy(events, (e) => e.timestamp.slice(0, 10));
  expect(trends.map((p) => p.period).sort()).toEqual([...byDay.keys()].sort());
  for (const p of trends) expect(p.total_transactions).toBe(byDay.get(p.period)!.length);
});
