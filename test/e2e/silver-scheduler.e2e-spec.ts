/**
 * The silver-scheduler app over real Delta tables in a temp folder (no broker: bronze is written
 * directly): start-up run, on-demand runs, run history, health, metrics and graceful shutdown.
 */
import { INestApplication } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { rmSync } from 'node:fs';
import request from 'supertest';
import { authOptions } from '@app/common';
import { RunReport } from '@app/silver';
import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE } from '@app/schemas';
import { loadSilverConfig } from '../../apps/silver-scheduler/src/config';
import { SilverModule } from '../../apps/silver-scheduler/src/silver.module';
import { SILVER_CRON_JOB, SilverSchedulerService } from '../../apps/silver-scheduler/src/silver-scheduler.service';
import { bearer, writeTestKeysFile } from '../support/api-keys';
import { appendSales, createBronze, readSilver, Sale, tempLakehouse } from '../../libs/silver/test/bronze-fixtures';

const DAY1 = '2024-12-10';
const DAY2 = '2024-12-11';
const SALES: Sale[] = [
  { vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 899.99 },
  { vente_id: 2, client_id: 1, produit_id: 105, jour: DAY1, montant: 159.98, quantite: 2 },
  { vente_id: 3, client_id: 2, produit_id: 104, jour: DAY1, montant: 189.9 },
  { vente_id: 4, client_id: 3, produit_id: 102, jour: DAY2, montant: 599.99 },
  { vente_id: 5, client_id: 4, produit_id: 103, jour: DAY2, montant: 0.1 },
  { vente_id: 6, client_id: 4, produit_id: 103, jour: DAY2, montant: 0.2 },
];

const keys = writeTestKeysFile();
afterAll(() => rmSync(keys.dir, { recursive: true, force: true }));

