/**
 * The platform with its tables on S3 (the SeaweedFS server of scripts/s3): producer -> Kafka ->
 * bronze -> silver -> gateway, every app a real process with LAKEHOUSE_ROOT=s3://bucket/prefix.
 * Bronze holds every sale exactly once; the gateway's totals are those of the produced sales.
 */
import { randomUUID } from 'node:crypto';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { s3Availability, startS3 } from '../../libs/delta/test/s3/s3-server';
import { bearer } from '../support/api-keys';
import { startedApps, waitFor } from '../support/app-process';
import { ensureBroker } from '../support/kafka-broker';

jest.setTimeout(240_000);

const SALES = 300;
const start = startedApps();

// As the Delta suites' S3 variants: skipped without an S3 server outside CI, an error in CI.
const s3Test = s3Availability().available || process.env.CI === 'true' ? it : it.skip;

s3Test('producer -> bronze -> silver -> gateway with LAKEHOUSE_ROOT on S3', async () => {
  const s3 = await startS3();
  const brokers = await ensureBroker();
  const root = s3.root('lakehouse');
  const topic = `pipeline-s3-${randomUUID().slice(0, 8)}`;
  const common = { ...s3.env, KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, LAKEHOUSE_ROOT: root };

  await start('bronze-ingestor', { ...common, KAFKA_GROUP_ID: `${topic}-bronze`, FLUSH_MAX_LATENCY: '200ms' });
  const producer = await start('producer', {
    ...common,
    PRODUCER_RATE: '300',
    PRODUCER_TOTAL: String(SALES),
    PRODUCER_CLIENTS: '12',
    PRODUCER_PRODUCTS: '8',
    PRODUCER_SEED: '11',
  });
  const silver = await start('silver-scheduler', { ...common, SILVER_CRON: '0 0 0 1 1 *' });
  const gateway = await start('analytics-gateway', { ...s3.env, LAKEHOUSE_ROOT: root });

  await waitFor('the producer to finish', async () => {
    const s = (await producer.get('/producer/stats')).body as { running: boolean; acked: number };
    return !s.running && s.acked === SALES ? true : undefined;
  });
  await waitFor('bronze (seen by the gateway) to hold every sale', async () => {
    const f = (await gateway.get('/analytics/freshness', bearer('analyst'))).body as { bronze?: { num_records?: number } };
    return f.bronze?.num_records === SALES ? f : undefined;
  });
  const bronze = await (await DeltaTable.open(tableLocation(root, BRONZE_TABLE))).readRows();
  expect(new Set(bronze.map((r) => String(r.vente_id))).size).toBe(SALES);
  expect(bronze).toHaveLength(SALES);

  const run = await fetch(`${silver.url}/silver/run`, { method: 'POST', headers: bearer('operator') });
  expect(run.status).toBeLessThan(300);
  const cents = (x: number) => Math.round(x * 100);
  const expected = bronze.reduce((n, r) => n + cents(r.montant as number), 0);
  const countries = await waitFor('silver in the gateway', async () => {
    const r = await gateway.get('/analytics/revenue-by-country', bearer('analyst'));
    const body = r.body as { countries?: Array<{ revenue_total: number; total_transactions: number }> };
    return r.status === 200 && body.countries?.reduce((n, c) => n + c.total_transactions, 0) === SALES ? body.countries : undefined;
  });
  expect(countries.reduce((n, c) => n + cents(c.revenue_total), 0)).toBe(expected);
});
