/**
 * Silver refresh time (SilverJob.run), over bronze tables built straight from DuckDB SQL:
 *
 * - full: first run over FULL_ROWS (default 1,000,000) bronze rows, i.e. ventes_aggreges
 *   computed from all of bronze plus both derived tables. A fresh SilverJob (cold: opens every
 *   table) per repetition, on a fresh silver folder; median of REPEAT. Target <= 5 s.
 * - incremental: bronze of BASE_ROWS (default 5,000,000) rows with silver already computed, then
 *   NEW_ROWS (default 10,000) new sales for the latest day, appended as NEW_COMMITS ingestor-like
 *   micro-batch commits, then one run. Measured on the job that did the previous run (the
 *   scheduler's steady state: tables open, only new log entries read) and on a fresh job (a
 *   restarted scheduler); median of REPEAT rounds. Target <= 1 s.
 *
 * Bronze spans DAYS (default 30) event days in time order, 10,000 clients, 10 products, so a
 * day holds BASE_ROWS / DAYS rows: an incremental run re-aggregates that whole day from bronze.
 *
 *   npm run bench:silver
 *   env: FULL_ROWS, BASE_ROWS, NEW_ROWS, NEW_COMMITS (default 20), DAYS, REPEAT (default 3),
 *        DUCKDB_THREADS (default 2), BENCH_TMP, BENCH_KEEP=1.
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { RunReport, SilverJob } from '@app/silver';
import { bronzeSalesSql, buildBronzeTable, checkTotals, DAY_US, START_US } from './bronze-data';
import { cpuMs, fmtInt, loadWarning, median, now, printTable, removeDir, round, tempDir, writeResult } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const FULL_ROWS = env('FULL_ROWS', 1_000_000);
const BASE_ROWS = env('BASE_ROWS', 5_000_000);
const NEW_ROWS = env('NEW_ROWS', 10_000);
const NEW_COMMITS = env('NEW_COMMITS', 20);
const DAYS = env('DAYS', 30);
const REPEAT = env('REPEAT', 3);
const TARGET_FULL_S = 5;
const TARGET_INCREMENTAL_S = 1;

/** A bronze table of `rows` rows over DAYS days. */
const buildBronze = (root: string, rows: number) => buildBronzeTable(root, rows, DAYS);

interface Timed {
  seconds: number;
  cpuSeconds: number;
  report: RunReport;
}

async function timedRun(job: SilverJob): Promise<Timed> {
  const [t0, c0] = [now(), cpuMs()];
  const report = await job.run('bench');
  return { seconds: (now() - t0) / 1000, cpuSeconds: (cpuMs() - c0) / 1000, report };
}

async function fullScenario() {
  const root = tempDir('silver-bench-full-');
  try {
    const bronze = await buildBronze(root, FULL_ROWS);
    console.log(`bronze: ${fmtInt(FULL_ROWS)} rows over ${DAYS} days built in ${round(bronze.seconds)} s`);
    const runs: Timed[] = [];
    for (let i = 0; i < REPEAT; i++) {
      rmSync(path.join(root, 'silver'), { recursive: true, force: true });
      const run = await timedRun(new SilverJob({ lakehouseRoot: root }));
      if (run.report.mode !== 'full') throw new Error(`expected a full run, got ${run.report.mode}`);
      runs.push(run);
    }
    const totals = await checkTotals(root, bronze.table);
    const last = runs[runs.length - 1].report;
    return {
      bronzeRows: FULL_ROWS,
      days: DAYS,
      buildSeconds: round(bronze.seconds, 2),
      seconds: round(median(runs.map((r) => r.seconds)), 3),
      cpuSeconds: round(median(runs.map((r) => r.cpuSeconds)), 3),
      allSeconds: runs.map((r) => round(r.seconds, 3)),
      rowsWritten: last.rowsWritten,
      checked: totals,
      targetSeconds: TARGET_FULL_S,
    };
  } finally {
    removeDir(root);
  }
}

