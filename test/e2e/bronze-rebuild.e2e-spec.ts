/**
 * Bronze lost entirely (docs/recovery.md): a fresh ingestor, with the same settings and consumer
 * group, rebuilds it from the earliest offset Kafka retains, exactly once, although the group's
 * Kafka offsets (committed for lag monitoring) point at the end of the topic; the quarantine,
 * kept, gets no second copy; and silver, recomputed in full, has the same rows as before.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DeltaTable, Row, TableNotFoundError } from '@app/delta';
import { BRONZE_TABLE, SILVER_TABLES, TableDefinition, tableLocation } from '@app/schemas';
import { SilverJob } from '@app/silver';
import { ensureBroker } from '../support/kafka-broker';
import { AppProcess, waitFor } from '../support/app-process';
import { bronzeIdCounts, createTopic, expectExactlyOnce, makeSales, publish, readTable } from '../support/sales';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');

const running: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGKILL')));
});

async function ingestor(env: Record<string, string>): Promise<AppProcess> {
  const app = await AppProcess.start('bronze-ingestor', env);
  running.push(app);
  await app.waitHealthy();
  return app;
}

async function rowsOf(root: string, def: TableDefinition): Promise<string[]> {
  const rows: Row[] = await (await DeltaTable.open(tableLocation(root, def))).readRows();
  return rows.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
}

/** `npm run lakehouse -- rebuild-bronze <args>` as its node process, with the ingestor's settings. */
function rebuildBronze(env: Record<string, string>, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(ROOT, 'scripts', 'lakehouse.ts'), 'rebuild-bronze', ...args],
      { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** The offsets the consumer group committed to Kafka, summed over the partitions. */
async function groupOffsets(brokers: string, groupId: string, topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'e2e-rebuild', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function silverRows(root: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const def of SILVER_TABLES) out[def.name] = await rowsOf(root, def);
  return out;
}

async function caughtUp(app: AppProcess, root: string, sales: number, quarantined: number): Promise<void> {
  await waitFor(
    `${sales} bronze rows, ${quarantined} quarantined and no lag`,
    async () => {
      const counts = await bronzeIdCounts(root);
      const bronze = [...counts.values()].reduce((a, b) => a + b, 0);
      const quarantine = (await readTable(root, 'quarantine').catch(() => [])).length;
      const { lag } = (await app.get('/progress')).body as { lag: Record<string, number> };
      return bronze >= sales && quarantine >= quarantined && Object.keys(lag).length === 3 && Object.values(lag).every((l) => l === 0) ? true : undefined;
    },
    180_000,
    500,
  );
}

it('a fresh ingestor rebuilds a lost bronze from Kafka exactly once, and silver recomputed in full gives the same rows', async () => {
  const brokers = await ensureBroker();
  const root = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-rebuild-'));
  const topic = `rebuild-${randomUUID().slice(0, 8)}`;
  await createTopic(brokers, topic, 3);
  const sales = makeSales(1500);
  const malformed = ['{"vente_id": 1,', 'not json', '{"vente_id": "x"}'];
  await publish(brokers, topic, [...sales.slice(0, 700), ...malformed, ...sales.slice(700)]);
  const env = { KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, LAKEHOUSE_ROOT: root, FLUSH_MAX_LATENCY: '200ms' };

  const first = await ingestor(env);
  await caughtUp(first, root, sales.length, malformed.length);
  expectExactlyOnce(await bronzeIdCounts(root), sales);
  const quarantineBefore = await readTable(root, 'quarantine');
  expect(quarantineBefore).toHaveLength(malformed.length);
  await new SilverJob({ lakehouseRoot: root }).run();
  const before = await silverRows(root);
  expect(before.ventes_aggreges.length).toBeGreaterThan(0);
  // The operator command refuses to delete bronze under a running ingestor.
  const refused = await rebuildBronze(env, ['--execute']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/has 1 member\(s\): stop every bronze-ingestor replica/);
  await first.stop('SIGTERM');
  // The group's Kafka offsets say "all read": a consumer that trusted them would rebuild nothing.
  expect(await groupOffsets(brokers, env.KAFKA_GROUP_ID, topic)).toBe(sales.length + malformed.length);

  // What a rebuild would get back: Kafka still has every message; bronze holds them all.
  const plan = await rebuildBronze(env, []);
  expect(plan.code).toBe(0);
  const report = JSON.parse(plan.stdout) as { complete: boolean; executed: boolean; consumerGroup: { members: number }; bronze: { rows: number }; partitions: Array<{ earliestRetained: number; end: number; bronzeOffset: number }> };
  expect(report).toMatchObject({ complete: true, executed: false, consumerGroup: { members: 0 }, bronze: { rows: sales.length } });
  expect(report.partitions.every((p) => p.earliestRetained === 0 && p.bronzeOffset === p.end - 1)).toBe(true);
  expect(report.partitions.reduce((n, p) => n + p.end, 0)).toBe(sales.length + malformed.length);

  // The disaster: bronze is gone, with the offsets its log held. Quarantine and silver stay.
  const deleted = await rebuildBronze(env, ['--execute']);
  expect(JSON.parse(deleted.stdout)).toMatchObject({ executed: true, filesDeleted: expect.any(Number) });
  await expect(DeltaTable.open(tableLocation(root, BRONZE_TABLE))).rejects.toThrow(TableNotFoundError);

  const fresh = await ingestor(env);
  await caughtUp(fresh, root, sales.length, malformed.length);
  // Let a few more flush intervals pass: a re-read past the end would show up as duplicates.
  await new Promise((r) => setTimeout(r, 1500));
  expectExactlyOnce(await bronzeIdCounts(root), sales);
  const bronze = await readTable(root, 'bronze');
  expect(Math.min(...bronze.map((r) => Number(r.kafka_offset)))).toBe(0);
  // Quarantine rows were committed with their own offsets: the replay skips them.
  expect(await readTable(root, 'quarantine')).toHaveLength(malformed.length);
  await fresh.stop('SIGTERM');

  const run = await new SilverJob({ lakehouseRoot: root }).run();
  expect(run).toMatchObject({ status: 'succeeded', mode: 'full' });
  expect(run.reason).toMatch(/bronze table is not the one/);
  expect(await silverRows(root)).toEqual(before);

  // Once Kafka's retention has removed messages, a rebuild would not get them back: refused unless accepted.
  const admin = new Kafka({ clientId: 'e2e-rebuild', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the partition leaders loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });
  } finally {
    await admin.disconnect();
  }
  const partial = await rebuildBronze(env, ['--execute']);
  expect(partial.code).toBe(2);
  expect(partial.stderr).toMatch(/Kafka no longer has 5 message\(s\) .* partition 0 from offset 5.*--acceptDataLoss/);
  expect((await DeltaTable.open(tableLocation(root, BRONZE_TABLE))).snapshot.numRecords()).toBe(sales.length);
});
