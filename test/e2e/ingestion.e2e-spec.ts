/**
 * Producer -> Kafka -> bronze on the real broker and real Delta tables: exactly-once through
 * crashes, rebalances and broker restarts, and quarantine of everything that cannot land.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PRODUCER_LAYOUT_NAMES, serializeSale } from '@app/ingest';
import { BRONZE_TABLE, QUARANTINE_TABLE, tableLocation } from '@app/schemas';
import { ensureBroker, startBroker, stopBroker } from '../support/kafka-broker';
import { AppProcess, waitFor } from '../support/app-process';
import { startIngestor } from '../support/ingestor';
import { bronzeIdCounts, createTopic, expectExactlyOnce, makeSales, publish, readTable, waitForBronzeRows } from '../support/sales';

jest.setTimeout(240_000);

let brokers: string;
const running: AppProcess[] = [];

function lakehouse(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lakehouse-e2e-'));
}

function uniq(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

const ingestor = (root: string, topic: string, env: Record<string, string> = {}): Promise<AppProcess> => startIngestor({ brokers, root, topic, running, env });

beforeAll(async () => {
  brokers = await ensureBroker();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGKILL')));
});

it('producer app -> bronze: every acknowledged sale lands exactly once', async () => {
  const root = lakehouse();
  const topic = uniq('p2b');
  const ingest = await ingestor(root, topic);
  const producer = await AppProcess.start('producer', { KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, PRODUCER_RATE: '400', PRODUCER_TOTAL: '1000', PRODUCER_INSTANCE_ID: '7' });
  running.push(producer);
  await producer.waitHealthy();
  const stats = await waitFor('producer to finish', async () => {
    const s = (await producer.get('/producer/stats')).body as { acked: number; running: boolean; failed: number };
    return s.running === false ? s : undefined;
  });
  expect(stats).toMatchObject({ acked: 1000, failed: 0 });
  const counts = await waitForBronzeRows(root, 1000);
  expect(counts.size).toBe(1000);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);

  const progress = (await ingest.get('/progress')).body as { recentProgress: Array<{ numInputRows: number }>; lag: Record<string, number> };
  expect(progress.recentProgress.reduce((n, p) => n + p.numInputRows, 0)).toBe(1000);
  expect(Object.values(progress.lag).every((l) => l === 0)).toBe(true);
  const metrics = (await ingest.get('/metrics')).body as string;
  expect(metrics).toMatch(/^bronze_rows_total 1000$/m);
  // SIGTERM: Nest runs the shutdown hooks (flush, disconnect), then re-raises the signal.
  await producer.stop('SIGTERM');
  await ingest.stop('SIGTERM');
  expect(ingest.logs.join('')).toMatch(/ingestor stopped/);
});

it('kill -9 in the middle of a burst, then restart: every vente_id exactly once', async () => {
  const root = lakehouse();
  const topic = uniq('crash');
  await createTopic(brokers, topic, 3);
  const sales = makeSales(20_000);
  await publish(brokers, topic, sales);
  // Small commits make the burst take many of them; /progress tells cheaply how far it got.
  const first = await ingestor(root, topic, { FLUSH_MAX_ROWS: '500' });
  await waitFor('a partial bronze table', async () => {
    const { committedOffsets } = (await first.get('/progress')).body as { committedOffsets: Record<string, number> };
    const done = Object.values(committedOffsets).reduce((n, o) => n + o + 1, 0);
    return done >= 2000 ? done : undefined;
  }, 60_000, 20);
  await first.stop('SIGKILL');
  const partial = (await bronzeIdCounts(root)).size;
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(sales.length);

  await ingestor(root, topic, { FLUSH_MAX_ROWS: '500' });
  expectExactlyOnce(await waitForBronzeRows(root, sales.length), sales);
});

it('two ingestors on a 4-partition topic share it and land every vente_id exactly once', async () => {
  const root = lakehouse();
  const topic = uniq('scale');
  await createTopic(brokers, topic, 4);
  const [a, b] = await Promise.all([ingestor(root, topic, { FLUSH_MAX_ROWS: '1000' }), ingestor(root, topic, { FLUSH_MAX_ROWS: '1000' })]);
  const sales = makeSales(12_000);
  for (let i = 0; i < 4; i++) await publish(brokers, topic, sales.slice(i * 3000, (i + 1) * 3000));
  expectExactlyOnce(await waitForBronzeRows(root, sales.length), sales);
  const owned = async (app: AppProcess) => Object.keys(((await app.get('/progress')).body as { committedOffsets: object }).committedOffsets);
  const partitions = [...(await owned(a)), ...(await owned(b))].sort();
  expect(partitions).toEqual(['0', '1', '2', '3']);
});

it('the broker stops and restarts during ingestion: the ingestor recovers and nothing is lost', async () => {
  if (process.env.KAFKA_BROKERS) return; // an external cluster is not ours to restart
  const root = lakehouse();
  const topic = uniq('outage');
  await createTopic(brokers, topic, 3);
  const ingest = await ingestor(root, topic);
  const before = makeSales(3000);
  await publish(brokers, topic, before);
  await stopBroker();
  await new Promise((r) => setTimeout(r, 3000));
  await startBroker();
  const after = makeSales(3000);
  await publish(brokers, topic, after);
  expectExactlyOnce(await waitForBronzeRows(root, 6000), [...before, ...after]);
  await ingest.waitHealthy();
});

it('malformed, invalid and late messages go to quarantine with their reason; valid ones land in bronze', async () => {
  const root = lakehouse();
  const topic = uniq('quarantine');
  await createTopic(brokers, topic, 1);
  const now = new Date();
  const valid = makeSales(40, now);
  const invalid = makeSales(3, now).map((s, i) => (i === 0 ? { ...s, segment: 'Martien' } : i === 1 ? { ...s, montant: 'cher' } : { ...s, client_id: undefined }));
  const late = makeSales(4, new Date(now.getTime() - 60 * 60 * 1000));
  const messages: string[] = [
    ...valid.map((s) => JSON.stringify(s)),
    '{"vente_id": 1, oops',
    'not json at all',
    '[1,2,3]',
    ...invalid.map((s) => JSON.stringify(s)),
    ...late.map((s) => JSON.stringify(s)),
  ];
  await publish(brokers, topic, messages);
  await ingestor(root, topic, { WATERMARK_DELAY: '10m' });
  const quarantined = await waitFor('10 quarantined messages', async () => {
    const rows = await readTable(root, 'quarantine').catch(() => []);
    return rows.length >= 10 ? rows : undefined;
  });
  expect(quarantined).toHaveLength(10);
  const byReason = (reason: string) => quarantined.filter((r) => r.reason === reason);
  expect(byReason('malformed_json')).toHaveLength(2);
  expect(byReason('schema_violation')).toHaveLength(4); // the JSON array, and the 3 invalid events
  expect(byReason('late_event')).toHaveLength(4);
  expect(byReason('schema_violation').map((r) => r.error).join('\n')).toMatch(/segment: expected one of Particulier, Entreprise/);
  expect(byReason('malformed_json').map((r) => r.raw_payload)).toContain('not json at all');
  for (const r of quarantined) expect(r).toMatchObject({ kafka_topic: topic, kafka_partition: 0 });
  expectExactlyOnce(await waitForBronzeRows(root, valid.length), valid);
});

it.each([
  { PAYLOAD_DECODER: 'wasm', KAFKA_FETCH_DECODER: 'patched' },
  { PAYLOAD_DECODER: 'js', KAFKA_FETCH_DECODER: 'kafkajs' },
  { PAYLOAD_DECODER: 'reference', KAFKA_FETCH_DECODER: 'patched' },
])(
  'PAYLOAD_DECODER=$PAYLOAD_DECODER, KAFKA_FETCH_DECODER=$KAFKA_FETCH_DECODER: every producer layout lands once, the rest in quarantine, and the log names both decoders',
  async (decoders) => {
    const root = lakehouse();
    const topic = uniq('decoders');
    await createTopic(brokers, topic, 2);
    const valid = makeSales(80);
    const invalid = makeSales(2).map((s, i) => (i === 0 ? { ...s, segment: 'Martien' as never } : { ...s, montant: 12.345 }));
    await publish(brokers, topic, [
      ...valid.map((s, i) => serializeSale(s, PRODUCER_LAYOUT_NAMES[i % PRODUCER_LAYOUT_NAMES.length])),
      ...invalid.map((s) => serializeSale(s, 'python')),
      '{"vente_id": 1, oops',
    ]);
    const app = await ingestor(root, topic, decoders);
    expectExactlyOnce(await waitForBronzeRows(root, valid.length), valid);
    const quarantined = await waitFor('3 quarantined messages', async () => {
      const rows = await readTable(root, 'quarantine').catch(() => []);
      return rows.length >= 3 ? rows : undefined;
    });
    expect(quarantined.map((r) => r.reason).sort()).toEqual(['malformed_json', 'schema_violation', 'schema_violation']);
    const logs = app.logs.join('');
    expect(logs).toContain(`Kafka fetch decoder in use: ${decoders.KAFKA_FETCH_DECODER}`);
    const decoderLine = logs.split('\n').find((line) => line.includes('payload decoder in use'));
    expect(decoderLine).toContain(`"payloadDecoder":"${decoders.PAYLOAD_DECODER}"`);
  },
);

it('delta-rs reads bronze and quarantine with the contract schemas', async () => {
  const root = lakehouse();
  const topic = uniq('interop');
  await createTopic(brokers, topic, 2);
  const sales = makeSales(100);
  await publish(brokers, topic, [...sales.map((s) => JSON.stringify(s)), '{broken']);
  await ingestor(root, topic);
  await waitForBronzeRows(root, 100);
  await waitFor('quarantine row', async () => ((await readTable(root, 'quarantine').catch(() => [])).length ? true : undefined));
  for (const def of [BRONZE_TABLE, QUARANTINE_TABLE]) {
    const out = JSON.parse(
      execFileSync(process.env.PYTHON ?? 'python3', [path.resolve(__dirname, '../interop/py/read_table.py'), tableLocation(root, def.name === BRONZE_TABLE.name ? BRONZE_TABLE : QUARANTINE_TABLE), '--no-rows'], { encoding: 'utf8' }),
    ) as { schema: Array<{ name: string; type: string; nullable: boolean }>; numRows: number; metadata: { partitionColumns: string[] } };
    expect(out.schema.map(({ name, type, nullable }) => ({ name, type, nullable }))).toEqual(def.schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })));
    expect(out.metadata.partitionColumns).toEqual(['jour']);
    expect(out.numRows).toBe(def === BRONZE_TABLE ? 100 : 1);
  }
});
