/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' protocol encoders have no typings or exports map */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeFetchResponse,
  FetchedMessage,
  FetchedRecord,
  installedKafkajsVersion,
  installFetchDecoder,
  VERIFIED_KAFKAJS_VERSION,
} from './fetch-decoder';

// Counts the records the fast decoder hands to kafkajs' own record decoder.
jest.mock('kafkajs/src/protocol/recordBatch/record/v0/decoder', () => {
  const actual = jest.requireActual('kafkajs/src/protocol/recordBatch/record/v0/decoder');
  return jest.fn((...args: unknown[]) => actual(...args));
});
const kafkajsRecordDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as jest.Mock;

interface Encoder {
  buffer: Buffer;
  writeInt16(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeInt64(v: number | bigint | object): Encoder;
  writeString(v: string): Encoder;
  writeBytes(v: Buffer): Encoder;
}
const Encoder = require('kafkajs/src/protocol/encoder') as new () => Encoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch(opts: Record<string, unknown>): Promise<Encoder> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (opts: Record<string, unknown>) => Encoder;
const MessageSet = require('kafkajs/src/protocol/messageSet') as (opts: Record<string, unknown>) => Encoder;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): object };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };
const kafkajsFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response') as { decode(b: Buffer): Promise<unknown> };
const kafkajsDecode = kafkajsFetchV11.decode;

/** Attribute bits of a record batch that kafkajs' encoder cannot set; kafkajs does not check the CRC. */
const LOG_APPEND_TIME = 0x8;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
/** Where a record batch's attributes are: firstOffset, length, leader epoch, magic, CRC. */
const ATTRIBUTES_AT = 8 + 4 + 4 + 1 + 4;

interface RecordSpec {
  key?: string | null;
  value?: string | null;
  timestampDelta?: number;
  headers?: Record<string, string | string[]>;
}

async function recordBatch(
  firstOffset: number | string,
  records: RecordSpec[],
  opts: { compression?: number; flags?: number; firstTimestamp?: number } = {},
): Promise<Buffer> {
  const encoded = await RecordBatch({
    compression: opts.compression ?? Compression.None,
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp: opts.firstTimestamp ?? 1_764_000_000_000,
    maxTimestamp: 1_764_000_009_999,
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: Long.fromValue(r.timestampDelta ?? i * 7),
        key: r.key === undefined ? Buffer.from(`k${i}`) : r.key === null ? null : Buffer.from(r.key),
        value: r.value === undefined ? Buffer.from(`{"n":${i}}`) : r.value === null ? null : Buffer.from(r.value),
        headers: r.headers,
      }),
    ),
  });
  const bytes = Buffer.from(encoded.buffer);
  if (opts.flags) bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_AT) | opts.flags, ATTRIBUTES_AT);
  return bytes;
}

/** A Fetch v11 response for one topic: each partition's record set as given. */
function fetchResponse(partitions: Array<{ partition: number; records: Buffer; errorCode?: number }>): Buffer {
  const e = new Encoder()
    .writeInt32(0)
    .writeInt16(0)
    .writeInt32(7)
    .writeInt32(1)
    .writeString('ventes_stream')
    .writeInt32(partitions.length);
  for (const p of partitions) {
    e.writeInt32(p.partition)
      .writeInt16(p.errorCode ?? 0)
      .writeInt64(1000)
      .writeInt64(1000)
      .writeInt64(0);
    e.writeInt32(1).writeInt64(5).writeInt64(40); // one aborted transaction
    e.writeInt32(-1).writeBytes(p.records);
  }
  return e.buffer;
}

/** A FetchedRecord as a plain object of kafkajs' fields, which its accessors give (they are not own properties); other messages as they are. */
function plain(m: FetchedMessage): unknown {
  if (!(m instanceof FetchedRecord)) return m;
  const { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext } = m;
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext };
}

type DecodedResponse = Awaited<ReturnType<typeof decodeFetchResponse>>;
type DecodedPartition = { messages: FetchedMessage[] };

/** The response with each message as plain(). */
function withPlainMessages(response: DecodedResponse): unknown {
  return {
    ...response,
    responses: response.responses.map((r) => ({
      ...r,
      partitions: (r.partitions as DecodedPartition[]).map((p) => ({ ...p, messages: p.messages.map(plain) })),
    })),
  };
}

