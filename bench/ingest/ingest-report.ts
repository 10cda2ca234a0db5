/**
 * bench:ingest, report: the tables printed at the end of a run, the targets, and the result file
 * (bench/results/ingest.json, or BENCH_RESULT).
 */
import * as os from 'node:os';
import { fmtInt, loadWarning, printTable, round, writeResult } from '../delta/common';
import { FETCH_MAX_BYTES_PER_PARTITION } from '../../apps/bronze-ingestor/src/bronze.module';
import { imageRuntime, LAYOUT, PARTITIONS, TARGET_RATIO, TARGET_ROWS_PER_S, TARGET_RSS_MB, TOTAL } from './ingest-setup';

/** What a run measured, phase by phase. */
export interface IngestRun {
  /** A topic prefilled by an earlier run (REUSE_TOPIC), or undefined. */
  reuse: string | undefined;
  topic: string;
  runtime: 'compiled' | 'ts-node';
  image: ReturnType<typeof imageRuntime> | null;
  tuned: boolean;
  ingestorSettings: Record<string, string>;
  prefill: Record<string, unknown>;
  consume: Record<string, unknown>;
  consumeAfter: Record<string, unknown>;
  consumeFastDecoding: Record<string, unknown>;
  ingest: Record<string, unknown>;
  latency: Record<string, unknown>[];
  overallPeakMB: number;
  totalSent: number;
  finalCount: { rows: number; distinctOffsets: number };
}

/** Prints the run's tables and targets and writes its result file; returns the file's path. */
export function report(run: IngestRun): string {
  const {
    reuse,
    topic,
    runtime,
    image,
    tuned,
    ingestorSettings,
    prefill,
    consume,
    consumeAfter,
    consumeFastDecoding,
    ingest,
    latency,
    overallPeakMB,
    totalSent,
    finalCount,
  } = run;
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
    `Ingestion of ${fmtInt(TOTAL)} pre-filled sales (${PARTITIONS} partitions, ${LAYOUT} layout), ingestor run by ${
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
        reuse ? `reused topic ${topic}` : `${fmtInt(prefill.rowsPerSecond as number)} rows/s (${prefill.seconds} s)`,
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
    layout: LAYOUT,
    partitions: PARTITIONS,
    runtime,
    image,
    ingestNodeOptions: process.env.INGEST_NODE_OPTIONS ?? null,
    ingestorSettings,
    settingsTuned: tuned,
    loadAverageEnd: round(os.loadavg()[0], 2),
    prefill: prefill,
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
  return file;
}
