import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, QUARANTINE_TABLE, SalesEvent, tableLocation } from '@app/schemas';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { ensureTopic } from '@app/kafka';
import { waitFor } from './app-process';

let instance = 0;

/** Sales with unique ids; each call site gets its own id instance so tests never collide. */
export function makeSales(n: number, at = new Date()): SalesEvent[] {
  const gen = new SalesGenerator({ clients: 50, products: 20 }, new SaleIdGenerator(instance++ % 16), 42 + instance);
  return Array.from({ length: n }, () => gen.next(at));
}

export async function createTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  await ensureTopic([brokers], topic, partitions);
}

/**
 * Publishes raw values (already serialised, or bytes) and sales (as JSON): keyed by client id where
 * there is one, or all to `partition`, in order, when it is given.
 */
export async function publish(brokers: string, topic: string, values: Array<string | Buffer | SalesEvent>, partition?: number): Promise<void> {
  const producer = new Kafka({ clientId: 'e2e-test', brokers: [brokers], logLevel: logLevel.NOTHING }).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 5000) {
      await producer.send({
        topic,
        acks: -1,
        messages: values.slice(i, i + 5000).map((v) => {
          const raw = typeof v === 'string' || Buffer.isBuffer(v);
          const value = raw ? v : JSON.stringify(v);
          if (partition !== undefined) return { partition, value };
          return raw ? { key: null, value } : { key: String(v.client_id), value };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export async function readTable(root: string, which: 'bronze' | 'quarantine') {
  const table = await DeltaTable.open(tableLocation(root, which === 'bronze' ? BRONZE_TABLE : QUARANTINE_TABLE));
  return table.readRows();
}

/** vente_id -> how many bronze rows carry it. */
export async function bronzeIdCounts(root: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await readTable(root, 'bronze').catch(() => [])) {
    const id = String(r.vente_id);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Waits until bronze holds `expected` rows or more; resolves to their bronzeIdCounts. */
export async function waitForBronzeRows(root: string, expected: number, timeoutMs = 120_000): Promise<Map<string, number>> {
  return waitFor(`${expected} bronze rows`, async () => {
    const counts = await bronzeIdCounts(root);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return total >= expected ? counts : undefined;
  }, timeoutMs, 500);
}

export function expectExactlyOnce(counts: Map<string, number>, sales: SalesEvent[]): void {
  const missing = sales.filter((s) => !counts.has(String(s.vente_id)));
  const duplicated = [...counts].filter(([, n]) => n > 1);
  const expectedIds = new Set(sales.map((s) => String(s.vente_id)));
  const unexpected = [...counts.keys()].filter((id) => !expectedIds.has(id));
  if (missing.length || duplicated.length || unexpected.length) {
    throw new Error(`exactly-once violated: ${missing.length} missing, ${duplicated.length} duplicated, ${unexpected.length} unexpected (e.g. ${JSON.stringify([missing[0]?.vente_id, duplicated[0], unexpected[0]])})`);
  }
}
