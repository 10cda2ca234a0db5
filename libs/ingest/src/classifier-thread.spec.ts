import { isDictionaryColumn } from '@app/delta';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { ClassifierThread } from './classifier-thread';
import { DEFAULT_PAYLOAD_DECODER } from './decode/payload-decoder';
import { SourceMessage } from './offsets';
import { packMessages } from './packed-messages';
import { BatchClassifier, ClassifiedBatch } from './transforms';

const TOPIC = 'ventes_stream';
const DELAY_MICROS = 10 * 60_000_000;
const INGESTION_MICROS = Date.UTC(2024, 11, 12, 12) * 1000;

function messages(n: number, firstOffset: number, startMs = Date.UTC(2024, 11, 12, 10)): SourceMessage[] {
  const gen = new SalesGenerator({ clients: 20, products: 7 }, new SaleIdGenerator(1), firstOffset);
  return Array.from({ length: n }, (_, i) => {
    const value = i % 7 === 3 ? '{"not": "a sale"}' : JSON.stringify(gen.next(new Date(startMs + i * 1000)));
    return { offset: String(firstOffset + i), value: Buffer.from(value), timestamp: '0' };
  });
}

/** A batch as plain values, row by row: column arrays may be longer than numRows, dictionaries differ in order. */
function plain({ bronze, quarantine, late, future, eventTimes, partitions }: ClassifiedBatch): unknown {
  const columns = Object.entries(bronze.columns).map(([name, column]) => {
    const values = isDictionaryColumn(column)
      ? Array.from(column.indices, (i) => column.dictionary[i])
      : Array.from(column as ArrayLike<unknown>);
    return [name, values.slice(0, bronze.numRows)];
  });
  return { columns: Object.fromEntries(columns), quarantine, late, future, eventTimes: { ...eventTimes }, partitions };
}

/** The same commands run by BatchClassifier on this thread: what the worker must give back. */
function inThread(steps: Array<[number, SourceMessage[]]>): unknown {
  const classifier = new BatchClassifier(TOPIC, DELAY_MICROS, DELAY_MICROS);
  for (const [partition, batch] of steps) classifier.add(partition, packMessages(batch), INGESTION_MICROS);
  return plain(classifier.finish());
}

describe('ClassifierThread (a real worker thread)', () => {
  let thread: ClassifierThread;
  let failures: Error[];

  beforeEach(() => {
    failures = [];
    thread = new ClassifierThread(
      { topic: TOPIC, watermarkDelayMicros: DELAY_MICROS, maxEventTimeAheadMicros: DELAY_MICROS, payloadDecoder: DEFAULT_PAYLOAD_DECODER },
      (e) => failures.push(e),
    );
  });
  afterEach(() => thread.close());

  it('classifies what BatchClassifier classifies on this thread, batch by batch in posting order', async () => {
    const steps: Array<[number, SourceMessage[]]> = [
      [0, messages(500, 0)],
      [1, messages(300, 1000)],
      [0, messages(200, 500)],
    ];
    for (const [partition, batch] of steps) thread.add(partition, batch, INGESTION_MICROS);
    expect(thread.backlogBytes).toBeGreaterThan(0);
    const first = thread.finish();
    const later = messages(10, 0);
    thread.add(2, later, INGESTION_MICROS);
    const second = thread.finish();

    expect(plain(await first)).toEqual(inThread(steps));
    expect((await first).bronze.numRows).toBe(857);
    expect(plain(await second)).toEqual(inThread([[2, later]]));
    await thread.drained(0);
    expect(thread.backlogBytes).toBe(0);
    expect(failures).toEqual([]);
  });

  it('drops what was added after the last finish, and applies a watermark reset to what follows', async () => {
    thread.add(0, messages(50, 0), INGESTION_MICROS);
    const kept = thread.finish();
    thread.add(0, messages(50, 50), INGESTION_MICROS);
    thread.drop();
    // The log says partition 0 has seen events up to 13:00: events of 10:00 are now late.
    thread.resetWatermark(0, Date.UTC(2024, 11, 12, 13) * 1000);
    thread.add(0, messages(5, 50), INGESTION_MICROS);
    const replayed = await thread.finish();

    expect((await kept).bronze.numRows).toBe(43);
    expect(replayed.bronze.numRows).toBe(0);
    expect(replayed.quarantine.map((r) => [r.kafka_offset, r.reason])).toEqual([
      [50n, 'late_event'],
      [51n, 'late_event'],
      [52n, 'late_event'],
      [53n, 'schema_violation'],
      [54n, 'late_event'],
    ]);
    expect(replayed.partitions).toEqual([
      { partition: 0, maxEventTime: Date.UTC(2024, 11, 12, 13) * 1000, watermark: Date.UTC(2024, 11, 12, 12, 50) * 1000 },
    ]);
  });

  it('quarantines future events in the worker as on this thread, without moving the watermark', async () => {
    const steps: Array<[number, SourceMessage[]]> = [
      [0, messages(20, 0)],
      [0, messages(20, 20, INGESTION_MICROS / 1000 + 3_600_000)], // an hour ahead of the clock
      [0, messages(20, 40, Date.UTC(2024, 11, 12, 10, 30))],
    ];
    for (const [partition, batch] of steps) thread.add(partition, batch, INGESTION_MICROS);
    const batch = await thread.finish();
    expect(plain(batch)).toEqual(inThread(steps));
    expect(batch.future).toBe(17);
    expect(batch.quarantine.filter((r) => r.reason === 'future_event').map((r) => Number(r.kafka_offset))).toEqual(
      Array.from({ length: 20 }, (_, i) => 20 + i).filter((o) => (o - 20) % 7 !== 3),
    );
    expect(batch.partitions[0].maxEventTime).toBeLessThan(INGESTION_MICROS);
  });

  it('reports a worker that died, and rejects the batches it owed', async () => {
    thread.add(0, messages(5, 0), INGESTION_MICROS);
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setImmediate(r));
    expect(failures.map((e) => e.message)).toEqual([expect.stringMatching(/classify worker exited/)]);
    await expect(thread.finish()).rejects.toThrow(/classify worker exited/);
    await expect(thread.drained(0)).resolves.toBeUndefined();
  });
});