/** Checks that both decoders give equal responses; returns how many records ours handed to kafkajs. */
async function expectSameAsKafkajs(response: Buffer): Promise<number> {
  kafkajsRecordDecoder.mockClear();
  const ours = await decodeFetchResponse(response);
  const handedOver = kafkajsRecordDecoder.mock.calls.length;
  expect(withPlainMessages(ours)).toStrictEqual(await kafkajsDecode(response));
  return handedOver;
}

describe('decodeFetchResponse gives what kafkajs gives', () => {
  // What the tests below hold the decoder to is this kafkajs: installFetchDecoder() patches only it.
  it(`runs against kafkajs ${VERIFIED_KAFKAJS_VERSION}, the version the decoder is verified for`, () => {
    expect(installedKafkajsVersion()).toBe(VERIFIED_KAFKAJS_VERSION);
  });

  it('plain records: keys, values, nulls, empty and UTF-8 payloads, negative timestamp deltas, on the fast path', async () => {
    const records: RecordSpec[] = [
      {},
      { key: null },
      { value: null },
      { key: '', value: '' },
      { value: '{"pays":"Côte d’Ivoire","montant":12.5}' },
      { timestampDelta: -5 },
      { timestampDelta: 2 ** 40 },
    ];
    const response = fetchResponse([
      { partition: 0, records: Buffer.concat([await recordBatch(120, records), await recordBatch(127, [{}, {}])]) },
    ]);
    expect(await expectSameAsKafkajs(response)).toBe(0);
  });

  it('several partitions, an empty one and one in error', async () => {
    await expectSameAsKafkajs(
      fetchResponse([
        { partition: 0, records: await recordBatch(0, [{}, {}, {}]) },
        { partition: 1, records: Buffer.alloc(0) },
        { partition: 2, records: Buffer.alloc(0), errorCode: 1 },
        { partition: 3, records: await recordBatch(9_000_000_000, [{}]) },
      ]),
    );
  });

  it('a record batch cut at the end of the fetch is left out, as kafkajs leaves it', async () => {
    const whole = await recordBatch(10, [{}, {}]);
    const next = await recordBatch(12, [{}, {}, {}]);
    await expectSameAsKafkajs(fetchResponse([{ partition: 0, records: Buffer.concat([whole, next.subarray(0, next.length - 9)]) }]));
  });

  it('records with headers, repeated header keys included, go through kafkajs', async () => {
    const records: RecordSpec[] = [{ headers: { trace: 'a' } }, {}, { headers: { trace: ['a', 'b'], source: 'x' } }];
    expect(await expectSameAsKafkajs(fetchResponse([{ partition: 0, records: await recordBatch(5, records) }]))).toBe(2);
  });

  it('gzip-compressed batches', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ value: `{"vente_id":"v-${i}"}` }));
    const response = fetchResponse([{ partition: 0, records: await recordBatch(300, records, { compression: Compression.GZIP }) }]);
    expect(await expectSameAsKafkajs(response)).toBe(0);
  });

  it('log-append time, transactional and control batches', async () => {
    await expectSameAsKafkajs(
      fetchResponse([
        { partition: 0, records: await recordBatch(0, [{}, {}], { flags: LOG_APPEND_TIME }) },
        { partition: 1, records: await recordBatch(0, [{}, {}], { flags: TRANSACTIONAL }) },
        {
          partition: 2,
          records: await recordBatch(2, [{ key: null, value: '\u0000\u0000\u0000\u0000' }], { flags: TRANSACTIONAL | CONTROL }),
        },
      ]),
    );
  });

  it('offsets and timestamps past 2^52, and timestamp deltas past 7 varint bytes, go through kafkajs', async () => {
    const farOffset = '9007199254740000'; // > 2^53: a double would round it
    const response = fetchResponse([
      { partition: 0, records: await recordBatch(farOffset, [{}, {}]) },
      { partition: 1, records: await recordBatch(0, [{}], { firstTimestamp: 2 ** 53 + 2 }) },
      { partition: 2, records: await recordBatch(0, [{ timestampDelta: 2 ** 50 }, {}]) },
    ]);
    expect(await expectSameAsKafkajs(response)).toBe(4);
  });

  it("legacy message sets (magic 1) are kafkajs'", async () => {
    const entries = [0, 1, 2].map((i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`),
      timestamp: 1_764_000_000_000 + i,
      offset: i,
    }));
    const set = MessageSet({ messageVersion: 1, compression: Compression.None, entries });
    await expectSameAsKafkajs(fetchResponse([{ partition: 0, records: set.buffer }]));
  });
});

describe('FetchedRecord', () => {
  it("keeps each accessor's value, and says where its value lies in the buffer it was decoded from", async () => {
    const response = fetchResponse([{ partition: 0, records: await recordBatch(40, [{ value: '{"a":1}' }, { value: null, key: null }]) }]);
    const [partition] = (await decodeFetchResponse(response)).responses[0].partitions as DecodedPartition[];
    const [first, second] = partition.messages as unknown as FetchedRecord[];
    expect(first).toBeInstanceOf(FetchedRecord);
    expect(first.value).toBe(first.value);
    expect(first.key).toBe(first.key);
    expect(first.headers).toBe(first.headers);
    expect(first.sourceBuffer.subarray(first.valueStart, first.valueStart + first.valueLength).toString()).toBe('{"a":1}');
    expect(first.value!.buffer).toBe(first.sourceBuffer.buffer); // a view, as kafkajs gives
    expect([second.valueLength, second.value, second.key]).toEqual([-1, null, null]);
  });
});

describe('installFetchDecoder', () => {
  it('package.json pins kafkajs to exactly the version the decoder is verified for', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies.kafkajs).toBe(VERIFIED_KAFKAJS_VERSION);
  });

  it("replaces the decode of kafkajs' Fetch v11 response on the verified version, and restores kafkajs' own", () => {
    const warnings: string[] = [];
    const installed = installFetchDecoder('patched', (m) => warnings.push(m));
    try {
      expect(installed.decoder).toBe('patched');
      expect(kafkajsFetchV11.decode).toBe(decodeFetchResponse);
    } finally {
      installed.restore();
    }
    expect(kafkajsFetchV11.decode).toBe(kafkajsDecode);
    installed.restore();
    expect(kafkajsFetchV11.decode).toBe(kafkajsDecode);
    expect(warnings).toEqual([]);
  });

  it("leaves kafkajs' decoder when asked to, silently", () => {
    const warnings: string[] = [];
    expect(installFetchDecoder('kafkajs', (m) => warnings.push(m)).decoder).toBe('kafkajs');
    expect(kafkajsFetchV11.decode).toBe(kafkajsDecode);
    expect(warnings).toEqual([]);
  });

  it("keeps kafkajs' decoder, with a warning naming both versions, on any other kafkajs version", () => {
    jest.isolateModules(() => {
      jest.doMock('kafkajs/package.json', () => ({ version: '2.3.0' }));
      const isolated = require('./fetch-decoder') as typeof import('./fetch-decoder');
      const isolatedFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response') as { decode: unknown };
      const original = isolatedFetchV11.decode;
      const warnings: string[] = [];
      expect(isolated.installFetchDecoder('patched', (m) => warnings.push(m)).decoder).toBe('kafkajs');
      expect(isolatedFetchV11.decode).toBe(original);
      expect(warnings).toEqual([
        `kafkajs 2.3.0 is installed, the fetch decoder was verified on ${VERIFIED_KAFKAJS_VERSION}: kafkajs' own decoder is used`,
      ]);
    });
    jest.dontMock('kafkajs/package.json');
  });

  it("keeps kafkajs' decoder, with a warning, when a kafkajs module it uses is missing", () => {
    jest.isolateModules(() => {
      jest.doMock('kafkajs/src/protocol/recordBatch/v0', () => {
        throw new Error("Cannot find module 'kafkajs/src/protocol/recordBatch/v0'");
      });
      const isolated = require('./fetch-decoder') as typeof import('./fetch-decoder');
      const warnings: string[] = [];
      expect(isolated.installFetchDecoder('patched', (m) => warnings.push(m)).decoder).toBe('kafkajs');
      expect(warnings).toEqual([expect.stringContaining('lacks a module the fetch decoder uses')]);
    });
    jest.dontMock('kafkajs/src/protocol/recordBatch/v0');
  });
});
