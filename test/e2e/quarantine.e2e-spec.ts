/**
 * Quarantine you can work with, on the real broker and real Delta tables: late sales are browsed
 * through the ingestor's HTTP endpoint, replayed once (twice asked), and a CLI replay killed with
 * kill -9 midway then run again lands each row exactly once, with its Kafka coordinates.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, SalesEvent, tableLocation } from '@app/schemas';
import { SilverJob } from '@app/silver';
import { ensureBroker } from '../support/kafka-broker';
import { bearer, KEYS } from '../support/api-keys';
import { AppProcess, waitFor } from '../support/app-process';
import { startIngestor } from '../support/ingestor';
import { bronzeIdCounts, createTopic, expectExactlyOnce, makeSales, publish, readTable } from '../support/sales';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '../..');
let brokers: string;
const running: AppProcess[] = [];

const lakehouse = (): string => mkdtempSync(path.join(os.tmpdir(), 'lakehouse-quarantine-'));
const uniq = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** On-time sales, then sales an hour older on the same partition: those are late, quarantined. */
async function lateSales(root: string, topic: string, onTime: number, late: number, env: Record<string, string> = {}): Promise<{ app: AppProcess; onTimeSales: SalesEvent[]; lateSales: SalesEvent[] }> {
  await createTopic(brokers, topic, 1);
  const onTimeSales = makeSales(onTime);
  const lateSales = makeSales(late, new Date(Date.now() - 3_600_000));
  await publish(brokers, topic, [...onTimeSales, ...lateSales], 0);
  const app = await startIngestor({ brokers, root, topic, running, env: { KAFKA_TOPIC_PARTITIONS: '1', ...env } });
  await waitFor('every sale classified', async () => {
    const page = (await app.get('/quarantine?reason=late_event&limit=1', bearer('operator'))).body as { total: number };
    const bronze = await bronzeIdCounts(root);
    return page.total === late && bronze.size === onTime ? true : undefined;
  }, 300_000, 500);
  return { app, onTimeSales, lateSales };
}

/** A JSON POST, with the API key of `role` (none: anonymous). */
async function post(app: AppProcess, pathname: string, body: unknown, role?: keyof typeof KEYS): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const res = await fetch(app.url + pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(role ? bearer(role) : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

/** `npm run quarantine -- <args>` as its node process (so that kill -9 reaches it, not npm). */
function cli(root: string, args: string[]): { proc: ChildProcess; stdout: string[]; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(ROOT, 'scripts', 'lakehouse.ts'), 'quarantine', ...args], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), LAKEHOUSE_ROOT: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => stdout.push(d.toString()));
  return { proc, stdout, exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))) };
}

beforeAll(async () => {
  brokers = await ensureBroker();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGKILL')));
});

