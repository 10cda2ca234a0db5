/**
 * Real Kafka broker for jest e2e tests (no Docker), backed by scripts/kafka/kafka.js.
 *
 * - KAFKA_BROKERS set: that external broker is used as is; start/stop/restart refuse to touch it.
 * - otherwise: a local KRaft broker on 127.0.0.1:${KAFKA_PORT:-9092}, data in
 *   .cache/kafka/data-<port> (KAFKA_DATA_DIR overrides). It is started on demand and left running
 *   after the tests (next run reuses it); `npm run kafka:stop` stops it.
 *
 * stopBroker()/startBroker() reuse the same data dir, so topics, data and committed offsets survive.
 */
import * as path from 'path';

export interface BrokerStartResult {
  brokers: string;
  port: number;
  dataDir: string;
  pid: number | null;
  alreadyRunning: boolean;
  startMs: number;
}

interface KafkaScriptOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  timeoutMs?: number;
  quiet?: boolean;
  log?: (msg: string) => void;
}

interface KafkaScript {
  start(opts?: KafkaScriptOptions): Promise<BrokerStartResult>;
  stop(opts?: KafkaScriptOptions): Promise<{ stopped: boolean; pid?: number }>;
  restart(opts?: KafkaScriptOptions): Promise<BrokerStartResult>;
  isReady(opts?: KafkaScriptOptions): Promise<boolean>;
  waitReady(opts?: KafkaScriptOptions): Promise<boolean>;
}

// Plain require: the script is CommonJS JavaScript outside the TS project.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaScript = require(path.resolve(__dirname, '../../scripts/kafka/kafka.js')) as KafkaScript;

const LOCAL_HOST = '127.0.0.1';

function localPort(): number {
  return Number(process.env.KAFKA_PORT || 9092);
}

function scriptOptions(): KafkaScriptOptions {
  return {
    port: localPort(),
    log: (msg: string) => process.stderr.write(`[kafka] ${msg}\n`),
  };
}

function external(): string | undefined {
  const brokers = process.env.KAFKA_BROKERS?.trim();
  return brokers ? brokers : undefined;
}

function assertLocal(action: string): void {
  if (external()) {
    throw new Error(`${action}: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} is external; it is not managed here`);
  }
}

/** Brokers string for the tests: KAFKA_BROKERS if set, else a local broker started on demand. */
export async function ensureBroker(): Promise<string> {
  const ext = external();
  if (ext) return ext;
  const res = await kafkaScript.start(scriptOptions());
  return res.brokers;
}

/** Start (or reuse) the local broker; resolves once it serves clients. */
export async function startBroker(): Promise<string> {
  assertLocal('startBroker');
  const res = await kafkaScript.start(scriptOptions());
  return res.brokers;
}

/** Clean shutdown (SIGTERM, controlled shutdown) of the local broker; no-op if not running. */
export async function stopBroker(): Promise<void> {
  assertLocal('stopBroker');
  await kafkaScript.stop(scriptOptions());
}

/** Stop then start the local broker on the same port and data dir. */
export async function restartBroker(): Promise<string> {
  assertLocal('restartBroker');
  await kafkaScript.stop(scriptOptions());
  const res = await kafkaScript.start(scriptOptions());
  return res.brokers;
}

/** True when the local (or KAFKA_BROKERS' first) broker accepts TCP and answers metadata. */
export async function isBrokerReady(): Promise<boolean> {
  const ext = external();
  if (ext) {
    const [host, port] = ext.split(',')[0].trim().split(':');
    return kafkaScript.isReady({ host, port: Number(port || 9092), quiet: true });
  }
  return kafkaScript.isReady(scriptOptions());
}

export const LOCAL_BROKERS = `${LOCAL_HOST}:${localPort()}`;
