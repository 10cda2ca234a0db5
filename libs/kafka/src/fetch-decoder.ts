/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' protocol internals have no typings or exports map */
import type { KafkaMessage } from 'kafkajs';

/**
 * A faster decoder of Fetch responses for kafkajs, giving exactly the messages kafkajs' own gives
 * (as FetchedRecords, whose key, value, timestamp and headers are made on first read).
 *
 * kafkajs decodes each record through a Buffer slice, a Decoder object, a `Long` parsed from the
 * batch's first offset and timestamp strings, `Long` arithmetic and `Long#toString`: most of the
 * CPU it spends consuming, on the thread that also runs the ingestor. Offsets and timestamps are
 * safe integers in practice, so this decoder reads each record's varints in place and does the
 * arithmetic on doubles (bench:ingest's two consume-only phases compare both). Anything outside
 * that common case is handed to kafkajs' own record decoder: records with headers, an offset or
 * timestamp beyond 2^52, a timestamp delta longer than 7 varint bytes. Batch headers,
 * compression, legacy message sets, and the filtering of aborted transactions and control records
 * (in kafkajs' consumer) are kafkajs'.
 *
 * kafkajs has no hook for this: installFetchDecoder() replaces the `decode` of its Fetch v11
 * response module, the version it negotiates with Kafka 2.3 and later (Kafka 4 included), and
 * uses 8 of its private modules. So it does so only on the kafkajs version this decoder was
 * checked against (VERIFIED_KAFKAJS_VERSION, package.json pins it): any other version, or a
 * private module missing, keeps kafkajs' own decoder, with a warning. Both decoders give equal
 * responses: fetch-decoder.spec.ts checks it on batches encoded by kafkajs (and that it runs on
 * that version), test/e2e/kafka-fetch-decoder on a real broker.
 */

/** The kafkajs version the differential tests hold this decoder to; installFetchDecoder() patches no other. */
export const VERIFIED_KAFKAJS_VERSION = '2.2.4';

/** How Fetch responses are decoded (KAFKA_FETCH_DECODER): this module's decoder, or kafkajs' own. */
export const FETCH_DECODERS = ['patched', 'kafkajs'] as const;
export type FetchDecoderKind = (typeof FETCH_DECODERS)[number];

/** The kafkajs modules this decoder uses, loaded when it is installed (a kafkajs that moved one then keeps its own decoder). */
interface KafkajsInternals {
  Decoder: DecoderClass;
  RecordDecoder: (d: KafkaDecoder, ctx: BatchContext) => KafkaMessage;
  MessageSetDecoder: (d: KafkaDecoder, size: number) => Promise<KafkaMessage[]>;
  lookupCodecByAttributes(attributes: number): { decompress(b: Buffer): Promise<Buffer> } | null;
  KafkaJSPartialMessageError: new (m: string) => Error;
  TimestampTypes: { CREATE_TIME: number; LOG_APPEND_TIME: number };
  fetchV11Response: { decode(raw: Buffer): Promise<FetchResponse> };
  MAGIC_BYTE: number;
}

let loaded: KafkajsInternals | undefined;

/** kafkajs' private modules (throws when one is missing). */
function kafkajs(): KafkajsInternals {
  return (loaded ??= {
    Decoder: require('kafkajs/src/protocol/decoder') as DecoderClass,
    RecordDecoder: require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as KafkajsInternals['RecordDecoder'],
    MessageSetDecoder: require('kafkajs/src/protocol/messageSet/decoder') as KafkajsInternals['MessageSetDecoder'],
    lookupCodecByAttributes: (require('kafkajs/src/protocol/message/compression') as Pick<KafkajsInternals, 'lookupCodecByAttributes'>)
      .lookupCodecByAttributes,
    KafkaJSPartialMessageError: (require('kafkajs/src/errors') as Pick<KafkajsInternals, 'KafkaJSPartialMessageError'>)
      .KafkaJSPartialMessageError,
    TimestampTypes: require('kafkajs/src/protocol/timestampTypes') as KafkajsInternals['TimestampTypes'],
    fetchV11Response: require('kafkajs/src/protocol/requests/fetch/v11/response') as KafkajsInternals['fetchV11Response'],
    MAGIC_BYTE: (require('kafkajs/src/protocol/recordBatch/v0') as Pick<KafkajsInternals, 'MAGIC_BYTE'>).MAGIC_BYTE,
  });
}