it('late sales: browsed over HTTP, replayed once by an operator (a second replay lands nothing), with their Kafka coordinates', async () => {
  const root = lakehouse();
  const topic = uniq('replay-http');
  const { app, onTimeSales, lateSales: late } = await lateSales(root, topic, 100, 30);
  const operator = (pathname: string) => app.get(pathname, bearer('operator'));

  // Quarantined rows are raw payloads: browsing them is for operators too.
  expect(await app.get('/quarantine?limit=1')).toMatchObject({ status: 401, body: { statusCode: 401, message: expect.stringMatching(/an API key is required/) } });
  expect(await app.get('/quarantine?limit=1', bearer('analyst'))).toMatchObject({ status: 403, body: { statusCode: 403, message: 'this API key lacks the operator role' } });
  const page = (await operator('/quarantine?reason=late_event&partition=0&limit=10&offset=20')).body as { total: number; countsByReason: Record<string, number>; rows: Array<Record<string, unknown>> };
  expect(page.countsByReason).toEqual({ late_event: 30 });
  expect(page.rows.map((r) => r.kafka_offset)).toEqual(Array.from({ length: 10 }, (_, i) => 120 + i));
  expect((await operator('/quarantine?limit=0')).body).toMatchObject({ statusCode: 400, parameter: 'limit' });
  expect((await operator('/quarantine?reason=late')).body).toMatchObject({ statusCode: 400, parameter: 'reason' });
  expect((await operator('/quarantine?from=yesterday')).body).toMatchObject({ statusCode: 400, parameter: 'from' });

  // 401 without a key, 403 with an analyst's, both as JSON; nothing replayed by either.
  const anonymous = await post(app, '/quarantine/replay', { reason: 'late_event', skipWatermark: true });
  expect(anonymous).toMatchObject({ status: 401, contentType: expect.stringMatching(/application\/json/), body: { statusCode: 401, message: expect.stringMatching(/an API key is required/) } });
  const analyst = await post(app, '/quarantine/replay', { reason: 'late_event', skipWatermark: true }, 'analyst');
  expect(analyst).toMatchObject({ status: 403, contentType: expect.stringMatching(/application\/json/), body: { statusCode: 403, message: 'this API key lacks the operator role' } });
  expect((await post(app, '/quarantine/replay', { reason: 'late_event', skipWatermark: 'yes' }, 'operator')).body).toMatchObject({ statusCode: 400, parameter: 'skipWatermark' });
  // Without skipping the watermark, they are late still.
  expect((await post(app, '/quarantine/replay', { reason: 'late_event' }, 'operator')).body).toMatchObject({ replayed: 0, refused: { late_event: 30 } });

  const first = await post(app, '/quarantine/replay', { reason: 'late_event', skipWatermark: true }, 'operator');
  expect(first).toMatchObject({ status: 200, body: { selected: 30, replayed: 30, alreadyInBronze: 0 } });
  const again = await post(app, '/quarantine/replay', { reason: 'late_event', skipWatermark: true }, 'operator');
  expect(again.body).toMatchObject({ replayed: 0, alreadyInBronze: 30 });

  expectExactlyOnce(await bronzeIdCounts(root), [...onTimeSales, ...late]);
  const replayed = (await readTable(root, 'bronze')).filter((r) => late.some((s) => String(s.vente_id) === String(r.vente_id)));
  expect(replayed.map((r) => Number(r.kafka_offset)).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
  const [commit] = await (await DeltaTable.open(tableLocation(root, BRONZE_TABLE))).history(10).then((h) => h.filter((c) => c.operation === 'QUARANTINE REPLAY'));
  expect(commit.operationParameters).toMatchObject({ replayId: (first.body as { replayId: string }).replayId, selection: '{"reasons":["late_event"]}', skipWatermark: 'true' });

  // The ingestor goes on beside the replays: new sales land once.
  const more = makeSales(20);
  await publish(brokers, topic, more, 0);
  const counts = await waitFor('the new sales', async () => {
    const c = await bronzeIdCounts(root);
    return c.size >= 150 ? c : undefined;
  }, 300_000, 500);
  expectExactlyOnce(counts, [...onTimeSales, ...late, ...more]);
});

it('a CLI replay killed with kill -9 midway, then run again, lands each row exactly once', async () => {
  const root = lakehouse();
  const { app, onTimeSales, lateSales: late } = await lateSales(root, uniq('replay-kill'), 200, 2000);
  // Without a key the ingestor refuses replays over HTTP; the CLI, run where the tables are, needs none.
  expect((await post(app, '/quarantine/replay', { reason: 'late_event' })).status).toBe(401);

  const listed = cli(root, ['list', '--reason', 'late_event', '--limit', '1']);
  expect(await listed.exited).toBe(0);
  expect(JSON.parse(listed.stdout.join(''))).toMatchObject({ total: 2000, countsByReason: { late_event: 2000 } });

  const args = ['replay', '--reason', 'late_event', '--skipWatermark', '--chunkRows', '20'];
  const killed = cli(root, args);
  await waitFor('a first chunk committed', async () => (killed.stdout.join('').includes('"committed"') ? true : undefined), 300_000, 20);
  killed.proc.kill('SIGKILL');
  await killed.exited;
  const afterKill = [...(await bronzeIdCounts(root)).values()].reduce((a, b) => a + b, 0);
  expect(afterKill).toBeGreaterThan(200);
  expect(afterKill).toBeLessThan(2200); // killed midway

  const rerun = cli(root, args);
  expect(await rerun.exited).toBe(0);
  const out = rerun.stdout.join('');
  const report = JSON.parse(out.slice(out.indexOf('{\n')));
  expect(report).toMatchObject({ selected: 2000, replayed: 2200 - afterKill, alreadyInBronze: afterKill - 200 });
  expectExactlyOnce(await bronzeIdCounts(root), [...onTimeSales, ...late]);

  // Silver's next run counts every sale once, the replayed late ones included.
  const silver = new SilverJob({ lakehouseRoot: root });
  try {
    expect(await silver.run('e2e')).toMatchObject({ status: 'succeeded' });
  } finally {
    await silver.close();
  }
  const clientDays = await (await DeltaTable.open(tableLocation(root, CLIENT_AGGREGATES_TABLE))).readRows();
  const all = [...onTimeSales, ...late];
  expect(clientDays.reduce((n, r) => n + Number(r.nb_achats), 0)).toBe(all.length);
  const cents = (rows: number[]) => rows.reduce((c, m) => c + Math.round(m * 100), 0);
  expect(cents(clientDays.map((r) => Number(r.total_depense)))).toBe(cents(all.map((s) => s.montant)));
});