/** The app as main.ts builds it, with the test API keys. */
async function startApp(root: string, env: Record<string, string> = {}): Promise<INestApplication> {
  const config = loadSilverConfig({ LAKEHOUSE_ROOT: root, LOG_LEVEL: 'error', API_KEYS_FILE: keys.file, ...env });
  const moduleRef = await Test.createTestingModule({ imports: [SilverModule.forRoot(config, authOptions(config))] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/** The start-up run is not awaited by bootstrap (so /health answers during it): wait for it here. */
async function startupRun(app: INestApplication): Promise<RunReport> {
  for (;;) {
    const res = await request(app.getHttpServer()).get('/silver/runs').expect(200);
    const first = res.body.runs[0] as RunReport | undefined;
    if (first && first.status !== 'running') return first;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('silver-scheduler (e2e)', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('runs at start-up, then on demand, incrementally, and reports its runs', async () => {
    const root = tempLakehouse('silver-e2e-');
    const bronze = await createBronze(root);
    await appendSales(bronze, SALES);
    app = await startApp(root);
    const http = app.getHttpServer();

    const startup = await startupRun(app);
    expect(startup).toMatchObject({
      runId: 1,
      trigger: 'startup',
      status: 'succeeded',
      mode: 'full',
      bronzeVersion: 1,
      daysRecomputed: [DAY1, DAY2],
      rowsWritten: { ventes_aggreges: 4, ventes_par_pays: 3, ventes_par_segment: 2 },
    });

    // A late sale for day 1: the on-demand run recomputes that day only.
    await appendSales(bronze, [{ vente_id: 7, client_id: 2, produit_id: 105, jour: DAY1, montant: 79.99 }]);
    const late = await request(http).post('/silver/run').set(bearer('operator')).expect(200);
    expect(late.body).toMatchObject({
      runId: 2,
      trigger: 'manual',
      status: 'succeeded',
      mode: 'incremental',
      bronzeVersion: 2,
      previousBronzeVersion: 1,
      daysRecomputed: [DAY1],
      rowsWritten: { ventes_aggreges: 2, ventes_par_pays: 3, ventes_par_segment: 2 },
      silverVersions: { ventes_aggreges: 2, ventes_par_pays: 2, ventes_par_segment: 2 },
    });
    expect(late.body.durationMs).toEqual(expect.any(Number));
    const marie = (await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id'])).find((r) => r.client_id === 2);
    expect(marie).toMatchObject({ jour: DAY1, total_depense: 269.89, nb_achats: 2n, panier_moyen: 134.95, segment_depense: 'Standard' });
    const belgique = (await readSilver(root, COUNTRY_AGGREGATES_TABLE, ['pays'])).find((r) => r.pays === 'Belgique');
    expect(belgique).toMatchObject({ total_transactions: 2n, revenue_total: 269.89, unique_customers: 1n });

    const again = await request(http).post('/silver/run').set(bearer('operator')).expect(200);
    expect(again.body).toMatchObject({ runId: 3, mode: 'up-to-date', rowsWritten: {}, silverVersions: late.body.silverVersions });

    const runs = await request(http).get('/silver/runs').expect(200);
    expect(runs.body.running).toBe(false);
    expect(runs.body.runs.map((r: RunReport) => [r.runId, r.trigger, r.mode])).toEqual([
      [1, 'startup', 'full'],
      [2, 'manual', 'incremental'],
      [3, 'manual', 'up-to-date'],
    ]);
    const limited = await request(http).get('/silver/runs?limit=1').expect(200);
    expect(limited.body.runs.map((r: RunReport) => r.runId)).toEqual([3]);
  });

  it('joins concurrent requests into one run', async () => {
    const root = tempLakehouse('silver-e2e-');
    await appendSales(await createBronze(root), SALES);
    app = await startApp(root);
    await startupRun(app);
    const http = app.getHttpServer();
    const [a, b] = await Promise.all([request(http).post('/silver/run').set(bearer('operator')).expect(200), request(http).post('/silver/run').set(bearer('operator')).expect(200)]);
    expect(b.body.runId).toBe(a.body.runId);
  });

  it('runs silver and maintenance for operator keys only, refusing others with JSON 401 and 403', async () => {
    const root = tempLakehouse('silver-e2e-');
    await appendSales(await createBronze(root), SALES);
    app = await startApp(root);
    await startupRun(app);
    const http = app.getHttpServer();
    for (const route of ['/silver/run', '/maintenance/run']) {
      const anonymous = await request(http).post(route).expect(401);
      expect(anonymous.headers['content-type']).toMatch(/application\/json/);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      expect(anonymous.body).toMatchObject({ statusCode: 401, message: expect.stringMatching(/an API key is required/) });
      expect((await request(http).post(route).set('Authorization', 'Bearer not-a-key').expect(401)).body).toMatchObject({ message: 'the API key is not valid' });
      const analyst = await request(http).post(route).set(bearer('analyst')).expect(403);
      expect(analyst.headers['content-type']).toMatch(/application\/json/);
      expect(analyst.body).toMatchObject({ statusCode: 403, message: 'this API key lacks the operator role' });
      await request(http).post(route).set(bearer('operator')).expect(200);
    }
    // Reading the run history and scraping metrics (METRICS_ACCESS=open) need no key.
    await request(http).get('/silver/runs').expect(200);
    await request(http).get('/metrics').expect(200);
  });

  it('serves /health and /metrics', async () => {
    const root = tempLakehouse('silver-e2e-');
    await appendSales(await createBronze(root), SALES);
    app = await startApp(root);
    await startupRun(app);
    const http = app.getHttpServer();

    // Liveness says the process serves; readiness says silver is up to date.
    const health = await request(http).get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', info: { 'silver-scheduler': { status: 'up', running: false } } });
    const ready = await request(http).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ ready: true, consecutiveFailures: 0, lastRun: { runId: 1, status: 'succeeded', mode: 'full' } });

    const metrics = await request(http).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.text).toContain('silver_runs_total{status="succeeded",mode="full"} 1');
    expect(metrics.text).toContain('silver_rows_written_total{table="ventes_aggreges"} 4');
    expect(metrics.text).toContain('silver_bronze_rows_read_total 6');
    expect(metrics.text).toMatch(/silver_run_duration_seconds_count\{mode="full"\} 1/);
    expect(metrics.text).toContain('silver_bronze_version 1');
    expect(metrics.text).toContain('silver_ready 1');
    expect(metrics.text).toContain('silver_last_run_failed 0');
  });

  it('reports "no bronze table" and stays healthy before bronze exists', async () => {
    app = await startApp(tempLakehouse('silver-e2e-'));
    expect(await startupRun(app)).toMatchObject({ status: 'succeeded', mode: 'no-bronze-table', reason: 'no bronze table' });
    await request(app.getHttpServer()).get('/health').expect(200);
  });

  it('waits for the run in progress on shutdown and removes its cron job', async () => {
    const root = tempLakehouse('silver-e2e-');
    await appendSales(await createBronze(root), SALES);
    app = await startApp(root);
    const service = app.get(SilverSchedulerService);
    const registry = app.get(SchedulerRegistry);
    const cron = registry.getCronJob(SILVER_CRON_JOB);
    expect(cron.isActive).toBe(true);
    const inProgress = service.job.run('manual');
    await app.close();
    app = undefined;
    // The start-up run was still going, so the manual request joined it; either way it completed before close returned.
    expect(service.job.running).toBeUndefined();
    expect((await inProgress).status).toBe('succeeded');
    expect(cron.isActive).toBe(false);
    await expect(service.job.run('late')).rejects.toThrow(/shutting down/);
  });
});