/** The version of the kafkajs package installed (the one `require('kafkajs')` loads). */
export function installedKafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}

/** The decoder in use after installFetchDecoder(), and what puts kafkajs' own back. */
export interface InstalledFetchDecoder {
  decoder: FetchDecoderKind;
  restore(): void;
}

/**
 * Makes kafkajs decode Fetch v11 responses with this module's decoder when `requested` is
 * 'patched' and the installed kafkajs is VERIFIED_KAFKAJS_VERSION; otherwise leaves kafkajs' own,
 * telling `warn` why when the patch was asked for. Replaces it for the whole process: restore()
 * undoes it (idempotent).
 */
export function installFetchDecoder(requested: FetchDecoderKind, warn: (message: string) => void): InstalledFetchDecoder {
  const unpatched: InstalledFetchDecoder = { decoder: 'kafkajs', restore: () => undefined };
  if (requested === 'kafkajs') return unpatched;
  const version = installedKafkajsVersion();
  if (version !== VERIFIED_KAFKAJS_VERSION) {
    warn(`kafkajs ${version} is installed, the fetch decoder was verified on ${VERIFIED_KAFKAJS_VERSION}: kafkajs' own decoder is used`);
    return unpatched;
  }
  let response: KafkajsInternals['fetchV11Response'];
  try {
    response = kafkajs().fetchV11Response;
  } catch (e) {
    warn(`kafkajs ${version} lacks a module the fetch decoder uses (${(e as Error).message}): kafkajs' own decoder is used`);
    return unpatched;
  }
  const original = response.decode;
  response.decode = decodeFetchResponse;
  return {
    decoder: 'patched',
    restore: () => {
      response.decode = original;
    },
  };
}

interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): bigint;
  readString(): string;
  readBytes(size: number): Buffer;
  readAll(): Buffer;
  canReadBytes(n: number): boolean;
  slice(size: number): KafkaDecoder;
  forward(size: number): void;
  readArray<T>(reader: (d: KafkaDecoder) => T): T[];
  readArrayAsync<T>(reader: (d: KafkaDecoder) => Promise<T>): Promise<T[]>;
}
type DecoderClass = new (buffer: Buffer) => KafkaDecoder;

interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

/**
 * A message of a Fetch response as the decoders give it: kafkajs' own (records with headers,
 * legacy message sets), or a FetchedRecord, whose accessors give what kafkajs' fields hold.
 */
export type FetchedMessage = KafkaMessage | FetchedRecord;

interface FetchResponse {
  throttleTime: number;
  clientSideThrottleTime: number;
  errorCode: number;
  sessionId: number;
  responses: Array<{ topicName: string; partitions: unknown[] }>;
}

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
/** Where the magic byte is in a record batch and in a legacy message set alike. */
const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;
/** Bases below this plus 32-bit offset deltas and 7-byte (2^49) timestamp deltas stay safe integers. */
const SAFE_BASE = 2 ** 52;

/** kafkajs' Fetch v11 response decoding (fetch/v11/response.js), with decodeMessages below. */
export async function decodeFetchResponse(rawData: Buffer): Promise<FetchResponse> {
  const decoder = new (kafkajs().Decoder)(rawData);
  const clientSideThrottleTime = decoder.readInt32();
  const errorCode = decoder.readInt16();
  const sessionId = decoder.readInt32();
  const responses = await decoder.readArrayAsync(async (d) => ({
    topicName: d.readString(),
    partitions: await d.readArrayAsync(decodePartition),
  }));
  // As kafkajs: the broker did not throttle this request, the client is expected to.
  return { throttleTime: 0, clientSideThrottleTime, errorCode, sessionId, responses };
}