async function incrementalScenario() {
  const root = tempDir('silver-bench-incr-');
  try {
    const bronze = await buildBronze(root, BASE_ROWS);
    console.log(`bronze: ${fmtInt(BASE_ROWS)} rows over ${DAYS} days built in ${round(bronze.seconds)} s`);
    const warmJob = new SilverJob({ lakehouseRoot: root });
    const initial = await timedRun(warmJob);
    console.log(`initial full run over ${fmtInt(BASE_ROWS)} rows: ${round(initial.seconds, 2)} s`);

    const lastDayStartUs = START_US + (DAYS - 1) * DAY_US;
    const perCommit = Math.ceil(NEW_ROWS / NEW_COMMITS);
    let nextId = BASE_ROWS;
    const warm: Timed[] = [];
    const cold: Timed[] = [];
    for (let round_ = 0; round_ < REPEAT; round_++) {
      for (const job of [warmJob, undefined]) {
        // New sales for the latest day, as the ingestor commits them: one small commit per micro-batch.
        for (let added = 0; added < NEW_ROWS; added += perCommit) {
          const count = Math.min(perCommit, NEW_ROWS - added);
          await bronze.table.append({ sql: bronzeSalesSql(nextId, count, lastDayStartUs, DAY_US - 1) });
          nextId += count;
        }
        const run = await timedRun(job ?? new SilverJob({ lakehouseRoot: root }));
        if (run.report.mode !== 'incremental' || run.report.daysRecomputed.length !== 1) {
          throw new Error(`expected an incremental run of one day, got ${run.report.mode} ${run.report.daysRecomputed}`);
        }
        (job ? warm : cold).push(run);
      }
    }
    const totals = await checkTotals(root, bronze.table);
    const summarize = (runs: Timed[]) => ({
      seconds: round(median(runs.map((r) => r.seconds)), 3),
      cpuSeconds: round(median(runs.map((r) => r.cpuSeconds)), 3),
      allSeconds: runs.map((r) => round(r.seconds, 3)),
      bronzeRowsReaggregated: runs[runs.length - 1].report.bronzeRowsRead,
      bronzeCommitsRead: runs[runs.length - 1].report.bronzeCommitsRead,
      rowsWritten: runs[runs.length - 1].report.rowsWritten,
    });
    return {
      baseRows: BASE_ROWS,
      newRows: NEW_ROWS,
      newCommits: NEW_COMMITS,
      days: DAYS,
      buildSeconds: round(bronze.seconds, 2),
      initialFullSeconds: round(initial.seconds, 3),
      warmJob: summarize(warm),
      freshJob: summarize(cold),
      checked: totals,
      targetSeconds: TARGET_INCREMENTAL_S,
    };
  } finally {
    removeDir(root);
  }
}

async function main(): Promise<void> {
  const warning = loadWarning();
  if (warning) console.log(warning);
  const full = await fullScenario();
  const incremental = await incrementalScenario();
  console.log();
  printTable(
    ['scenario', 'bronze rows', 're-aggregated rows', 'median s', 'cpu s', 'target s', 'ok'],
    [
      [`full refresh`, fmtInt(full.bronzeRows), fmtInt(full.bronzeRows), full.seconds, full.cpuSeconds, full.targetSeconds, full.seconds <= full.targetSeconds ? 'yes' : 'NO'],
      ...(['warmJob', 'freshJob'] as const).map((k) => {
        const r = incremental[k];
        const label = `incremental +${fmtInt(incremental.newRows)} (${k === 'warmJob' ? 'running scheduler' : 'fresh job'})`;
        return [label, fmtInt(incremental.baseRows + incremental.newRows * REPEAT * 2), fmtInt(r.bronzeRowsReaggregated), r.seconds, r.cpuSeconds, incremental.targetSeconds, r.seconds <= incremental.targetSeconds ? 'yes' : 'NO'];
      }),
    ],
  );
  const file = writeResult('silver', { full, incremental, ...(warning ? { warning } : {}) });
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
