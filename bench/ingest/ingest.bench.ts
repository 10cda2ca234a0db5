/**
 * Kafka -> bronze ingestion benchmark, against the real broker and the real ingestor app.
 *
 *  1. prefill:      a fresh topic (3 partitions) gets TOTAL (default 1,000,000) sales, keyed by
 *                   client_id like apps/producer, acks=-1, no compression, several sends in flight.
 *  2. consume-only: the ceiling. Plain kafkajs, fresh group, fromBeginning, eachBatch that only
 *                   counts messages, with the ingestor's consumer settings (maxBytesPerPartition
 *                   FETCH_MAX_BYTES_PER_PARTITION of apps/bronze-ingestor, 1 MiB;
 *                   partitionsConsumedConcurrently 3). Rate = TOTAL / (last message - first batch).
 *                   Run before the ingest phase and again after it; the issue's target is against
 *                   the mean of the two (this machine's speed drifts by ±15% within minutes). A
 *                   second run decodes the fetches with libs/kafka's Fetch decoder, as the ingestor
 *                   does (kafkajs' decoder costs about twice its CPU): the stricter ceiling, also
 *                   reported. bench:ingest-series repeats these phases and gives the median ratio.
 *  3. ingest:       apps/bronze-ingestor as a child process (see RUNTIME below), fresh
 *                   LAKEHOUSE_ROOT and group. /progress is polled; the clock starts when the
 *                   ingestor reports a first high watermark (its first batch reached accept()) and
 *                   stops at the end of the micro-batch whose committedOffsets reach the topic's
 *                   high watermarks (that batch's timestamp + durationMs.triggerExecution). RSS:
 *                   /proc/<pid>/status VmRSS sampled every 100 ms, plus VmHWM.
 *  4. latency:      same ingestor, now caught up; sales are produced at SLOW_PER_MIN (default 30 a
 *                   minute) for SLOW_SECONDS (60) and at FAST_RATE (2,000/s) for FAST_SECONDS (20).
 *                   Each sale's own `timestamp` is its send time (ms). Latency of a row =
 *                   commitInfo.timestamp of the bronze version that committed it - send time.
 *
 * How a row is mapped to its commit: the ingestor commits, with every bronze version, one `txn`
 * action per Kafka partition in the batch whose version is the last offset written (inclusive),
 * and offsets of a partition are committed in order and exactly once. So the row at
 * (partition p, offset o) was made visible by the first version whose txn for p is >= o. The rows
 * themselves (partition, offset, send time) are read back from the bronze table (DeltaTable.open +
 * scan, filtered to the phase's offsets), which also checks every sent event landed; the commit
 * timestamps and txns come from the _delta_log JSON of each version. Cross-check: the rows
 * mapped to each version must equal its operationMetrics.numOutputRows.
 *
 *   npm run bench:ingest
 *   env: TOTAL, SLOW_PER_MIN, SLOW_SECONDS, FAST_RATE, FAST_SECONDS, PHASES=all|throughput,
 *        FLUSH_MAX_ROWS / FLUSH_MAX_BYTES / FLUSH_MAX_LATENCY / COMPACT_EVERY_COMMITS /
 *        WATERMARK_DELAY / DUCKDB_THREADS (passed to the ingestor; unset = the app's defaults),
 *        REUSE_TOPIC=<topic> (skip the prefill),
 *        MEM_BREAKDOWN=1 (max V8 heap / external memory of the ingestor from its /metrics),
 *        RUNTIME=ts-node (the app under ts-node, as in development, instead of the default: the tsc
 *        build run by node with the bronze-ingestor image's CMD flags, as the Docker image runs it),
 *        INGEST_NODE_OPTIONS (extra node flags for the ingestor, e.g. --max-old-space-size=160),
 *        BENCH_RESULT=<name> (bench/results/<name>.json instead of ingest.json, for variants),
 *        INGEST_CPU_PROF=<dir> (V8 CPU profile of the ingestor, written at its SIGTERM by
 *        cpu-prof-hook.js), INGEST_LOG=<file> (the ingestor's stdout and stderr, e.g. with
 *        INGEST_NODE_OPTIONS=--trace-gc), BENCH_TMP, BENCH_KEEP=1 (keep topic and lakehouse),
 *        BENCH_LAKEHOUSE_ROOT (the tables elsewhere than a temp folder, e.g. s3://bucket/prefix).
 *
 * Latency phases: the 30/min phase's peak RSS still includes what the 1M backlog left resident.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, Partitioners } from 'kafkajs';
import { DeltaTable, withConnection } from '@app/delta';
import { offsetAppId } from '@app/ingest';
import { kafkaClientConfig, useFastFetchDecoding } from '@app/kafka';
import { BRONZE_TABLE, QUARANTINE_TABLE, tableLocation } from '@app/schemas';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { BRONZE_ENV } from '../../apps/bronze-ingestor/src/config';
import { FETCH_MAX_BYTES_PER_PARTITION } from '../../apps/bronze-ingestor/src/bronze.module';
import { spawn, spawnSync } from 'node:child_process';
import { AppProcess, freePort } from '../../test/support/app-process';
import { ensureBroker } from '../../test/support/kafka-broker';
import { createTopic } from '../../test/support/sales';
import { fmtInt, loadWarning, mib, printTable, removeDir, round, tempDir, writeResult } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const TOTAL = env('TOTAL', 1_000_000);
const PARTITIONS = 3;
const SLOW_PER_MIN = env('SLOW_PER_MIN', 30);
const SLOW_SECONDS = env('SLOW_SECONDS', 60);
const FAST_RATE = env('FAST_RATE', 2000);
const FAST_SECONDS = env('FAST_SECONDS', 20);
const PHASES = process.env.PHASES ?? 'all';
const TARGET_ROWS_PER_S = 50_000;
const TARGET_RATIO = 0.5;
const TARGET_RSS_MB = 300;
const APP_ID = 'bench-ingest';
/** The ingestor's settings a run may change from the environment (unset: the app's defaults); each run reports them. */
const INGESTOR_VARS = ['FLUSH_MAX_ROWS', 'FLUSH_MAX_BYTES', 'FLUSH_MAX_LATENCY', 'COMPACT_EVERY_COMMITS', 'WATERMARK_DELAY', 'DUCKDB_THREADS'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

// ---------------------------------------------------------------------------------------------
// /proc sampling
// ---------------------------------------------------------------------------------------------

function procStatusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const CLK_TCK = 100;
/** CPU seconds (user + system, all threads) of a process. */
function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Machine-wide CPU jiffies: busy and total, to report how saturated the 2 cores were. */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** MEM_BREAKDOWN=1: V8 heap and external memory from the ingestor's /metrics (prom-client defaults), max seen. */
class HeapWatch {
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

class RssWatch {
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

// ---------------------------------------------------------------------------------------------
// The ingestor process: the tsc build run by node with the image's flags (default), or AppProcess (RUNTIME=ts-node)
// ---------------------------------------------------------------------------------------------

type Ingestor = Pick<AppProcess, 'proc' | 'logs' | 'get' | 'waitHealthy' | 'stop'>;

const ROOT = path.resolve(__dirname, '../..');

/** tsc of apps/bronze-ingestor (and the libs it includes) into `outDir`, like `nest build` does for the image. */
function compileIngestor(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const res = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'apps/bronze-ingestor/tsconfig.app.json', '--outDir', outDir, '--sourceMap', 'false'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`tsc failed:\n${res.stdout}${res.stderr}`);
}

/** How the bronze-ingestor image runs the app (Dockerfile): its CMD's node options and its ENV, so the compiled run is the deployed one. */
function imageRuntime(): { nodeOptions: string[]; env: Record<string, string> } {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const from = dockerfile.indexOf('AS bronze-ingestor');
  const next = dockerfile.indexOf('\nFROM ', from);
  const stage = dockerfile.slice(from, next === -1 ? undefined : next);
  const argv = JSON.parse(/^CMD (\[.*\])$/m.exec(stage)![1]) as string[];
  const env: Record<string, string> = {};
  for (const [, line] of stage.matchAll(/^ENV (.*)$/gm)) {
    for (const pair of line.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return { nodeOptions: argv.slice(1, -1), env };
}

/** `node <image flags> main.js`; @app/* aliases resolved by tsconfig-paths against the build folder (no TypeScript loaded). */
class CompiledApp implements Ingestor {
  readonly logs: string[] = [];
  private readonly exited: Promise<number | null>;
  private constructor(
    readonly proc: ReturnType<typeof spawn>,
    private readonly port: number,
  ) {
    proc.stdout!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    proc.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }
  static async start(buildDir: string, env: Record<string, string>, image: ReturnType<typeof imageRuntime>): Promise<CompiledApp> {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [...image.nodeOptions, '-r', 'tsconfig-paths/register', path.join(buildDir, 'apps/bronze-ingestor/src/main.js')],
      {
        cwd: ROOT,
        // NODE_PATH: the build folder is outside the repo, its bare requires resolve to the repo's node_modules.
        env: {
          ...process.env,
          ...image.env,
          TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
          TS_NODE_BASEURL: buildDir,
          NODE_PATH: path.join(ROOT, 'node_modules'),
          LOG_LEVEL: 'log',
          // The bench reads only open routes (/health, /progress, /metrics): no keys file to make.
          AUTH_DISABLED: 'true',
          ...env,
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new CompiledApp(proc, port);
  }
  async get(pathname: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${pathname}`);
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  }
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null)
        throw new Error(`bronze-ingestor exited with ${this.proc.exitCode}:\n${this.logs.join('').slice(-3000)}`);
      if ((await this.get('/health').catch(() => undefined))?.status === 200) return;
      await sleep(250);
    }
    throw new Error(`bronze-ingestor not healthy after ${timeoutMs} ms:\n${this.logs.join('').slice(-3000)}`);
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka helpers
// ---------------------------------------------------------------------------------------------

function kafka(brokers: string, clientId: string): Kafka {
  return new Kafka(kafkaClientConfig(clientId, [brokers]));
}

async function highWatermarks(brokers: string, topic: string): Promise<Record<number, number>> {
  const admin = kafka(brokers, 'bench-admin').admin();
  await admin.connect();
  try {
    // A broker just (re)started elects the reused topic's leaders a moment after it is ready.
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return Object.fromEntries(offsets.map((o) => [o.partition, Number(o.high)]));
      } catch (e) {
        if (attempt === 20 || !(e as { retriable?: boolean }).retriable) throw e;
        await sleep(500);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

const sumOf = (r: Record<number, number>) => Object.values(r).reduce((a, b) => a + b, 0);

function newGenerator(instance: number): SalesGenerator {
  return new SalesGenerator({ clients: 1000, products: 20 }, new SaleIdGenerator(instance), 42 + instance);
}

/** TOTAL sales, generated in chunks (never all in memory) and sent with `inFlight` sends outstanding. */
async function prefill(brokers: string, topic: string, total: number): Promise<Record<string, unknown>> {
  const producer = kafka(brokers, 'bench-prefill').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const gen = newGenerator(1);
  const chunk = 10_000;
  const inFlight = 4;
  let bytes = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      const n = Math.min(chunk, total - next);
      next += n;
      const at = new Date();
      const messages = new Array(n);
      for (let i = 0; i < n; i++) {
        const sale = gen.next(at);
        const value = JSON.stringify(sale);
        bytes += value.length;
        messages[i] = { key: String(sale.client_id), value };
      }
      await producer.send({ topic, acks: -1, messages });
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    rows: total,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(total / seconds),
    payloadMiB: mib(bytes),
    avgMessageBytes: Math.round(bytes / total),
  };
}

/** A kafkajs consumer that only counts, with kafkajs' Fetch decoder or libs/kafka's; same fetch settings as the ingestor's consumer. */
async function consumeOnly(
  brokers: string,
  topic: string,
  hw: Record<number, number>,
  maxBytesPerPartition: number,
  fetchDecoder: 'kafkajs' | 'libs/kafka',
): Promise<Record<string, unknown>> {
  const target = sumOf(hw);
  const restoreDecoder = fetchDecoder === 'libs/kafka' ? useFastFetchDecoding() : () => undefined;
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
  restoreDecoder();
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

interface BatchProgress {
  batchId: number;
  timestamp: string;
  numInputRows: number;
  durationMs: { getBatch: number; addBatch: number; commitOffsets: number; triggerExecution: number };
  sink: { deltaVersion: number; numOutputRows: number };
}

interface Progress {
  recentProgress: BatchProgress[];
  lag: Record<string, number>;
  committedOffsets: Record<string, number>;
  bronzeVersion: number;
}

async function getProgress(app: Ingestor, limit: number): Promise<Progress> {
  const res = await app.get(`/progress?limit=${limit}`);
  if (res.status !== 200) throw new Error(`/progress answered ${res.status}`);
  return res.body as Progress;
}

const caughtUp = (p: Progress, hw: Record<number, number>) =>
  Object.entries(hw).every(([part, h]) => (p.committedOffsets[part] ?? -1) >= h - 1);

/** Polls /progress until every partition's committed offset reaches the high watermark; collects every batch seen. */
async function waitCommitted(
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

const batchEnd = (b: BatchProgress) => Date.parse(b.timestamp) + b.durationMs.triggerExecution;

function batchStats(batches: BatchProgress[]): Record<string, unknown> {
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
async function producePaced(
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

interface CommitEntry {
  version: number;
  timestamp: number;
  fileMtimeMs: number;
  offsets: Map<number, number>;
  numOutputRows: number;
}

function readCommitEntry(tableDir: string, version: number, topic: string): CommitEntry {
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

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Rows of offsets [from[p], to[p]) from the bronze table, each mapped to the first version after
 * `afterVersion` whose txn offset for its partition covers it; latency = commit time - send time.
 */
async function measureLatency(
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

async function latencyPhase(
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

async function countTable(dir: string): Promise<{ rows: number; distinctOffsets: number }> {
  const table = await DeltaTable.open(dir);
  const plan = await table.scan();
  return withConnection(async (conn) => {
    const r = await conn.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS d FROM (${plan.sql})`);
    const [row] = r.getRowObjectsJS() as Array<{ n: bigint; d: bigint }>;
    return { rows: Number(row.n), distinctOffsets: Number(row.d) };
  });
}

async function main(): Promise<void> {
  const warn0 = loadWarning();
  if (warn0) console.log(warn0);
  const brokers = await ensureBroker();
  // REUSE_TOPIC: an existing pre-filled topic (from a BENCH_KEEP=1 run) skips the prefill; it is not deleted.
  const reuse = process.env.REUSE_TOPIC;
  const topic = reuse ?? `bench_ingest_${Date.now()}`;
  const root = tempDir('bench-ingest-');
  const settingsEnv: Record<string, string> = {};
  const ingestorSettings: Record<string, string> = {};
  for (const v of INGESTOR_VARS) {
    if (process.env[v]) settingsEnv[v] = process.env[v]!;
    ingestorSettings[v] = process.env[v] ?? `${BRONZE_ENV[v].default} (default)`;
  }
  const tuned = Object.keys(settingsEnv).length > 0;
  log(
    `broker ${brokers}, topic ${topic}, lakehouse ${root}, ingestor settings ${tuned ? 'tuned' : 'default'}: ${JSON.stringify(ingestorSettings)}`,
  );

  let prefillResult: Record<string, unknown> = { reusedTopic: topic };
  if (!reuse) {
    await createTopic(brokers, topic, PARTITIONS);
    log(`prefill: ${fmtInt(TOTAL)} sales`);
    prefillResult = await prefill(brokers, topic, TOTAL);
  }
  const hw = await highWatermarks(brokers, topic);
  log(`prefill: ${JSON.stringify(prefillResult)}; high watermarks ${JSON.stringify(hw)}`);
  if (sumOf(hw) !== TOTAL) throw new Error(`topic holds ${sumOf(hw)} messages, expected ${TOTAL}`);

  log('consume-only (plain kafkajs, the ingestor\'s fetch size)');
  const consume = await consumeOnly(brokers, topic, hw, FETCH_MAX_BYTES_PER_PARTITION, 'kafkajs');
  log(`consume-only: ${JSON.stringify(consume)}`);
  log('consume-only (kafkajs with libs/kafka\'s Fetch decoder, as the ingestor)');
  const consumeFastDecoding = await consumeOnly(brokers, topic, hw, FETCH_MAX_BYTES_PER_PARTITION, 'libs/kafka');
  log(`consume-only, libs/kafka's Fetch decoder: ${JSON.stringify(consumeFastDecoding)}`);

  log('ingest: starting apps/bronze-ingestor');
  // BENCH_LAKEHOUSE_ROOT: another root for the tables, e.g. s3://lakehouse/bench-1 (docs/production.md); left in place.
  const lakehouse = process.env.BENCH_LAKEHOUSE_ROOT ?? path.join(root, 'lakehouse');
  const childEnv: Record<string, string> = {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `bench-ingest-${Date.now()}`,
    INGEST_APP_ID: APP_ID,
    LAKEHOUSE_ROOT: lakehouse,
    LOG_LEVEL: 'log',
    ...settingsEnv,
  };
  if (process.env.INGEST_CPU_PROF) {
    // --cpu-prof is refused in NODE_OPTIONS: a preloaded hook runs the profiler and writes it at SIGTERM.
    childEnv.INGEST_CPU_PROF = path.resolve(process.env.INGEST_CPU_PROF);
    childEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'cpu-prof-hook.js')}`.trim();
  }
  if (process.env.INGEST_NODE_OPTIONS)
    childEnv.NODE_OPTIONS = `${childEnv.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? ''} ${process.env.INGEST_NODE_OPTIONS}`.trim();
  const runtime = process.env.RUNTIME === 'ts-node' ? 'ts-node' : 'compiled';
  const image = runtime === 'compiled' ? imageRuntime() : null;
  let buildDir: string | undefined;
  if (runtime === 'compiled') {
    buildDir = path.join(root, '.build');
    log(`compiling apps/bronze-ingestor with tsc into ${buildDir}`);
    compileIngestor(buildDir);
  }
  const tSpawn = performance.now();
  const app: Ingestor = buildDir
    ? await CompiledApp.start(buildDir, childEnv, image!)
    : await AppProcess.start('bronze-ingestor', childEnv);
  const pid = app.proc.pid!;
  const rss = new RssWatch(pid);
  let ingest: Record<string, unknown>;
  const latency: Record<string, unknown>[] = [];
  const tableDir = tableLocation(lakehouse, BRONZE_TABLE);
  let idleRssKb = 0;
  try {
    await app.waitHealthy(120_000);
    const healthyAt = performance.now();
    const healthyAtWall = Date.now();
    idleRssKb = procStatusKb(pid, 'VmRSS');
    const heap = new HeapWatch(app);
    const cpu0 = procCpuSeconds(pid);
    const m0 = machineCpu();
    let firstInputAt = 0;
    const batches = new Map<number, BatchProgress>();
    await waitCommitted(app, hw, batches, { everyMs: 100, timeoutMs: 600_000, onFirstInput: () => (firstInputAt = Date.now()) });
    const doneSeenAt = Date.now();
    const cpu = procCpuSeconds(pid) - cpu0;
    const m1 = machineCpu();
    rss.sample();
    const peakKb = rss.peakKb;
    const hwmKb = procStatusKb(pid, 'VmHWM');
    const list = [...batches.values()].sort((a, b) => a.batchId - b.batchId);
    const lastEnd = list.length ? Math.max(...list.map(batchEnd)) : doneSeenAt;
    const seconds = (lastEnd - firstInputAt) / 1000;
    const bronzeCount = await countTable(tableDir);
    const quarantine = await DeltaTable.open(tableLocation(lakehouse, QUARANTINE_TABLE)).then((t) => t.snapshot.numRecords());
    ingest = {
      rows: TOTAL,
      seconds: round(seconds, 2),
      rowsPerSecond: Math.round(TOTAL / seconds),
      secondsFromHealthy: round((lastEnd - healthyAtWall) / 1000, 2),
      startupSeconds: round((healthyAt - tSpawn) / 1000, 2),
      cpuSeconds: round(cpu, 2),
      cpuCoresUsed: round(cpu / seconds, 2),
      machineCpuBusy: round((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total), 2),
      idleRssMB: round(idleRssKb / 1024, 1),
      peakRssMB: round(peakKb / 1024, 1),
      vmHwmMB: round(hwmKb / 1024, 1),
      rssSamples: rss.samples,
      memoryMaxima: heap.stop(),
      bronzeVersion: list.length ? list[list.length - 1].sink.deltaVersion : undefined,
      batches: batchStats(list),
      check: {
        ...bronzeCount,
        quarantined: quarantine,
        exactlyOnce: bronzeCount.rows === TOTAL && bronzeCount.distinctOffsets === TOTAL && quarantine === 0,
      },
    };
    log(`ingest: ${JSON.stringify(ingest)}`);

    if (PHASES === 'all') {
      latency.push(await latencyPhase(`${SLOW_PER_MIN}/min`, brokers, topic, app, tableDir, SLOW_PER_MIN / 60, SLOW_SECONDS, 2));
      log(`latency: ${JSON.stringify(latency[latency.length - 1])}`);
      await sleep(2000);
      latency.push(await latencyPhase(`${fmtInt(FAST_RATE)}/s`, brokers, topic, app, tableDir, FAST_RATE, FAST_SECONDS, 3));
      log(`latency: ${JSON.stringify(latency[latency.length - 1])}`);
    }
  } finally {
    rss.stop();
    await app.stop('SIGTERM', 60_000);
    if (process.env.INGEST_LOG) writeFileSync(process.env.INGEST_LOG, app.logs.join(''));
  }
  const overallPeakMB = round(rss.peakKb / 1024, 1);
  log('consume-only again (plain kafkajs, the ingestor\'s fetch size)');
  const consumeAfter = await consumeOnly(brokers, topic, hw, FETCH_MAX_BYTES_PER_PARTITION, 'kafkajs');
  log(`consume-only, after: ${JSON.stringify(consumeAfter)}`);
  const totalSent = TOTAL + latency.reduce((n, l) => n + (l.sent as number), 0);
  const finalCount = await countTable(tableDir);

  // ------------------------------------------------------------------------------------------
  const ingestRate = ingest.rowsPerSecond as number;
  const consumeRate = Math.round(((consume.rowsPerSecond as number) + (consumeAfter.rowsPerSecond as number)) / 2);
  const ratio = ingestRate / consumeRate;
  const fastDecodingRate = consumeFastDecoding.rowsPerSecond as number;
  const targets = {
    rowsPerSecond: { target: `>= ${fmtInt(TARGET_ROWS_PER_S)}`, value: ingestRate, met: ingestRate >= TARGET_ROWS_PER_S },
    fractionOfConsumeOnly: { target: `>= ${TARGET_RATIO}`, value: round(ratio, 3), met: ratio >= TARGET_RATIO },
    peakRssMB: { target: `<= ${TARGET_RSS_MB}`, value: overallPeakMB, met: overallPeakMB <= TARGET_RSS_MB },
  };

  console.log('');
  console.log(
    `Ingestion of ${fmtInt(TOTAL)} pre-filled sales (${PARTITIONS} partitions), ingestor run by ${
      image
        ? `node ${image.nodeOptions.join(' ')} with ${Object.entries(image.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')} (compiled, as the image)`
        : runtime
    }${process.env.INGEST_NODE_OPTIONS ? ` with ${process.env.INGEST_NODE_OPTIONS}` : ''}`,
  );
  console.log(
    `ingestor settings ${tuned ? 'tuned' : 'default'}: ${Object.entries(ingestorSettings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  printTable(
    ['measure', 'value'],
    [
      [
        'prefill (kafkajs producer, acks=-1)',
        reuse ? `reused topic ${topic}` : `${fmtInt(prefillResult.rowsPerSecond as number)} rows/s (${prefillResult.seconds} s)`,
      ],
      [
        `consume-only (plain kafkajs eachBatch), ${FETCH_MAX_BYTES_PER_PARTITION / 1024} KiB fetches as the ingestor: mean of before / after`,
        `${fmtInt(consumeRate)} rows/s (${fmtInt(consume.rowsPerSecond as number)} / ${fmtInt(consumeAfter.rowsPerSecond as number)})`,
      ],
      ["consume-only, libs/kafka's Fetch decoder as the ingestor", `${fmtInt(fastDecodingRate)} rows/s (${consumeFastDecoding.seconds} s)`],
      [
        'ingest: committed to bronze',
        `${fmtInt(ingestRate)} rows/s (${ingest.seconds} s, ${(ingest.batches as { count: number }).count} commits)`,
      ],
      ['ingest / consume-only (plain kafkajs: the target)', `${round(ratio * 100, 1)} %`],
      ["ingest / consume-only with libs/kafka's Fetch decoder", `${round((ingestRate / fastDecodingRate) * 100, 1)} %`],
      [
        'ingestor CPU during ingest',
        `${ingest.cpuSeconds} s (${ingest.cpuCoresUsed} cores); machine busy ${round((ingest.machineCpuBusy as number) * 100)} %`,
      ],
      ['ingestor RSS idle / peak during ingest', `${ingest.idleRssMB} / ${ingest.peakRssMB} MB`],
      ['ingestor peak RSS, whole run', `${overallPeakMB} MB`],
      [`exactly once (${fmtInt(TOTAL)} rows)`, String((ingest.check as { exactlyOnce: boolean }).exactlyOnce)],
    ],
  );
  if (latency.length) {
    console.log('');
    console.log('End-to-end latency: send time -> commitInfo.timestamp of the bronze version holding the row');
    printTable(
      ['rate', 'events', 'found', 'commits', 'p50 ms', 'p99 ms', 'max ms', 'peak RSS MB'],
      latency.map((l) => {
        const ms = l.latencyMs as Record<string, number>;
        return [
          l.name as string,
          fmtInt(l.events as number),
          fmtInt(l.rowsFound as number),
          l.versions as number,
          ms.p50,
          ms.p99,
          ms.max,
          l.peakRssMB as number,
        ];
      }),
    );
  }
  console.log('');
  printTable(
    ['target', 'required', 'measured', 'met'],
    [
      ['committed rows/s', targets.rowsPerSecond.target, fmtInt(ingestRate), targets.rowsPerSecond.met ? 'MET' : 'MISSED'],
      [
        'fraction of consume-only',
        targets.fractionOfConsumeOnly.target,
        String(targets.fractionOfConsumeOnly.value),
        targets.fractionOfConsumeOnly.met ? 'MET' : 'MISSED',
      ],
      ['peak RSS (MB)', targets.peakRssMB.target, String(overallPeakMB), targets.peakRssMB.met ? 'MET' : 'MISSED'],
    ],
  );
  const warn1 = loadWarning();
  if (warn1) console.log(warn1);

  const file = writeResult(process.env.BENCH_RESULT ?? 'ingest', {
    topic,
    partitions: PARTITIONS,
    runtime,
    image,
    ingestNodeOptions: process.env.INGEST_NODE_OPTIONS ?? null,
    ingestorSettings,
    settingsTuned: tuned,
    loadAverageEnd: round(os.loadavg()[0], 2),
    prefill: prefillResult,
    consumeOnly: consume,
    consumeOnlyAfter: consumeAfter,
    consumeOnlyFastDecoding: consumeFastDecoding,
    ingest,
    latency,
    overallPeakRssMB: overallPeakMB,
    finalCheck: { ...finalCount, sent: totalSent, exactlyOnce: finalCount.rows === totalSent && finalCount.distinctOffsets === totalSent },
    targets,
    method: {
      throughput:
        'first high watermark reported by /progress (first batch accepted) -> end of the micro-batch whose committedOffsets reach the high watermarks',
      consumeOnly: 'first eachBatch call -> last message counted',
      latency:
        'commitInfo.timestamp of the first bronze version whose txn offset for the row partition >= row offset, minus the send time carried in the sale timestamp (ms)',
      rss: '/proc/<pid>/status VmRSS of the ingestor process, sampled every 100 ms',
    },
  });
  console.log(`\nresults written to ${file}`);

  if (process.env.BENCH_KEEP !== '1' && !reuse) {
    const admin = kafka(brokers, 'bench-admin').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  removeDir(root);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
