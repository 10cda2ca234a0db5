import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, microsToIso, Row } from '@app/delta';
import { BRONZE_TABLE, parseSalesMessage, SalesEvent } from '@app/schemas';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { PAYLOAD_DECODERS } from './decode/payload-decoder';
import { SourceMessage } from './offsets';
import { packMessages } from './packed-messages';
import { BatchClassifier } from './transforms';

const TOPIC = 'ventes_stream';
const INGESTION_MICROS = Date.UTC(2024, 11, 12, 12, 0, 0) * 1000;
const MINUTE_MICROS = 60_000_000;

function message(offset: number, value: string | null): SourceMessage {
  return { offset: String(offset), value: value === null ? null : Buffer.from(value), timestamp: '0' };
}

function events(n: number, start = new Date('2024-12-12T10:00:00Z')): SalesEvent[] {
  const gen = new SalesGenerator({ clients: 20, products: 7 }, new SaleIdGenerator(1), 42);
  return Array.from({ length: n }, (_, i) => gen.next(new Date(start.getTime() + i * 1000)));
}

/** What bronze must hold for an accepted message, computed by the reference parser, row by row. */
function expectedBronzeRow(m: SourceMessage, partition: number): Row {
  const parsed = parseSalesMessage(m.value);
  if (!parsed.ok) throw new Error(parsed.message);
  return {
    ...parsed.event,
    vente_id: BigInt(parsed.event.vente_id),
    timestamp: microsToIso(parsed.eventTimeMicros),
    kafka_topic: TOPIC,
    kafka_partition: partition,
    kafka_offset: BigInt(m.offset),
    date_ingestion: microsToIso(INGESTION_MICROS),
    jour: microsToIso(parsed.eventTimeMicros).slice(0, 10),
  };
}

