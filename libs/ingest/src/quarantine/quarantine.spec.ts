import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { eventTimeAppId } from '../offsets';
import { packMessages } from '../packed-messages';
import { BatchClassifier } from '../transforms';
import { InvalidSelectionError, listQuarantine } from './quarantine-query';
import { openQuarantineTable } from './quarantine-table';
import { replayAppId, replayQuarantine, ReplayOptions } from './replay';

const TOPIC = 'ventes_stream';
const APP_ID = 'bronze-test';
const MINUTE_MS = 60_000;
const OPTIONS: ReplayOptions = { appId: APP_ID, watermarkDelayMs: 10 * MINUTE_MS, maxEventTimeAheadMs: 5 * MINUTE_MS };

/**
 * Bronze and quarantine as the ingestor leaves them: partition 0 got 10 on-time sales, then 10
 * sales an hour older (late), partition 1 a malformed payload, a year-9999 sale and a payload
 * that is not UTF-8. Written by the real classifier, with the max event time in bronze's log.
 */
async function lakehouse(): Promise<{ bronze: DeltaTable; quarantine: DeltaTable }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'quarantine-'));
  const bronze = await DeltaTable.openOrCreate(tableLocation(root, BRONZE_TABLE), BRONZE_TABLE);
  const quarantine = await openQuarantineTable(root);
  const gen = new SalesGenerator({ clients: 20, products: 7 }, new SaleIdGenerator(1), 3);
  const now = Date.now();
  const onTime = Array.from({ length: 10 }, (_, i) => gen.next(new Date(now - 60_000 + i)));
  const late = Array.from({ length: 10 }, (_, i) => gen.next(new Date(now - 3_600_000 + i)));
  const invalidUtf8 = Buffer.concat([Buffer.from('{"vente_id":1,"client_nom":"'), Buffer.from([0xff]), Buffer.from('"}')]);
  const message = (offset: number, value: Buffer | string) => ({ offset: String(offset), value: Buffer.from(value), timestamp: '0' });
  const classifier = new BatchClassifier(TOPIC, OPTIONS.watermarkDelayMs * 1000, OPTIONS.maxEventTimeAheadMs * 1000);
  classifier.add(0, packMessages([...onTime, ...late].map((e, i) => message(i, JSON.stringify(e)))), now * 1000);
  classifier.add(1, packMessages([message(0, '{"vente_id":'), message(1, JSON.stringify({ ...onTime[0], timestamp: '9999-01-01T00:00:00Z' })), message(2, invalidUtf8)]), now * 1000);
  const batch = classifier.finish();
  await quarantine.append({ rows: batch.quarantine });
  const maxEventTime = batch.partitions.find((p) => p.partition === 0)!.maxEventTime!;
  await bronze.append({ columns: batch.bronze }, { txns: [{ appId: eventTimeAppId(APP_ID, TOPIC, 0), version: maxEventTime }] });
  return { bronze, quarantine };
}

const offsetsIn = async (bronze: DeltaTable, partition: number): Promise<number[]> =>
  (await bronze.update(), await bronze.readRows())
    .filter((r) => r.kafka_partition === partition)
    .map((r) => Number(r.kafka_offset))
    .sort((a, b) => a - b);