async function decodePartition(decoder: KafkaDecoder) {
  return {
    partition: decoder.readInt32(),
    errorCode: decoder.readInt16(),
    highWatermark: decoder.readInt64().toString(),
    lastStableOffset: decoder.readInt64().toString(),
    lastStartOffset: decoder.readInt64().toString(),
    abortedTransactions: decoder.readArray((d) => ({ producerId: d.readInt64().toString(), firstOffset: d.readInt64().toString() })),
    preferredReadReplica: decoder.readInt32(),
    messages: await decodeMessages(decoder),
  };
}

/** kafkajs' fetch/v4/decodeMessages.js, with decodeRecordBatch below. */
async function decodeMessages(decoder: KafkaDecoder): Promise<FetchedMessage[]> {
  const { Decoder, MAGIC_BYTE, MessageSetDecoder } = kafkajs();
  const messagesSize = decoder.readInt32();
  if (messagesSize <= 0 || !decoder.canReadBytes(messagesSize)) return [];
  const messagesBuffer = decoder.readBytes(messagesSize);
  const messagesDecoder = new Decoder(messagesBuffer);
  if (messagesBuffer.readInt8(MAGIC_OFFSET) !== MAGIC_BYTE) return MessageSetDecoder(messagesDecoder, messagesSize);
  const records: FetchedMessage[] = [];
  while (messagesDecoder.canReadBytes(RECORD_BATCH_OVERHEAD)) {
    try {
      for (const r of await decodeRecordBatch(messagesDecoder)) records.push(r);
    } catch (e) {
      // A fetch may end with a partial batch (maxBytes cuts it): the next fetch starts there.
      if ((e as Error).name === 'KafkaJSPartialMessageError') break;
      throw e;
    }
  }
  return records;
}

/** kafkajs' recordBatch/v0/decoder.js, with decodeRecords below; returns the records only. */
async function decodeRecordBatch(fetchDecoder: KafkaDecoder): Promise<FetchedMessage[]> {
  const { KafkaJSPartialMessageError, TimestampTypes, lookupCodecByAttributes } = kafkajs();
  const firstOffset = fetchDecoder.readInt64().toString();
  const length = fetchDecoder.readInt32();
  const decoder = fetchDecoder.slice(length);
  fetchDecoder.forward(length);
  if (decoder.buffer.length < length) {
    throw new KafkaJSPartialMessageError(
      `Tried to decode a partial record batch: remainingBytes(${decoder.buffer.length}) < recordBatchLength(${length})`,
    );
  }
  const partitionLeaderEpoch = decoder.readInt32();
  const magicByte = decoder.readInt8();
  decoder.readInt32(); // CRC, not checked (as kafkajs)
  const attributes = decoder.readInt16();
  const lastOffsetDelta = decoder.readInt32();
  const firstTimestamp = decoder.readInt64().toString();
  const maxTimestamp = decoder.readInt64().toString();
  const producerId = decoder.readInt64().toString();
  const producerEpoch = decoder.readInt16();
  const firstSequence = decoder.readInt32();
  const context: BatchContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? TimestampTypes.LOG_APPEND_TIME : TimestampTypes.CREATE_TIME,
    magicByte,
  };
  const codec = lookupCodecByAttributes(attributes);
  const count = decoder.readInt32();
  if (!codec) return count === -1 ? [] : decodeRecords(decoder.buffer, decoder.offset, count, context);
  if (count <= 0) return [];
  return decodeRecords(await codec.decompress(decoder.readAll()), 0, count, context);
}

/**
 * A record decoded in place: kafkajs' message, with `key`, `value`, `timestamp` and `headers` made
 * on first read (then kept), not per record. Reading them is all a consumer needs, and one that
 * reads only part (the ingestor packs values straight from `sourceBuffer`) saves two Buffer views,
 * a string and an object per record on the Kafka thread. They are accessors: a spread or
 * Object.assign copy of a record does not carry them.
 */
export class FetchedRecord {
  readonly magicByte: number;
  readonly isControlRecord: boolean;
  private keyView: Buffer | null | undefined = undefined;
  private valueView: Buffer | null | undefined = undefined;
  private headerObject: Record<string, never> | undefined = undefined;

