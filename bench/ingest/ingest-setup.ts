/**
 * bench:ingest, setup: its settings (from the environment), the topic's prefill in a producer's
 * layout (LAYOUT), and the ingestor process it measures (ingest.bench.ts describes the run).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { Kafka, Partitioners } from 'kafkajs';
import { PRODUCER_LAYOUT_NAMES, ProducerLayoutName, serializeSale } from '@app/ingest';
import { kafkaClientConfig } from '@app/kafka';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { AppProcess, freePort } from '../../test/support/app-process';
import { mib, round } from '../delta/common';

export const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
export const TOTAL = env('TOTAL', 1_000_000);
export const PARTITIONS = 3;
export const SLOW_PER_MIN = env('SLOW_PER_MIN', 30);
export const SLOW_SECONDS = env('SLOW_SECONDS', 60);
export const FAST_RATE = env('FAST_RATE', 2000);
export const FAST_SECONDS = env('FAST_SECONDS', 20);
export const PHASES = process.env.PHASES ?? 'all';
export const TARGET_ROWS_PER_S = 50_000;
export const TARGET_RATIO = 0.5;
export const TARGET_RSS_MB = 300;
export const APP_ID = 'bench-ingest';
/** How the prefilled sales are written (libs/ingest's PRODUCER_LAYOUT_NAMES): our producer's layout by default. */
export const LAYOUT = (process.env.LAYOUT ?? 'producer') as ProducerLayoutName;
if (!PRODUCER_LAYOUT_NAMES.includes(LAYOUT)) throw new Error(`LAYOUT=${LAYOUT}: expected one of ${PRODUCER_LAYOUT_NAMES.join(', ')}`);
/** The ingestor's settings a run may change from the environment (unset: the app's defaults); each run reports them. */
export const INGESTOR_VARS = [
  'FLUSH_MAX_ROWS',
  'FLUSH_MAX_BYTES',
  'FLUSH_MAX_LATENCY',
  'COMPACT_EVERY_COMMITS',
  'WATERMARK_DELAY',
  'DUCKDB_THREADS',
  'PAYLOAD_DECODER',
  'KAFKA_FETCH_DECODER',
] as const;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

// ---------------------------------------------------------------------------------------------
// The ingestor process: the tsc build run by node with the image's flags (default), or AppProcess (RUNTIME=ts-node)
// ---------------------------------------------------------------------------------------------

export type Ingestor = Pick<AppProcess, 'proc' | 'logs' | 'get' | 'waitHealthy' | 'stop'>;

export const ROOT = path.resolve(__dirname, '../..');

/** tsc of apps/bronze-ingestor (and the libs it includes) into `outDir`, like `nest build` does for the image. */
export function compileIngestor(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const res = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'apps/bronze-ingestor/tsconfig.app.json', '--outDir', outDir, '--sourceMap', 'false'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`tsc failed:\n${res.stdout}${res.stderr}`);
}

/** How the bronze-ingestor image runs the app (Dockerfile): its CMD's node options and its ENV, so the compiled run is the deployed one. */
export function imageRuntime(): { nodeOptions: string[]; env: Record<string, string> } {
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
export class CompiledApp implements Ingestor {
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

export function kafka(brokers: string, clientId: string): Kafka {
  return new Kafka(kafkaClientConfig(clientId, [brokers]));
}

export async function highWatermarks(brokers: string, topic: string): Promise<Record<number, number>> {
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

export const sumOf = (r: Record<number, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function newGenerator(instance: number): SalesGenerator {
  return new SalesGenerator({ clients: 1000, products: 20 }, new SaleIdGenerator(instance), 42 + instance);
}

/** TOTAL sales in LAYOUT, generated in chunks (never all in memory) and sent with `inFlight` sends outstanding. */
export async function prefill(brokers: string, topic: string, total: number): Promise<Record<string, unknown>> {
  const producer = kafka(brokers, 'bench-prefill').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const gen = newGenerator(1);
  // A send of `chunk` sales puts about a third in each partition's batch, which must stay under the broker's 1 MB message limit in every layout.
  const chunk = 8_000;
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
        const value = serializeSale(sale, LAYOUT);
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
    layout: LAYOUT,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(total / seconds),
    payloadMiB: mib(bytes),
    avgMessageBytes: Math.round(bytes / total),
  };
}