describe('quarantine: browse and replay (real Delta tables)', () => {
  it('lists rows by reason, time range and partition, with counts per reason, a page at a time', async () => {
    const { quarantine } = await lakehouse();
    const all = await listQuarantine(quarantine, {}, { limit: 5, offset: 0 });
    expect(all.countsByReason).toEqual({ future_event: 1, late_event: 10, malformed_json: 2 });
    expect([all.total, all.rows.length]).toEqual([13, 5]);
    expect(all.rows.map((r) => [r.kafka_partition, r.kafka_offset])).toEqual([0, 1, 2, 3, 4].map((i) => [0, 10 + i]));

    const lastPage = await listQuarantine(quarantine, { reasons: ['late_event'] }, { limit: 4, offset: 8 });
    expect(lastPage.rows.map((r) => r.kafka_offset)).toEqual([18, 19]);

    const p1 = await listQuarantine(quarantine, { partition: 1, reasons: ['malformed_json', 'future_event'] }, { limit: 10, offset: 0 });
    expect(p1.rows.map((r) => [r.kafka_offset, r.reason])).toEqual([
      [0, 'malformed_json'],
      [1, 'future_event'],
      [2, 'malformed_json'],
    ]);
    expect(Buffer.from(p1.rows[2].raw_payload_base64 as string, 'base64')).toEqual(
      Buffer.concat([Buffer.from('{"vente_id":1,"client_nom":"'), Buffer.from([0xff]), Buffer.from('"}')]),
    );

    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect((await listQuarantine(quarantine, { from: hourAgo }, { limit: 1, offset: 0 })).total).toBe(13);
    expect((await listQuarantine(quarantine, { to: hourAgo }, { limit: 1, offset: 0 })).total).toBe(0);
    expect((await listQuarantine(quarantine, { partition: 0, fromOffset: 12, toOffset: 13 }, { limit: 10, offset: 0 })).total).toBe(2);

    for (const [selection, parameter] of [
      [{ reasons: ['nope'] }, 'reason'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'to'],
      [{ partition: -1 }, 'partition'],
      [{ fromOffset: 3 }, 'partition'],
    ] as const) {
      await expect(listQuarantine(quarantine, selection as never, { limit: 1, offset: 0 })).rejects.toMatchObject({ name: InvalidSelectionError.name, parameter });
    }
  });

  it('replays late sales once, with their Kafka coordinates and the replay in commitInfo; the watermark check refuses them unless skipped', async () => {
    const { bronze, quarantine } = await lakehouse();
    const checked = await replayQuarantine(bronze, quarantine, { reasons: ['late_event'] }, OPTIONS);
    expect([checked.replayed, checked.refused]).toEqual([0, { late_event: 10 }]);

    const first = await replayQuarantine(bronze, quarantine, { reasons: ['late_event'] }, { ...OPTIONS, skipWatermark: true });
    expect([first.selected, first.replayed, first.alreadyInBronze, first.refused]).toEqual([10, 10, 0, {}]);
    expect(await offsetsIn(bronze, 0)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const [commit] = await bronze.history(1);
    expect(commit.operation).toBe('QUARANTINE REPLAY');
    expect(commit.operationParameters).toMatchObject({ replayId: first.replayId, selection: '{"reasons":["late_event"]}', skipWatermark: 'true' });
    expect(bronze.txnVersion(replayAppId(APP_ID))).toBe(0);

    const again = await replayQuarantine(bronze, quarantine, { reasons: ['late_event'] }, { ...OPTIONS, skipWatermark: true });
    expect([again.replayed, again.alreadyInBronze, again.versions]).toEqual([0, 10, []]);
    expect(await offsetsIn(bronze, 0)).toHaveLength(20);
  });

  it('keeps whole chunks of a replay stopped midway, and a rerun lands the rest once; concurrent replays land each row once', async () => {
    const { bronze, quarantine } = await lakehouse();
    const stopped = replayQuarantine(bronze, quarantine, { partition: 0 }, {
      ...OPTIONS,
      skipWatermark: true,
      chunkRows: 3,
      onChunk: ({ index }) => {
        if (index === 1) throw new Error('killed');
      },
    });
    await expect(stopped).rejects.toThrow('killed');
    expect(await offsetsIn(bronze, 0)).toEqual([...Array.from({ length: 10 }, (_, i) => i), 10, 11, 12, 13, 14, 15]);

    const [a, b] = await Promise.all(
      [0, 1].map(async () => replayQuarantine(await DeltaTable.open(bronze.uri), quarantine, { partition: 0 }, { ...OPTIONS, skipWatermark: true, chunkRows: 2 })),
    );
    expect(a.replayed + b.replayed).toBe(4);
    expect(await offsetsIn(bronze, 0)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('replays a future sale only when asked, and leaves what the contract refuses in quarantine', async () => {
    const { bronze, quarantine } = await lakehouse();
    const refused = await replayQuarantine(bronze, quarantine, { partition: 1 }, OPTIONS);
    expect([refused.replayed, refused.refused]).toEqual([0, { future_event: 1, malformed_json: 2 }]);
    const forced = await replayQuarantine(bronze, quarantine, { partition: 1 }, { ...OPTIONS, skipFutureCheck: true });
    expect([forced.replayed, forced.refused]).toEqual([1, { malformed_json: 2 }]);
    expect((await bronze.readRows()).filter((r) => r.kafka_partition === 1).map((r) => r.jour)).toEqual(['9999-01-01']);
  });
});
