/**
 * Issue 14 on the real broker and real Delta tables: no single event poisons the pipeline. A
 * future-dated sale is quarantined without moving the watermark, a watermark poisoned by an
 * older ingestor heals on restart, and amounts silver could not aggregate, NaN-like values and
 * invalid UTF-8 are quarantined (the bytes kept), after which silver still runs.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DeltaTable, Row } from '@app/delta';
import { eventTimeAppId } from '@app/ingest';
import { BRONZE_TABLE, QUARANTINE_TABLE, SalesEvent, tableLocation } from '@app/schemas';
import { SilverJob } from '@app/silver';
import { ensureBroker } from '../support/kafka-broker';
import { AppProcess, waitFor } from '../support/app-process';
import { startIngestor } from '../support/ingestor';
import { createTopic, expectExactlyOnce, makeSales, publish, waitForBronzeRows } from '../support/sales';

jest.setTimeout(900_000);

let brokers: string;
const running: AppProcess[] = [];

const lakehouse = (): string => mkdtempSync(path.join(os.tmpdir(), 'lakehouse-bad-events-'));
const uniq = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const ingestor = (root: string, topic: string): Promise<AppProcess> => startIngestor({ brokers, root, topic, running, env: { KAFKA_TOPIC_PARTITIONS: '1' } });

async function quarantined(root: string, expected: number): Promise<Row[]> {
  return waitFor(`${expected} quarantine rows`, async () => {
    const rows = await DeltaTable.open(tableLocation(root, QUARANTINE_TABLE))
      .then((t) => t.readRows())
      .catch(() => []);
    return rows.length >= expected ? rows.sort((a, b) => Number(a.kafka_offset) - Number(b.kafka_offset)) : undefined;
  }, 300_000, 500);
}

async function waitForBronze(root: string, sales: SalesEvent[]): Promise<void> {
  expectExactlyOnce(await waitForBronzeRows(root, sales.length, 300_000), sales);
}

beforeAll(async () => {
  brokers = await ensureBroker();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGKILL')));
});

it('a sale dated two days ahead, then valid sales on the same partition: every valid sale lands, the future one is quarantined as future_event', async () => {
  const root = lakehouse();
  const topic = uniq('future');
  await createTopic(brokers, topic, 1);
  const [future, ...valid] = makeSales(301);
  const twoDaysAhead = { ...future, timestamp: new Date(Date.now() + 2 * 86_400_000).toISOString() };
  const year9999 = { ...valid[0], vente_id: future.vente_id + 1_000_000, timestamp: '9999-12-31T23:59:59Z' };
  await publish(brokers, topic, [valid[0], twoDaysAhead, ...valid.slice(1, 150), year9999, ...valid.slice(150)], 0);
  const app = await ingestor(root, topic);

  await waitForBronze(root, valid);
  const rows = await quarantined(root, 2);
  expect(rows.map((r) => [r.reason, r.raw_payload])).toEqual([
    ['future_event', JSON.stringify(twoDaysAhead)],
    ['future_event', JSON.stringify(year9999)],
  ]);
  expect(rows[0].error).toMatch(/is ahead of the ingestor's clock/);

  // The watermark followed the valid sales only, and the gauges and the warning tell it.
  const metrics = (await app.get('/metrics')).body as string;
  const maxEventTime = Number(/^bronze_max_event_time_seconds\{partition="0"\} (\S+)$/m.exec(metrics)![1]);
  expect(maxEventTime).toBeLessThanOrEqual(Date.now() / 1000);
  expect(metrics).toMatch(/^bronze_watermark_seconds\{partition="0"\} \S+$/m);
  expect(metrics).toMatch(/^bronze_quarantined_rows_total\{reason="future_event"\} 2$/m);
  const warnings = app.logs.join('').split('\n').filter((l) => l.includes('quarantine reason started firing'));
  expect(warnings).toHaveLength(1);
  expect(JSON.parse(warnings[0])).toMatchObject({ level: 'warn', message: { reason: 'future_event' } });
});

it('a bronze table whose stored watermark is ahead of the clock (written before the fix) heals on restart: new valid sales land', async () => {
  const root = lakehouse();
  const topic = uniq('healing');
  await createTopic(brokers, topic, 1);
  // What today's main leaves after a year-9999 sale: the partition's max event time in the log.
  const bronze = await DeltaTable.openOrCreate(tableLocation(root, BRONZE_TABLE), BRONZE_TABLE);
  await bronze.append({ rows: [] }, { txns: [{ appId: eventTimeAppId('bronze-ingestor', topic, 0), version: Date.UTC(9999, 0, 1) * 1000 }] });
  const sales = makeSales(200);
  await publish(brokers, topic, sales, 0);
  const app = await ingestor(root, topic);

  await waitForBronze(root, sales);
  const healed = app.logs.join('').split('\n').find((l) => l.includes('ahead of the clock: clamped'));
  expect(JSON.parse(healed!)).toMatchObject({ level: 'warn', message: { partition: 0, storedMaxEventTime: '9999-01-01T00:00:00.000000Z' } });
  await bronze.update();
  expect(bronze.txnVersion(eventTimeAppId('bronze-ingestor', topic, 0))!).toBeLessThanOrEqual(Date.now() * 1000);
});

it('1e300, 1e400, negative, NaN-like and invalid UTF-8 payloads are quarantined, the bytes kept, and the next silver run succeeds', async () => {
  const root = lakehouse();
  const topic = uniq('amounts');
  await createTopic(brokers, topic, 1);
  const sales = makeSales(50);
  const base = JSON.stringify(sales[0]);
  const withMontant = (raw: string) => base.replace(/"montant":[^,]*/, `"montant":${raw}`);
  const [before, after] = base.split(`"client_nom":${JSON.stringify(sales[0].client_nom)}`);
  const invalidPayload = Buffer.concat([Buffer.from(`${before}"client_nom":"Jean`), Buffer.from([0xff, 0xfe]), Buffer.from(`"${after}`)]);
  const bad: Array<[string | Buffer, string]> = [
    [withMontant('1e300'), 'schema_violation'],
    [withMontant('1e400'), 'schema_violation'],
    [withMontant('-12.5'), 'schema_violation'],
    [withMontant('NaN'), 'malformed_json'],
    [withMontant('"NaN"'), 'schema_violation'],
    [withMontant('Infinity'), 'malformed_json'],
    [base.replace(/"quantite":\d+/, '"quantite":1e9'), 'schema_violation'],
    [invalidPayload, 'malformed_json'],
  ];
  await publish(brokers, topic, [...bad.map(([v]) => v), ...sales.slice(1)], 0);
  await ingestor(root, topic);

  await waitForBronze(root, sales.slice(1));
  const rows = await quarantined(root, bad.length);
  expect(rows.map((r) => r.reason)).toEqual(bad.map(([, reason]) => reason));
  expect(rows[0].error).toBe('montant: expected an amount of at most 1000000, got number 1e+300');
  expect(rows[2].error).toBe('montant: expected a non-negative amount, got number -12.5');
  const utf8Row = rows[bad.length - 1];
  expect(utf8Row.error).toBe('invalid JSON: the payload is not valid UTF-8');
  expect(Buffer.from(utf8Row.raw_payload_base64 as string, 'base64').equals(invalidPayload)).toBe(true);

  const report = await new SilverJob({ lakehouseRoot: root, thresholds: { premium: 1000, standard: 200 } }).run('e2e');
  expect(report).toMatchObject({ status: 'succeeded', bronzeRowsRead: sales.length - 1 });
});
