/**
 * libs/kafka's Fetch decoder on the real broker: a topic with plain, gzip-compressed and
 * header-carrying batches, null keys and values, read once with kafkajs' own decoder and once
 * with ours, gives the same messages (ours as kafkajs' plain objects: a FetchedRecord's key,
 * value, timestamp and headers are accessors).
 */
import { randomUUID } from 'node:crypto';
import { CompressionTypes, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { FetchedMessage, FetchedRecord, installFetchDecoder } from '@app/kafka';
import { ensureBroker } from '../support/kafka-broker';
import { createTopic } from '../support/sales';

jest.setTimeout(120_000);

let brokers: string;

beforeAll(async () => {
  brokers = await ensureBroker();
});

function plain(m: FetchedMessage): KafkaMessage {
  if (!(m instanceof FetchedRecord)) return m;
  const { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext } = m;
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord, batchContext } as KafkaMessage;
}

/** Every message of the topic, by partition, read from the beginning by a new consumer group. */
async function readAll(topic: string, expected: number): Promise<Record<number, KafkaMessage[]>> {
  const kafka = new Kafka({ clientId: 'fetch-decoder-e2e', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-${randomUUID().slice(0, 8)}`, maxBytesPerPartition: 4096 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const byPartition: Record<number, KafkaMessage[]> = {};
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          (byPartition[batch.partition] ??= []).push(...batch.messages.map(plain));
          count += batch.messages.length;
          if (count >= expected) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return byPartition;
}

it('reads what kafkajs reads, on a real broker', async () => {
  const topic = `fetch-decoder-${randomUUID().slice(0, 8)}`;
  await createTopic(brokers, topic, 2);
  const producer = new Kafka({ clientId: 'fetch-decoder-e2e', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const plain = Array.from({ length: 300 }, (_, i) => ({
    key: `c${i % 7}`,
    value: JSON.stringify({ vente_id: `v-${i}`, pays: 'Côte d’Ivoire' }),
  }));
  await producer.send({ topic, messages: plain });
  await producer.send({ topic, compression: CompressionTypes.GZIP, messages: plain.slice(0, 120) });
  await producer.send({
    topic,
    messages: [
      { key: null, value: 'no key' },
      { key: 'c1', value: null },
      { key: 'c2', value: '', headers: { trace: 'a', source: ['x', 'y'] } },
    ],
  });
  await producer.disconnect();
  const total = 300 + 120 + 3;

  const kafkajs = await readAll(topic, total);
  const installed = installFetchDecoder('patched', (warning) => {
    throw new Error(warning);
  });
  expect(installed.decoder).toBe('patched');
  let ours: Record<number, KafkaMessage[]>;
  try {
    ours = await readAll(topic, total);
  } finally {
    installed.restore();
  }
  expect(Object.values(ours).flat()).toHaveLength(total);
  expect(ours).toStrictEqual(kafkajs);
});
