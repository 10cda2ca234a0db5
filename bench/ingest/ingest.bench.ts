/**
 * Kafka -> bronze ingestion benchmark, against the real broker and the real ingestor app.
 *
 *  1. prefill:      a fresh topic (3 partitions) gets TOTAL (default 1,000,000) sales, keyed by
 *                   client_id like apps/producer, acks=-1, no compression, several sends in flight,
 *                   written in LAYOUT (producer, python, json-stringify or jackson: libs/ingest's
 *                   producer layouts), so that the ingestor's decoding is measured on each.
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
 * The run is split in three files: ingest-setup.ts (settings, prefill, the ingestor process),
 * ingest-measure.ts (consume-only, /progress, /proc, latency) and ingest-report.ts (tables, result).
 *
 *   npm run bench:ingest
 *   env: LAYOUT (producer), TOTAL, SLOW_PER_MIN, SLOW_SECONDS, FAST_RATE, FAST_SECONDS, PHASES=all|throughput,
 *        FLUSH_MAX_ROWS / FLUSH_MAX_BYTES / FLUSH_MAX_LATENCY / COMPACT_EVERY_COMMITS /
 *        WATERMARK_DELAY / DUCKDB_THREADS / PAYLOAD_DECODER / KAFKA_FETCH_DECODER (passed to the ingestor; unset = the app's defaults),
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
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, QUARANTINE_TABLE, tableLocation } from '@app/schemas';
import { BRONZE_ENV } from '../../apps/bronze-ingestor/src/config';
import { FETCH_MAX_BYTES_PER_PARTITION } from '../../apps/bronze-ingestor/src/bronze.module';
import { AppProcess } from '../../test/support/app-process';
import { ensureBroker } from '../../test/support/kafka-broker';
import { createTopic } from '../../test/support/sales';
import { fmtInt, loadWarning, removeDir, round, tempDir } from '../delta/common';
import {
  batchEnd,
  BatchProgress,
  batchStats,
  consumeOnly,
  countTable,
  HeapWatch,
  latencyPhase,
  machineCpu,
  procCpuSeconds,
  procStatusKb,
  RssWatch,
  waitCommitted,
} from './ingest-measure';
import { report } from './ingest-report';
import {
  APP_ID,
  CompiledApp,
  compileIngestor,
  FAST_RATE,
  FAST_SECONDS,
  highWatermarks,
  imageRuntime,
  Ingestor,
  INGESTOR_VARS,
  kafka,
  log,
  PARTITIONS,
  PHASES,
  prefill,
  SLOW_PER_MIN,
  SLOW_SECONDS,
  sleep,
  sumOf,
  TOTAL,
} from './ingest-setup';

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

  log("consume-only (plain kafkajs, the ingestor's fetch size)");
  const consume = await consumeOnly(brokers, topic, hw, FETCH_MAX_BYTES_PER_PARTITION, 'kafkajs');
  log(`consume-only: ${JSON.stringify(consume)}`);
  log("consume-only (kafkajs with libs/kafka's Fetch decoder, as the ingestor)");
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
  log("consume-only again (plain kafkajs, the ingestor's fetch size)");
  const consumeAfter = await consumeOnly(brokers, topic, hw, FETCH_MAX_BYTES_PER_PARTITION, 'kafkajs');
  log(`consume-only, after: ${JSON.stringify(consumeAfter)}`);
  const totalSent = TOTAL + latency.reduce((n, l) => n + (l.sent as number), 0);
  const finalCount = await countTable(tableDir);

  const file = report({
    reuse,
    topic,
    runtime,
    image,
    tuned,
    ingestorSettings,
    prefill: prefillResult,
    consume,
    consumeAfter,
    consumeFastDecoding,
    ingest,
    latency,
    overallPeakMB,
    totalSent,
    finalCount,
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
