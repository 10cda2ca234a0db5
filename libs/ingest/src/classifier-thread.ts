import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PayloadDecoderKind } from './decode/payload-decoder';
import type { SourceMessage } from './offsets';
import { PackedMessages, packMessages, transferablesOf } from './packed-messages';
import type { ClassifiedBatch } from './transforms';

export interface ClassifyWorkerData {
  topic: string;
  watermarkDelayMicros: number;
  maxEventTimeAheadMicros: number;
  payloadDecoder: PayloadDecoderKind;
}

export type ClassifyCommand =
  | { type: 'add'; partition: number; ingestionMicros: number; messages: PackedMessages }
  | { type: 'finish' }
  | { type: 'drop' }
  | { type: 'reset-watermark'; partition: number; maxEventTime?: number };

export type ClassifyReply =
  { type: 'added'; bytes: number } | { type: 'finished'; batch: ClassifiedBatch } | { type: 'failed'; error: string };

/**
 * BatchClassifier in a worker thread. Decoding and validating payloads is the ingestor's main
 * cost after kafkajs itself, and both ran on the main thread, which was the bottleneck while
 * the second core sat partly idle. The main thread now only packs each partition's payloads
 * into transferable arrays and posts them.
 *
 * A worker handles its messages in the order they were posted, so no reply needs matching:
 * `finish` returns the batch of every `add` posted before it, and `drop` or `resetWatermark`
 * posted after a `finish` do not touch the batch it returns. That order is what keeps replays
 * exact: what the main thread drops on a rewind, the worker drops at the same point.
 */
export class ClassifierThread {
  private readonly worker: Worker;
  /** Callers of finish(), in the order their batches will come back. */
  private readonly finishing: Array<{ resolve(b: ClassifiedBatch): void; reject(e: Error): void }> = [];
  private drainWaiters: Array<{ maxBytes: number; resolve(): void }> = [];
  private backlog = 0;
  private closing = false;
  private failure?: Error;

  constructor(
    data: ClassifyWorkerData,
    private readonly onFailure: (e: Error) => void,
  ) {
    this.worker = startWorker(path.join(__dirname, 'classify-worker'), data);
    this.worker.on('message', (reply: ClassifyReply) => this.onReply(reply));
    this.worker.on('error', (e) => this.fail(e));
    // A message that cannot be deserialized would otherwise vanish: a lost batch or a reply never settled.
    this.worker.on('messageerror', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`classify worker exited with code ${code}`));
    });
  }

  /** Bytes posted (payloads and what lies between them, see packMessages) and not classified yet. */
  get backlogBytes(): number {
    return this.backlog;
  }

  /** Posts one partition's messages, which follow those already posted for it; returns their payload bytes. */
  add(partition: number, messages: readonly SourceMessage[], ingestionMicros: number): number {
    const packed = packMessages(messages);
    const bytes = packed.payloads.byteLength; // read before posting detaches the buffer
    if (this.post({ type: 'add', partition, ingestionMicros, messages: packed }, transferablesOf(packed))) this.backlog += bytes;
    return packed.valueBytes;
  }

  /** Resolves once the backlog is at most `maxBytes` (or the worker failed). */
  drained(maxBytes: number): Promise<void> {
    if (this.backlog <= maxBytes || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ maxBytes, resolve }));
  }

  /** The batch of everything added since the last finish or drop. */
  finish(): Promise<ClassifiedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const batch = new Promise<ClassifiedBatch>((resolve, reject) => this.finishing.push({ resolve, reject }));
    this.post({ type: 'finish' });
    return batch;
  }

  /** Forgets everything added since the last finish. */
  drop(): void {
    this.post({ type: 'drop' });
  }

  resetWatermark(partition: number, maxEventTime: number | undefined): void {
    this.post({ type: 'reset-watermark', partition, maxEventTime });
  }

  /** Stops the worker; what it still owed is rejected. */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
    this.settle(new Error('classify worker closed'));
  }

  /** Posts unless the worker failed; says whether it did. */
  private post(command: ClassifyCommand, transfer: ArrayBuffer[] = []): boolean {
    if (this.failure) return false;
    this.worker.postMessage(command, transfer);
    return true;
  }

  private onReply(reply: ClassifyReply): void {
    switch (reply.type) {
      case 'added': {
        this.backlog -= reply.bytes;
        const ready = this.drainWaiters.filter((w) => this.backlog <= w.maxBytes);
        this.drainWaiters = this.drainWaiters.filter((w) => this.backlog > w.maxBytes);
        ready.forEach((w) => w.resolve());
        return;
      }
      case 'finished':
        return this.finishing.shift()?.resolve(reply.batch);
      case 'failed':
        return this.fail(new Error(`classify worker failed: ${reply.error}`));
    }
  }

  private fail(e: Error): void {
    if (this.settle(e)) this.onFailure(e);
  }

  /** Ends everything pending with `e`, once; says whether this call did. */
  private settle(e: Error): boolean {
    if (this.failure) return false;
    this.failure = e;
    for (const f of this.finishing.splice(0)) f.reject(e);
    this.drainWaiters.splice(0).forEach((w) => w.resolve());
    return true;
  }
}

/**
 * Compiled, the worker is the .js file next to this one. Run from the TypeScript sources
 * (ts-node, jest), it compiles them the same way this thread does, without inheriting this
 * thread's preloads.
 */
function startWorker(modulePath: string, workerData: ClassifyWorkerData): Worker {
  if (path.extname(__filename) !== '.ts') return new Worker(`${modulePath}.js`, { workerData });
  const source = [
    `require('ts-node').register({ transpileOnly: true });`,
    `require('tsconfig-paths/register');`,
    `require(${JSON.stringify(`${modulePath}.ts`)});`,
  ].join('\n');
  return new Worker(source, { eval: true, workerData, execArgv: [] });
}
