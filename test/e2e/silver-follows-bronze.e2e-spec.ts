/**
 * A newcomer's first minute (issue 13 §4): the four apps as `npm run stack` starts them, with
 * their default settings (one sale every 2 s, hourly SILVER_CRON), on the real broker. Silver
 * follows bronze, so the gateway answers with the first sale within a minute of it, without
 * anyone calling POST /silver/run.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ensureBroker } from '../support/kafka-broker';
import { bearer } from '../support/api-keys';
import { startedApps, waitFor } from '../support/app-process';

jest.setTimeout(180_000);

const start = startedApps();

it('the gateway answers within a minute of the first sale, with default settings', async () => {
  const brokers = await ensureBroker();
  const root = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-first-minute-'));
  const topic = `first-minute-${randomUUID().slice(0, 8)}`;
  const common = { KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, LAKEHOUSE_ROOT: root };

  // Consumers first, so the clock starts at the first sale, not at the apps' start-up.
  await start('bronze-ingestor', { ...common, KAFKA_GROUP_ID: `${topic}-bronze` });
  const silver = await start('silver-scheduler', { LAKEHOUSE_ROOT: root });
  const gateway = await start('analytics-gateway', { LAKEHOUSE_ROOT: root });
  const producer = await start('producer', common);

  await waitFor('the first sale acknowledged', async () => (((await producer.get('/producer/stats')).body as { acked: number }).acked >= 1 ? true : undefined), 60_000, 100);
  const firstSaleAt = Date.now();

  const answer = await waitFor(
    'the gateway to answer with silver numbers',
    async () => {
      const r = await gateway.get('/analytics/revenue-by-country', bearer('analyst'));
      const countries = (r.body as { countries?: Array<{ total_transactions: number }> }).countries;
      return r.status === 200 && countries && countries.length > 0 ? countries : undefined;
    },
    60_000,
    250,
  );
  const elapsedMs = Date.now() - firstSaleAt;
  expect(elapsedMs).toBeLessThan(60_000);
  expect(answer.reduce((n, c) => n + c.total_transactions, 0)).toBeGreaterThanOrEqual(1);
  // Silver ran because bronze changed: nobody called POST /silver/run, and the cron is hourly.
  const runs = ((await silver.get('/silver/runs')).body as { runs: Array<{ trigger: string; status: string }> }).runs;
  expect(runs.some((r) => r.trigger === 'bronze' && r.status === 'succeeded')).toBe(true);
});