  constructor(
    /** The buffer holding the record's bytes (the fetch response, or a decompressed batch). */
    readonly sourceBuffer: Buffer,
    readonly attributes: number,
    readonly offset: string,
    private readonly timestampDelta: number,
    private readonly keyStart: number,
    /** -1: a null key. */
    private readonly keyLength: number,
    /** Where the value lies in `sourceBuffer`... */
    readonly valueStart: number,
    /** ...and its length, -1 for a null value. */
    readonly valueLength: number,
    readonly batchContext: BatchContext,
  ) {
    this.magicByte = batchContext.magicByte;
    this.isControlRecord = batchContext.isControlBatch;
  }

  get key(): Buffer | null {
    if (this.keyView === undefined) this.keyView = this.view(this.keyStart, this.keyLength);
    return this.keyView;
  }

  get value(): Buffer | null {
    if (this.valueView === undefined) this.valueView = this.view(this.valueStart, this.valueLength);
    return this.valueView;
  }

  /** As kafkajs: the batch's max timestamp under log-append time, else the first timestamp plus the delta. */
  get timestamp(): string {
    const c = this.batchContext;
    if (c.timestampType === kafkajs().TimestampTypes.LOG_APPEND_TIME && c.maxTimestamp) return c.maxTimestamp;
    return String(Number(c.firstTimestamp) + this.timestampDelta);
  }

  /** Records with headers are kafkajs' (decodeRecords): these have none. */
  get headers(): Record<string, never> {
    return (this.headerObject ??= {});
  }

  private view(start: number, length: number): Buffer | null {
    return length === -1 ? null : this.sourceBuffer.subarray(start, start + length);
  }
}

/** Read position in the buffer decodeRecords is reading (module state: no allocation per varint). */
let at = 0;

/** `count` records from buffer[pos...], each as kafkajs' record/v0/decoder.js gives it. */
function decodeRecords(buffer: Buffer, pos: number, count: number, context: BatchContext): FetchedMessage[] {
  const { Decoder, RecordDecoder } = kafkajs();
  const records = new Array<FetchedMessage>(count);
  const baseOffset = Number(context.firstOffset);
  const baseTimestamp = Number(context.firstTimestamp);
  const safeBases = Math.abs(baseOffset) < SAFE_BASE && Math.abs(baseTimestamp) < SAFE_BASE;
  at = pos;
  for (let i = 0; i < count; i++) {
    // Record: length, attributes, timestampDelta, offsetDelta, key, value, headers.
    const length = readVarInt(buffer);
    const start = at;
    at++; // attributes, read below from `start` when the record is built here
    const timestampDelta = readVarLong(buffer);
    const offsetDelta = readVarInt(buffer);
    const keyLength = readVarInt(buffer);
    const keyStart = at;
    if (keyLength > 0) at += keyLength;
    const valueLength = readVarInt(buffer);
    const valueStart = at;
    if (valueLength > 0) at += valueLength;
    // Headers are left to kafkajs: an empty header array is the single varint 0.
    if (!safeBases || timestampDelta === undefined || buffer[at] !== 0) {
      records[i] = RecordDecoder(new Decoder(buffer.subarray(start, start + length)), context);
    } else {
      const attributes = (buffer[start] << 24) >> 24;
      const offset = String(baseOffset + offsetDelta);
      records[i] = new FetchedRecord(buffer, attributes, offset, timestampDelta, keyStart, keyLength, valueStart, valueLength, context);
    }
    at = start + length;
  }
  return records;
}

/** A zigzag varint (32-bit), read as kafkajs' Decoder#readVarInt reads it. */
function readVarInt(buffer: Buffer): number {
  let byte: number;
  let raw = 0;
  let shift = 0;
  do {
    byte = buffer[at++];
    raw += (byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80);
  return (raw >>> 1) ^ -(raw & 1);
}

/** A zigzag varlong as a double, or undefined past 7 bytes (2^49), where a double could lose digits. */
function readVarLong(buffer: Buffer): number | undefined {
  let byte: number;
  let raw = 0;
  let scale = 1;
  let bytes = 0;
  do {
    byte = buffer[at++];
    raw += (byte & 0x7f) * scale;
    scale *= 128;
    bytes++;
  } while (byte >= 0x80);
  if (bytes > 7) return undefined;
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}