// Every decoder: each must classify alike (the differential tests hold their values to the reference).
describe.each(PAYLOAD_DECODERS)('BatchClassifier with the %s payload decoder', (decoder) => {
  it('sends valid events to bronze columns (growing past its capacity), the rest to quarantine with its reason, in offset order per partition', async () => {
    const [a, b, c, d] = events(4);
    const p0 = [
      message(10, JSON.stringify(a)),
      message(11, '{"vente_id": 1,'),
      message(12, JSON.stringify({ ...b, quantite: 0 })),
      message(13, null),
      // Valid, but not on the fast path (an exponent and an escape): the reference takes it.
      message(14, JSON.stringify({ ...c, client_nom: 'Zoé "Z"' }).replace(`"quantite":${c.quantite}`, `"quantite":${c.quantite}e0`)),
    ];
    // Partition 1: an event an hour ahead moves the max; one 20 minutes behind it is then late.
    const ahead = { ...d, timestamp: '2024-12-12T11:00:00Z' };
    const behind = { ...d, vente_id: d.vente_id + 1, timestamp: '2024-12-12T10:40:00Z' };
    const p1 = [message(5, JSON.stringify(ahead)), message(6, JSON.stringify(behind))];

    const classifier = new BatchClassifier(TOPIC, 10 * MINUTE_MICROS, 5 * MINUTE_MICROS, 2, decoder);
    classifier.add(0, packMessages(p0), INGESTION_MICROS);
    classifier.add(1, packMessages(p1), INGESTION_MICROS);
    const { bronze, quarantine, late, eventTimes, partitions } = classifier.finish();
    const q0 = quarantine.filter((r) => r.kafka_partition === 0);
    const q1 = quarantine.filter((r) => r.kafka_partition === 1);

    expect(q0.map((r) => [r.kafka_offset, r.reason])).toEqual([
      [11n, 'malformed_json'],
      [12n, 'schema_violation'],
      [13n, 'malformed_json'],
    ]);
    expect(q0[1].error).toBe('quantite: expected a positive integer, got number 0');
    expect(q0[0].raw_payload).toBe('{"vente_id": 1,');
    expect(q1).toHaveLength(1);
    expect(q1[0]).toMatchObject({
      reason: 'late_event',
      kafka_partition: 1,
      kafka_offset: 6n,
      jour: '2024-12-12',
      raw_payload: JSON.stringify(behind),
    });
    expect(q1[0].error).toBe('event time 2024-12-12T10:40:00.000000Z is before the watermark 2024-12-12T10:50:00.000000Z');
    expect(late).toBe(1);
    expect(partitions.find((p) => p.partition === 1)).toEqual({
      partition: 1,
      maxEventTime: Date.UTC(2024, 11, 12, 11) * 1000,
      watermark: Date.UTC(2024, 11, 12, 10, 50) * 1000,
    });
    expect(eventTimes.count).toBe(3);

    // The columns, written to a real Delta table and read back, hold exactly what the reference gives.
    expect(bronze.numRows).toBe(3);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classifier-'));
    const table = await DeltaTable.create(dir, { schema: BRONZE_TABLE.schema, partitionColumns: BRONZE_TABLE.partitionColumns });
    await table.append({ columns: bronze });
    const read = (await table.readRows()).sort(
      (x, y) => Number(x.kafka_partition) - Number(y.kafka_partition) || Number(x.kafka_offset) - Number(y.kafka_offset),
    );
    expect(read).toEqual([expectedBronzeRow(p0[0], 0), expectedBronzeRow(p0[4], 0), expectedBronzeRow(p1[0], 1)]);
    expect(read[1].client_nom).toBe('Zoé "Z"');
  });

  it('continues the watermark from the state it is given (restored from the log after a restart)', () => {
    const [a] = events(1);
    const classifier = new BatchClassifier(TOPIC, 10 * MINUTE_MICROS, 5 * MINUTE_MICROS, 1024, decoder);
    classifier.resetWatermark(2, Date.UTC(2024, 11, 12, 12) * 1000);
    classifier.add(2, packMessages([message(0, JSON.stringify(a))]), INGESTION_MICROS);
    const { bronze, quarantine } = classifier.finish();
    expect(quarantine.map((r) => r.reason)).toEqual(['late_event']);
    expect(bronze.numRows).toBe(0);
  });

  it('drops the batch classified so far, keeping the watermark, and starts empty after a finish', () => {
    const [a, b] = events(2);
    const classifier = new BatchClassifier(TOPIC, 10 * MINUTE_MICROS, 5 * MINUTE_MICROS, 1024, decoder);
    classifier.add(0, packMessages([message(0, JSON.stringify(a)), message(1, 'nope')]), INGESTION_MICROS);
    classifier.drop();
    classifier.add(0, packMessages([message(0, JSON.stringify(b))]), INGESTION_MICROS);
    const first = classifier.finish();
    expect([first.bronze.numRows, first.quarantine.length, first.partitions.map((p) => p.partition)]).toEqual([1, 0, [0]]);
    expect(first.bronze.columns.kafka_offset).toEqual(expect.objectContaining({ 0: 0 }));
    const second = classifier.finish();
    expect([second.bronze.numRows, second.quarantine.length, second.partitions]).toEqual([0, 0, []]);
  });

  it('quarantines an event time too far ahead of the clock as future_event, on every decoder path, without moving the watermark', () => {
    const [a, b, c] = events(3, new Date('2024-12-12T11:58:00Z'));
    const nextYear = { ...a, timestamp: '2025-12-12T11:00:00Z' };
    const justAhead = { ...b, timestamp: '2024-12-12T12:05:00.000001Z' }; // 1 µs past the 5 minutes allowed
    const atTheLimit = { ...c, timestamp: '2024-12-12T12:05:00Z' };
    const classifier = new BatchClassifier(TOPIC, 10 * MINUTE_MICROS, 5 * MINUTE_MICROS, 1024, decoder);
    const p0 = [
      message(0, JSON.stringify(nextYear)), // producer layout: the WebAssembly scan (wasm decoder)
      message(1, JSON.stringify(justAhead, null, 1)), // whitespace: the JavaScript scanner
      message(2, JSON.stringify(nextYear).replace(`"quantite":${nextYear.quantite}`, `"quantite":${nextYear.quantite}e0`)), // an exponent: the reference
      message(3, JSON.stringify(atTheLimit)),
      ...events(5).map((e, i) => message(4 + i, JSON.stringify({ ...e, timestamp: `2024-12-12T11:5${5 + i}:00Z` }))),
    ];
    classifier.add(0, packMessages(p0), INGESTION_MICROS);
    const { bronze, quarantine, future, late, partitions } = classifier.finish();
    expect(quarantine.map((r) => [r.kafka_offset, r.reason])).toEqual([
      [0n, 'future_event'],
      [1n, 'future_event'],
      [2n, 'future_event'],
    ]);
    expect(quarantine[0].error).toBe(
      "event time 2025-12-12T11:00:00.000000Z is ahead of the ingestor's clock 2024-12-12T12:00:00.000000Z by more than allowed",
    );
    expect([future, late, bronze.numRows]).toEqual([3, 0, 6]);
    expect(partitions).toEqual([
      { partition: 0, maxEventTime: Date.UTC(2024, 11, 12, 12, 5) * 1000, watermark: Date.UTC(2024, 11, 12, 11, 55) * 1000 },
    ]);
  });

  it('keeps the exact bytes of a payload that is not valid UTF-8, in base64 beside its text', () => {
    const [a] = events(1);
    const [before, after] = JSON.stringify({ ...a, client_nom: 'X' }).split('"X"');
    const invalid = Buffer.concat([Buffer.from(before + '"Jean'), Buffer.from([0xff, 0xc3]), Buffer.from('"' + after)]);
    const classifier = new BatchClassifier(TOPIC, 10 * MINUTE_MICROS, 5 * MINUTE_MICROS, 1024, decoder);
    classifier.add(
      0,
      packMessages([message(0, null), { offset: '1', value: invalid, timestamp: '0' }, message(2, 'é{')]),
      INGESTION_MICROS,
    );
    const { quarantine } = classifier.finish();
    expect(quarantine.map((r) => [r.reason, r.raw_payload_base64])).toEqual([
      ['malformed_json', null],
      ['malformed_json', invalid.toString('base64')],
      ['malformed_json', null],
    ]);
    expect(Buffer.from(quarantine[1].raw_payload_base64 as string, 'base64').equals(invalid)).toBe(true);
    expect(quarantine[1].error).toBe('invalid JSON: the payload is not valid UTF-8');
    expect(quarantine[2].raw_payload).toBe('é{');
  });
});
