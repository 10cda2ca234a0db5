/**
 * The silver-scheduler app over real Delta tables (no broker: bronze is written directly):
 * a failing day (liveness up, readiness and metrics tell, retried with backoff, the other days
 * refreshed), bronze-follow, duplicates and conflicts, and maintenance on demand.
 */
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { authOptions } from '@app/common';
import { RunReport } from '@app/silver';
import { CLIENT_AGGREGATES_TABLE } from '@app/schemas';
import { loadSilverConfig } from '../../apps/silver-scheduler/src/config';
import { SilverModule } from '../../apps/silver-scheduler/src/silver.module';
import { appendSales, bronzeRow, createBronze, readSilver, tempLakehouse } from '../../libs/silver/test/bronze-fixtures';

const DAY1 = '2024-12-10';
const DAY2 = '2024-12-11';

async function startApp(root: string, env: Record<string, string> = {}): Promise<INestApplication> {
  // Auth is not the subject here (silver-scheduler.e2e-spec.ts checks the keys).
  const config = loadSilverConfig({ LAKEHOUSE_ROOT: root, LOG_LEVEL: 'error', AUTH_DISABLED: 'true', ...env });
  const moduleRef = await Test.createTestingModule({ imports: [SilverModule.forRoot(config, authOptions(config, { log() {}, error() {}, warn() {} }))] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runs(app: INestApplication): Promise<RunReport[]> {
  return (await request(app.getHttpServer()).get('/silver/runs?limit=100').expect(200)).body.runs;
}

describe('silver-scheduler lifecycle (e2e)', () => {
  jest.setTimeout(90_000);
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('isolates a failing day: the others are refreshed, /health stays up, readiness and metrics tell, and the run is retried with backoff', async () => {
    const root = tempLakehouse('silver-e2e-');
    const bronze = await createBronze(root);
    // 1e300 EUR: its cents overflow (a bronze row written before the contract bounded montant).
    await appendSales(bronze, [
      { vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 10 },
      { vente_id: 2, client_id: 2, produit_id: 101, jour: DAY2, montant: 1e300 },
    ]);
    app = await startApp(root, { SILVER_RETRY_MIN_DELAY: '200ms', SILVER_RETRY_MAX_DELAY: '400ms' });
    const http = app.getHttpServer();

    const first = await until('the start-up run', async () => (await runs(app!)).find((r) => r.runId === 1 && r.status !== 'running'));
    expect(first).toMatchObject({ trigger: 'startup', status: 'failed', errorClass: 'SilverDaysFailedError', daysRecomputed: [DAY1] });
    expect(first.failedDays).toEqual([{ day: DAY2, errorClass: 'Conversion Error', error: expect.stringMatching(/out of range/) }]);
    expect(first.error).not.toMatch(/SELECT/);
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id'])).map((r) => [r.jour, r.total_depense])).toEqual([[DAY1, 10]]);

    await request(http).get('/health').expect(200);
    const notReady = await request(http).get('/health/ready').expect(503);
    expect(notReady.body).toMatchObject({ ready: false, reason: expect.stringMatching(/failed \(SilverDaysFailedError\)/), lastRun: { failedDays: [{ day: DAY2 }] } });

    // Retried with backoff, without any trigger.
    const retries = await until('two retries', async () => {
      const r = (await runs(app!)).filter((x) => x.trigger === 'retry' && x.status !== 'running');
      return r.length >= 2 ? r : undefined;
    });
    expect(retries.every((r) => r.status === 'failed')).toBe(true);
    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/silver_run_failures_total\{error_class="SilverDaysFailedError"\} [3-9]/);
    expect(metrics).toContain('silver_last_run_failed 1');
    expect(metrics).toContain('silver_failed_days 1');
    expect(metrics).toContain('silver_ready 0');
    expect(metrics).toMatch(/silver_consecutive_failures [3-9]/);

    // Fixed upstream (the day replaced with a sane amount): the next retry succeeds and readiness is back.
    await bronze.overwrite({ rows: [bronzeRow({ vente_id: 2, client_id: 2, produit_id: 101, jour: DAY2, montant: 20 })] }, { partitions: [{ jour: DAY2 }] });
    await until('readiness', async () => ((await request(http).get('/health/ready')).status === 200 ? true : undefined));
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id'])).map((r) => [r.jour, r.total_depense])).toEqual([
      [DAY1, 10],
      [DAY2, 20],
    ]);
  });

  it('follows bronze: a new commit starts a run within the poll interval', async () => {
    const root = tempLakehouse('silver-e2e-');
    const bronze = await createBronze(root);
    await appendSales(bronze, [{ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 10 }]);
    app = await startApp(root, { SILVER_BRONZE_POLL_INTERVAL: '200ms' });
    await until('the start-up run', async () => (await runs(app!)).find((r) => r.runId === 1 && r.status === 'succeeded'));

    await appendSales(bronze, [{ vente_id: 2, client_id: 1, produit_id: 102, jour: DAY1, montant: 5 }]);
    const followed = await until('a bronze-triggered run', async () => (await runs(app!)).find((r) => r.trigger === 'bronze' && r.status === 'succeeded'));
    expect(followed).toMatchObject({ mode: 'incremental', daysRecomputed: [DAY1] });
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id']))[0]).toMatchObject({ total_depense: 15, nb_achats: 2n });
    // No new commit: no further run.
    const count = (await runs(app)).length;
    await new Promise((r) => setTimeout(r, 700));
    expect((await runs(app)).length).toBe(count);
  });

  it('counts a re-sent sale once and lists a conflicting one at /silver/conflicts', async () => {
    const root = tempLakehouse('silver-e2e-');
    const bronze = await createBronze(root);
    await appendSales(bronze, [{ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 10 }]);
    const original = bronzeRow({ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY1, montant: 10 });
    await bronze.append({
      rows: [
        { ...original, kafka_offset: 100, date_ingestion: '2024-12-12T00:00:00Z' },
        { ...bronzeRow({ vente_id: 1, client_id: 1, produit_id: 101, jour: DAY2, montant: 99 }), kafka_offset: 101, date_ingestion: '2024-12-12T00:00:01Z' },
      ],
    });
    app = await startApp(root);
    const http = app.getHttpServer();
    const run = (await request(http).post('/silver/run').expect(200)).body as RunReport;
    expect(run.duplicates).toMatchObject({ dropped: 2, conflicts: 1 });
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id'])).map((r) => [r.jour, r.total_depense])).toEqual([[DAY1, 10]]);
    const conflicts = await request(http).get('/silver/conflicts').expect(200);
    expect(conflicts.body.conflicts).toHaveLength(1);
    expect(conflicts.body.conflicts[0]).toMatchObject({ vente_id: 1 });
    expect(conflicts.body.conflicts[0].occurrences.map((o: { jour: string; is_first: boolean; kafka_offset: number }) => [o.jour, o.kafka_offset, o.is_first])).toEqual([
      [DAY1, 1, true],
      [DAY1, 100, false],
      [DAY2, 101, false],
    ]);
    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metrics).toContain('silver_duplicates_dropped_total 2');
    expect(metrics).toContain('silver_conflicts_total 1');
  });

  it('runs maintenance on demand and reports it at /maintenance/runs and in /metrics', async () => {
    const root = tempLakehouse('silver-e2e-');
    const bronze = await createBronze(root);
    // A day far past the 90-day retention, and today.
    const today = new Date().toISOString().slice(0, 10);
    await appendSales(bronze, [
      { vente_id: 1, client_id: 1, produit_id: 101, jour: '2020-01-01', montant: 10 },
      { vente_id: 2, client_id: 1, produit_id: 101, jour: today, montant: 20 },
    ]);
    app = await startApp(root);
    const http = app.getHttpServer();
    const report = await request(http).post('/maintenance/run').expect(200);
    expect(report.body).toMatchObject({ runId: 1, trigger: 'manual', status: 'succeeded' });
    expect(report.body.tables.find((t: { table: string }) => t.table === 'bronze/ventes_stream')).toMatchObject({ expiredDays: ['2020-01-01'] });
    const listed = await request(http).get('/maintenance/runs').expect(200);
    expect(listed.body.runs.map((r: { runId: number }) => r.runId)).toEqual([1]);
    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metrics).toContain('maintenance_runs_total{status="succeeded"} 1');
    expect(metrics).toContain('maintenance_expired_partitions_total{table="bronze/ventes_stream"} 1');
    // Silver, run after (never during) maintenance, no longer has the expired day.
    await request(http).post('/silver/run').expect(200);
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour', 'client_id'])).map((r) => r.jour)).toEqual([today]);
  });
});
