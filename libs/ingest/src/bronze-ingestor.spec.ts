import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { DeltaTable, sameSchema, struct } from '@app/delta';
import { QUARANTINE_TABLE, tableLocation } from '@app/schemas';
import { BronzeIngestor } from './bronze-ingestor';
import { ConsumerControl, eventTimeAppId, offsetAppId, SourceMessage } from './offsets';
import { listQuarantine } from './quarantine/quarantine-query';
import { openQuarantineTable } from './quarantine/quarantine-table';

const TOPIC = 'ventes_stream';
const APP_ID = 'bronze-test';

function sales(n: number): SourceMessage[] {
  const gen = new SalesGenerator({ clients: 20, products: 7 }, new SaleIdGenerator(1), 7);
  const start = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    offset: String(i),
    value: Buffer.from(JSON.stringify(gen.next(new Date(start + i)))),
    timestamp: '0',
  }));
}

/** The consumer side, as kafkajs would be driven: seeks are recorded, offset commits ignored. */
class FakeConsumer implements ConsumerControl {
  readonly seeks: Array<[number, number]> = [];
  seek(_topic: string, partition: number, offset: number): void {
    this.seeks.push([partition, offset]);
  }
  async commitOffsets(): Promise<void> {}
}

describe('BronzeIngestor (real Delta tables, real classify worker, scripted consumer)', () => {
  let ingestor: BronzeIngestor;
  let consumer: FakeConsumer;
  let lakehouseRoot: string;
  let healed: Array<{ partition: number; storedMaxEventTime: string; clampedTo: string }>;

  beforeEach(async () => {
    consumer = new FakeConsumer();
    lakehouseRoot = mkdtempSync(path.join(os.tmpdir(), 'bronze-ingestor-'));
    healed = [];
    ingestor = new BronzeIngestor(
      {
        lakehouseRoot,
        topic: TOPIC,
        appId: APP_ID,
        watermarkDelayMs: 600_000,
        maxEventTimeAheadMs: 300_000,
        flushMaxRows: 1_000_000,
        flushMaxBytes: 1 << 30,
        flushMaxLatencyMs: 60_000, // flushes only when the test asks
        compactEveryCommits: 0,
      },
      consumer,
      { onWatermarkHealed: (h) => healed.push(h) },
    );
    await ingestor.open();
    await ingestor.onAssignment([0]);
  });
  afterEach(() => ingestor.close());

  it('starts no flush while an assignment is applied, so offsets re-delivered after its seek land once', async () => {
    const messages = sales(100);
    await ingestor.accept(0, messages, '100');
    // A rebalance begins; the latency timer fires while it waits for the log.
    const assignment = ingestor.onAssignment([0]);
    const timerFlush = ingestor.flush();
    await assignment;
    expect(consumer.seeks).toEqual([
      [0, -1],
      [0, -1],
    ]);
    // Kafka re-delivers from the seek, then the next flush commits.
    await ingestor.accept(0, messages, '100');
    await timerFlush;
    await ingestor.flush();

    const { bronze } = ingestor.tables;
    await bronze.update();
    const rows = await bronze.readRows();
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.kafka_offset)).size).toBe(100);
    expect(bronze.txnVersion(offsetAppId(APP_ID, TOPIC, 0))).toBe(99);
  });

  it('skips offsets already received or committed, and resumes a new assignment from the log', async () => {
    const messages = sales(50);
    await ingestor.accept(0, messages.slice(0, 30), '50');
    await ingestor.accept(0, messages.slice(20, 50), '50'); // 20..29 twice: a re-delivery
    await ingestor.flush();
    await ingestor.onAssignment([0]);
    expect(consumer.seeks.at(-1)).toEqual([0, 50]);
    await ingestor.accept(0, messages.slice(40), '50'); // already committed
    await ingestor.flush();
    const rows = await ingestor.tables.bronze.readRows();
    expect(rows.map((r) => Number(r.kafka_offset)).sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));
    expect(ingestor.lag()).toEqual({ 0: 0 });
  });

  it('lands valid events whose strings hold escaped NUL or lone surrogates, which a DuckDB ENUM cannot hold', async () => {
    const messages = sales(40).map((m, i) => {
      const event = JSON.parse(m.value!.toString());
      // JSON.stringify writes a NUL as \u0000 and a lone surrogate as \ud800: both are valid JSON strings.
      if (i % 2) event.client_nom = `${event.client_nom}\u0000${i % 4}`;
      else event.pays = i % 4 ? '\ud800' : '\udc00';
      return { ...m, value: Buffer.from(JSON.stringify(event)) };
    });
    await ingestor.accept(0, messages, '40');
    await ingestor.flush();
    expect(ingestor.fatalError).toBeUndefined();
    const rows = await ingestor.tables.bronze.readRows();
    expect(rows).toHaveLength(40);
    expect(new Set(rows.filter((r) => Number(r.kafka_offset) % 2 === 0).map((r) => r.pays))).toEqual(new Set(['\ufffd']));
    expect(rows.filter((r) => Number(r.kafka_offset) % 2 === 1).every((r) => (r.client_nom as string).includes('\u0000'))).toBe(true);
  });

  it('heals a stored max event time ahead of the clock at assignment: clamped, reported, and later valid sales land', async () => {
    const { bronze } = ingestor.tables;
    const year9999 = Date.UTC(9999, 0, 1) * 1000;
    await bronze.append({ rows: [] }, { txns: [{ appId: eventTimeAppId(APP_ID, TOPIC, 0), version: year9999 }] });
    const before = Date.now() * 1000;
    await ingestor.onAssignment([0]);
    expect(healed).toEqual([{ partition: 0, storedMaxEventTime: '9999-01-01T00:00:00.000000Z', clampedTo: expect.any(String) }]);
    const clamped = ingestor.partitionEventTimes().get(0)!.maxEventTime!;
    expect(clamped).toBeGreaterThanOrEqual(before);
    expect(clamped).toBeLessThanOrEqual(Date.now() * 1000);
    await ingestor.accept(0, sales(20), '20');
    await ingestor.flush();
    expect(await bronze.readRows()).toHaveLength(20);
    expect(bronze.txnVersion(eventTimeAppId(APP_ID, TOPIC, 0))!).toBeLessThanOrEqual(Date.now() * 1000);
  });

  it('adds raw_payload_base64 to a quarantine table created before it, whose rows then read it as null', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'bronze-ingestor-old-'));
    const oldSchema = struct(QUARANTINE_TABLE.schema.fields.filter((f) => f.name !== 'raw_payload_base64'));
    const old = await DeltaTable.create(tableLocation(root, QUARANTINE_TABLE), { schema: oldSchema, partitionColumns: ['jour'] });
    const oldRow = { raw_payload: 'nope', reason: 'malformed_json', error: 'x', kafka_topic: TOPIC, kafka_partition: 0, kafka_offset: 0n, date_ingestion: 0n, jour: '2026-01-01' };
    await old.append({ rows: [oldRow] });
    const table = await openQuarantineTable(root);
    expect(sameSchema(table.snapshot.schema, QUARANTINE_TABLE.schema)).toBe(true);
    expect((await table.history(1))[0].operation).toBe('ADD COLUMNS');
    // Read by name: the old file has no raw_payload_base64, which reads as null.
    const page = await listQuarantine(table, {}, { limit: 10, offset: 0 });
    expect(page.rows).toEqual([expect.objectContaining({ raw_payload: 'nope', raw_payload_base64: null, jour: '2026-01-01' })]);
    // Opened again (a second replica, a restart): nothing more to add.
    expect((await openQuarantineTable(root)).version).toBe(table.version);
  });
});
