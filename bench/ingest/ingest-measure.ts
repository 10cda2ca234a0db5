/**
 * bench:ingest, measures: the consume-only ceiling, the ingestor's /progress until it caught up,
 * its CPU and memory from /proc, and the end-to-end latency of paced sales (ingest.bench.ts
 * describes the run).
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, withConnection } from '@app/delta';
import { offsetAppId } from '@app/ingest';
import { installFetchDecoder } from '@app/kafka';
import { Partitioners } from 'kafkajs';
import { mib, round } from '../delta/common';
import { APP_ID, highWatermarks, Ingestor, kafka, log, newGenerator, PARTITIONS, sleep, sumOf } from './ingest-setup';

// ---------------------------------------------------------------------------------------------
// /proc sampling
// ---------------------------------------------------------------------------------------------

export function procStatusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export const CLK_TCK = 100;
/** CPU seconds (user + system, all threads) of a process. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Machine-wide CPU jiffies: busy and total, to report how saturated the 2 cores were. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** MEM_BREAKDOWN=1: V8 heap and external memory from the ingestor's /metrics (prom-client defaults), max seen. */
export class HeapWatch {
  max = { heapTotalMB: 0, heapUsedMB: 0, externalMB: 0, rssMB: 0 };
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly app: Ingestor,
    everyMs = 500,
  ) {
    if (process.env.MEM_BREAKDOWN === '1') this.timer = setInterval(() => void this.sample().catch(() => undefined), everyMs);
  }
  private async sample(): Promise<void> {
    const text = String((await this.app.get('/metrics')).body);
    const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0) / 1048576;
    const now = {
      heapTotalMB: metric('nodejs_heap_size_total_bytes'),
      heapUsedMB: metric('nodejs_heap_size_used_bytes'),
      externalMB: metric('nodejs_external_memory_bytes'),
      rssMB: metric('process_resident_memory_bytes'),
    };
    for (const k of Object.keys(now) as Array<keyof typeof now>) this.max[k] = Math.max(this.max[k], round(now[k], 1));
  }
  stop(): Record<string, number> | undefined {
    if (!this.timer) return undefined;
    clearInterval(this.timer);
    return this.max;
  }
}

export class RssWatch {
  peakKb = 0;
  samples = 0;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    const kb = procStatusKb(this.pid, 'VmRSS');
    this.samples++;
    if (kb > this.peakKb) this.peakKb = kb;
    return kb;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakKb;
  }
}

/** A kafkajs consumer that only counts, with kafkajs' Fetch decoder or libs/kafka's; same fetch settings as the ingestor's consumer. */
export async function consumeOnly(
  brokers: string,
  topic: string,
  hw: Record<number, number>,
  maxBytesPerPartition: number,
  fetchDecoder: 'kafkajs' | 'libs/kafka',
): Promise<Record<string, unknown>> {
  const target = sumOf(hw);
  const installed = installFetchDecoder(fetchDecoder === 'libs/kafka' ? 'patched' : 'kafkajs', (warning) =>
    log(`consume-only: ${warning}`),
  );
  const consumer = kafka(brokers, 'bench-consume-only').consumer({
    groupId: `bench-consume-only-${Date.now()}`,
    sessionTimeout: 30000,
    heartbeatInterval: 3000,
    maxBytesPerPartition,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let bytes = 0;
  let batches = 0;
  let first = 0;
  let last = 0;
  const cpu0 = process.cpuUsage();
  const tRun = performance.now();
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      if (!first) first = performance.now();
      batches++;
      for (const m of batch.messages) {
        count++;
        bytes += m.value?.length ?? 0;
      }
      if (count >= target && !last) {
        last = performance.now();
        resolveDone();
      }
    },
  });
  await done;
  const cpu = process.cpuUsage(cpu0);
  await consumer.disconnect();
  installed.restore();
  const seconds = (last - first) / 1000;
  return {
    rows: count,
    batches,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(count / seconds),
    secondsIncludingGroupJoin: round((last - tRun) / 1000, 2),
    cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
    payloadMiB: mib(bytes),
    settings: { maxBytesPerPartition, partitionsConsumedConcurrently: PARTITIONS, fetchDecoder },
  };
}

// ---------------------------------------------------------------------------------------------
// Ingestor process and its /progress
// ---------------------------------------------------------------------------------------------

export interface BatchProgress {
  batchId: number;
  timestamp: string;
  numInputRows: number;
  durationMs: { getBatch: number; addBatch: number; commitOffsets: number; triggerExecution: number };
  sink: { deltaVersion: number; numOutputRows: number };
}

export interface Progress {
  recentProgress: BatchProgress[];
  lag: Record<string, number>;
  committedOffsets: Record<string, number>;
  bronzeVersion: number;
}

export async function getProgress(app: Ingestor, limit: number): Promise<Progress> {
  const res = await app.get(`/progress?limit=${limit}`);
  if (res.status !== 200) throw new Error(`/progress answered ${res.status}`);
  return res.body as Progress;
}

export const caughtUp = (p: Progress, hw: Record<number, number>) =>
  Object.entries(hw).every(([part, h]) => (p.committedOffsets[part] ?? -1) >= h - 1);

/** Polls /progress until every partition's committed offset reaches the high watermark; collects every batch seen. */
export async function waitCommitted(
  app: Ingestor,
  hw: Record<number, number>,
  batches: Map<number, BatchProgress>,
  opts: { everyMs: number; timeoutMs: number; onFirstInput?: () => void },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let sawInput = false;
  for (;;) {
    if (app.proc.exitCode !== null) throw new Error(`the ingestor exited with ${app.proc.exitCode}:\n${app.logs.join('').slice(-3000)}`);
    const p = await getProgress(app, 20);
    for (const b of p.recentProgress) batches.set(b.batchId, b);
    if (!sawInput && Object.keys(p.lag).length > 0) {
      sawInput = true;
      opts.onFirstInput?.();
    }
    if (caughtUp(p, hw)) return;
    if (Date.now() > deadline)
      throw new Error(
        `not caught up after ${opts.timeoutMs} ms: committed ${JSON.stringify(p.committedOffsets)}, high watermarks ${JSON.stringify(hw)}`,
      );
    await sleep(sawInput ? opts.everyMs : 20);
  }
}

export const batchEnd = (b: BatchProgress) => Date.parse(b.timestamp) + b.durationMs.triggerExecution;

export function batchStats(batches: BatchProgress[]): Record<string, unknown> {
  const sum = (f: (b: BatchProgress) => number) => batches.reduce((n, b) => n + f(b), 0);
  const rows = batches.map((b) => b.numInputRows).sort((a, b) => a - b);
  return {
    count: batches.length,
    rowsPerBatch: { min: rows[0] ?? 0, median: rows[rows.length >> 1] ?? 0, max: rows[rows.length - 1] ?? 0 },
    totalMs: {
      getBatch: sum((b) => b.durationMs.getBatch),
      addBatch: sum((b) => b.durationMs.addBatch),
      commitOffsets: sum((b) => b.durationMs.commitOffsets),
      triggerExecution: sum((b) => b.durationMs.triggerExecution),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Latency phases
// ---------------------------------------------------------------------------------------------

/** Sends `rate` sales per second for `seconds`, each carrying its send time as `timestamp`. */
export async function producePaced(
  brokers: string,
  topic: string,
  rate: number,
  seconds: number,
  instance: number,
): Promise<{ sent: number; seconds: number }> {
  const producer = kafka(brokers, 'bench-latency').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const gen = newGenerator(instance);
  const total = Math.round(rate * seconds);
  const tickMs = Math.max(5, Math.min(1000 / rate, 100));
  let sent = 0;
  const t0 = Date.now();
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
      if (due > sent) {
        const at = new Date(); // the send time, carried in every sale of this send
        const messages = Array.from({ length: due - sent }, () => {
          const sale = gen.next(at);
          return { key: String(sale.client_id), value: JSON.stringify(sale) };
        });
        sent = due;
        await producer.send({ topic, acks: -1, messages });
      } else {
        await sleep(Math.min(tickMs, t0 + (sent / rate) * 1000 - Date.now()));
      }
    }
  } finally {
    await producer.disconnect();
  }
  return { sent, seconds: (Date.now() - t0) / 1000 };
}

export interface CommitEntry {
  version: number;
  timestamp: number;
  fileMtimeMs: number;
  offsets: Map<number, number>;
  numOutputRows: number;
}

export function readCommitEntry(tableDir: string, version: number, topic: string): CommitEntry {
  const file = path.join(tableDir, '_delta_log', `${String(version).padStart(20, '0')}.json`);
  const entry: CommitEntry = { version, timestamp: 0, fileMtimeMs: statSync(file).mtimeMs, offsets: new Map(), numOutputRows: 0 };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const a = JSON.parse(line);
    if (a.commitInfo) {
      entry.timestamp = a.commitInfo.timestamp;
      entry.numOutputRows = Number(a.commitInfo.operationMetrics?.numOutputRows ?? 0);
    }
    if (a.txn) {
      for (let p = 0; p < PARTITIONS; p++) if (a.txn.appId === offsetAppId(APP_ID, topic, p)) entry.offsets.set(p, a.txn.version);
    }
  }
  return entry;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Rows of offsets [from[p], to[p]) from the bronze table, each mapped to the first version after
 * `afterVersion` whose txn offset for its partition covers it; latency = commit time - send time.
 */
export async function measureLatency(
  tableDir: string,
  topic: string,
  from: Record<number, number>,
  to: Record<number, number>,
  afterVersion: number,
): Promise<Record<string, unknown>> {
  const table = await DeltaTable.open(tableDir);
  const commits: CommitEntry[] = [];
  for (let v = afterVersion + 1; v <= table.version; v++) commits.push(readCommitEntry(tableDir, v, topic));
  const plan = await table.scan();
  const where = Object.keys(from)
    .map((p) => `(kafka_partition = ${p} AND kafka_offset >= ${from[Number(p)]} AND kafka_offset < ${to[Number(p)]})`)
    .join(' OR ');
  const rows = await withConnection(async (conn) => {
    const r = await conn.runAndReadAll(
      `SELECT kafka_partition AS p, kafka_offset AS o, epoch_ms("timestamp") AS sent FROM (${plan.sql}) WHERE ${where} ORDER BY p, o`,
    );
    return r.getRowObjectsJS() as Array<{ p: number; o: bigint; sent: bigint }>;
  });
  const expected = Object.keys(from).reduce((n, p) => n + to[Number(p)] - from[Number(p)], 0);
  const latencies: number[] = [];
  const perVersion = new Map<number, number>();
  let unmapped = 0;
  let maxMtimeSkew = 0;
  for (const r of rows) {
    const o = Number(r.o);
    const c = commits.find((e) => (e.offsets.get(r.p) ?? -1) >= o);
    if (!c) {
      unmapped++;
      continue;
    }
    perVersion.set(c.version, (perVersion.get(c.version) ?? 0) + 1);
    latencies.push(c.timestamp - Number(r.sent));
    maxMtimeSkew = Math.max(maxMtimeSkew, Math.abs(c.fileMtimeMs - c.timestamp));
  }
  const mismatched = [...perVersion].filter(([v, n]) => commits.find((c) => c.version === v)!.numOutputRows !== n).length;
  latencies.sort((a, b) => a - b);
  return {
    events: expected,
    rowsFound: rows.length,
    unmapped,
    versions: perVersion.size,
    versionsWithRowCountMismatch: mismatched,
    maxCommitFileMtimeSkewMs: Math.round(maxMtimeSkew),
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1],
      min: latencies[0],
      mean: Math.round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    },
  };
}

export async function latencyPhase(
  name: string,
  brokers: string,
  topic: string,
  app: Ingestor,
  tableDir: string,
  rate: number,
  seconds: number,
  instance: number,
): Promise<Record<string, unknown>> {
  const before = await highWatermarks(brokers, topic);
  const versionBefore = (await getProgress(app, 1)).bronzeVersion;
  const rss = new RssWatch(app.proc.pid!);
  log(`${name}: producing ${rate}/s for ${seconds} s (${Math.round(rate * seconds)} events)`);
  const produced = await producePaced(brokers, topic, rate, seconds, instance);
  const after = await highWatermarks(brokers, topic);
  await waitCommitted(app, after, new Map(), { everyMs: 100, timeoutMs: 120_000 });
  const peak = rss.stop();
  const lat = await measureLatency(tableDir, topic, before, after, versionBefore);
  return {
    name,
    ratePerSecond: rate,
    seconds,
    sent: produced.sent,
    sendSeconds: round(produced.seconds, 2),
    peakRssMB: round(peak / 1024, 1),
    ...lat,
  };
}

// ---------------------------------------------------------------------------------------------

export async function countTable(dir: string): Promise<{ rows: number; distinctOffsets: number }> {
  const table = await DeltaTable.open(dir);
  const plan = await table.scan();
  return withConnection(async (conn) => {
    const r = await conn.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS d FROM (${plan.sql})`);
    const [row] = r.getRowObjectsJS() as Array<{ n: bigint; d: bigint }>;
    return { rows: Number(row.n), distinctOffsets: Number(row.d) };
  });
}
