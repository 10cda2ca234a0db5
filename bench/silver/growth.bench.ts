/**
 * Silver cost as bronze grows (issue 13): the same incremental run (+NEW_ROWS sales for the
 * latest day, in NEW_COMMITS ingestor-like commits) over bronze tables of each size in SIZES, and
 * the peak RSS of a full refresh.
 *
 * Bronze grows as it does in production: by days at a steady rate (ROWS_PER_DAY rows a day, so
 * SIZES / ROWS_PER_DAY days), not by packing more rows into the same days; an incremental run
 * re-aggregates the latest day, so its cost should not depend on how many days precede it.
 * Each size runs in three child processes: build bronze (DuckDB writes the files, one commit);
 * full refresh (timed; peak RSS is the child's VmHWM: the process does nothing else), in batches
 * of days (SilverJob's default batch size); then incremental rounds on a job warmed by one run (the running
 * scheduler), medians of REPEAT. Totals are checked against bronze to the cent. Results are
 * written after each size, so a long run keeps what it measured.
 *
 *   npm run bench:silver-growth
 *   env: SIZES (default 1000000,10000000,50000000), ROWS_PER_DAY (100000), NEW_ROWS (10000),
 *        NEW_COMMITS (20), REPEAT (3), CLIENTS (10000), SILVER_MEMORY_LIMIT (none, as the
 *        scheduler's default; e.g. 512MB), BENCH_TMP, BENCH_KEEP=1.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_FULL_REFRESH_BATCH_ROWS, RunReport, SilverJob } from '@app/silver';
import { bronzeSalesSql, buildBronzeTable, checkTotals, DAY_US, START_US } from './bronze-data';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { cpuMs, fmtInt, loadWarning, median, mib, now, printTable, removeDir, reportToParent, round, runBenchmark, runChild, scenarioArg, tempDir, writeResult } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const SIZES = (process.env.SIZES ?? '1000000,10000000,50000000').split(',').map(Number);
const ROWS_PER_DAY = env('ROWS_PER_DAY', 100_000);
const NEW_ROWS = env('NEW_ROWS', 10_000);
const NEW_COMMITS = env('NEW_COMMITS', 20);
const REPEAT = env('REPEAT', 3);
const CLIENTS = env('CLIENTS', 10_000);
const MEMORY_LIMIT = process.env.SILVER_MEMORY_LIMIT ?? 'none';
const TARGET_GROWTH = 1.3;
const TARGET_FULL_RSS_MIB = 600;
const TARGET_FULL_RSS_ROWS = 10_000_000;

const duckdb = () => (MEMORY_LIMIT === 'none' ? undefined : { memoryLimit: MEMORY_LIMIT, tempDirectory: path.join(os.tmpdir(), 'silver-bench-spill') });
const daysOf = (rows: number) => Math.max(1, Math.round(rows / ROWS_PER_DAY));

async function build(root: string, rows: number) {
  const { seconds } = await buildBronzeTable(root, rows, daysOf(rows), CLIENTS);
  return { buildSeconds: round(seconds, 1) };
}

/** The process's peak resident memory (VmHWM), in bytes. */
function peakRss(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
}

async function full(root: string) {
  const before = peakRss();
  const [t0, c0] = [now(), cpuMs()];
  const report = await new SilverJob({ lakehouseRoot: root, duckdb: duckdb() }).run('bench');
  const seconds = (now() - t0) / 1000;
  if (report.mode !== 'full') throw new Error(`expected a full run, got ${report.mode}`);
  return {
    seconds: round(seconds, 2),
    cpuSeconds: round((cpuMs() - c0) / 1000, 2),
    peakRssMiB: mib(peakRss()),
    peakRssBeforeRunMiB: mib(before),
    rowsWritten: report.rowsWritten,
  };
}

async function incremental(root: string, rows: number) {
  const bronze = await DeltaTable.open(tableLocation(root, BRONZE_TABLE));
  const job = new SilverJob({ lakehouseRoot: root, duckdb: duckdb() });
  await job.run('warm-up');
  const lastDayStartUs = START_US + (daysOf(rows) - 1) * DAY_US;
  const perCommit = Math.ceil(NEW_ROWS / NEW_COMMITS);
  let nextId = rows + 1_000_000_000;
  const runs: { seconds: number; cpuSeconds: number; report: RunReport }[] = [];
  for (let r = 0; r < REPEAT; r++) {
    for (let added = 0; added < NEW_ROWS; added += perCommit) {
      const count = Math.min(perCommit, NEW_ROWS - added);
      await bronze.append({ sql: bronzeSalesSql(nextId, count, lastDayStartUs, DAY_US - 1, CLIENTS) });
      nextId += count;
    }
    const [t0, c0] = [now(), cpuMs()];
    const report = await job.run('bench');
    runs.push({ seconds: (now() - t0) / 1000, cpuSeconds: (cpuMs() - c0) / 1000, report });
    if (report.mode !== 'incremental' || report.daysRecomputed.length !== 1) throw new Error(`expected an incremental run of one day, got ${report.mode} ${report.daysRecomputed}`);
  }
  const checked = await checkTotals(root, bronze);
  const last = runs[runs.length - 1].report;
  return {
    seconds: round(median(runs.map((r) => r.seconds)), 3),
    cpuSeconds: round(median(runs.map((r) => r.cpuSeconds)), 3),
    allSeconds: runs.map((r) => round(r.seconds, 3)),
    bronzeRowsReaggregated: last.bronzeRowsRead,
    rowsWritten: last.rowsWritten,
    checked,
  };
}

async function child(): Promise<void> {
  const [root, rows] = [process.argv[process.argv.indexOf('--root') + 1], Number(process.argv[process.argv.indexOf('--rows') + 1])];
  const scenario = scenarioArg();
  const result = scenario === 'build' ? await build(root, rows) : scenario === 'full' ? await full(root) : await incremental(root, rows);
  reportToParent(result);
}

function main(): void {
  const warning = loadWarning();
  if (warning) console.log(warning);
  const results: Array<{ bronzeRows: number; days: number; buildSeconds: number; loadAverage1m: number; full: Awaited<ReturnType<typeof full>>; incremental: Awaited<ReturnType<typeof incremental>> }> = [];
  for (const rows of SIZES) {
    const root = tempDir(`silver-growth-${rows}-`);
    try {
      const args = ['--root', root, '--rows', String(rows)];
      const built = runChild<{ buildSeconds: number }>(__filename, 'build', args);
      console.log(`bronze: ${fmtInt(rows)} rows over ${daysOf(rows)} days built in ${built.buildSeconds} s`);
      const fullRun = runChild<Awaited<ReturnType<typeof full>>>(__filename, 'full', args);
      console.log(`full refresh: ${fullRun.seconds} s, peak RSS ${fullRun.peakRssMiB} MiB`);
      const incr = runChild<Awaited<ReturnType<typeof incremental>>>(__filename, 'incremental', args);
      console.log(`incremental +${fmtInt(NEW_ROWS)}: median ${incr.seconds} s (${incr.allSeconds.join(', ')}); 1-min load average ${os.loadavg()[0].toFixed(2)}`);
      results.push({ bronzeRows: rows, days: daysOf(rows), ...built, loadAverage1m: round(os.loadavg()[0], 2), full: fullRun, incremental: incr });
    } finally {
      removeDir(root);
    }
    writeResults(results, warning);
  }
  const base = results[0].incremental.seconds;
  console.log();
  printTable(
    ['bronze rows', 'days', `incremental +${fmtInt(NEW_ROWS)} s`, 'cpu s', `÷ ${fmtInt(SIZES[0])}`, 'full refresh s', 'full peak RSS MiB', 'load 1m'],
    results.map((r) => [fmtInt(r.bronzeRows), r.days, r.incremental.seconds, r.incremental.cpuSeconds, round(r.incremental.seconds / base, 2), r.full.seconds, r.full.peakRssMiB, r.loadAverage1m]),
  );
  const { incrementalGrowth, incrementalCpuGrowth } = growthOf(results);
  console.log(`\nincremental growth ${fmtInt(SIZES[0])} -> ${fmtInt(SIZES[SIZES.length - 1])}: x${incrementalGrowth} wall, x${incrementalCpuGrowth} cpu (target <= ${TARGET_GROWTH})`);
  const atTarget = results.find((r) => r.bronzeRows === TARGET_FULL_RSS_ROWS);
  if (atTarget) console.log(`full refresh of ${fmtInt(TARGET_FULL_RSS_ROWS)} rows: peak RSS ${atTarget.full.peakRssMiB} MiB (target <= ${TARGET_FULL_RSS_MIB})`);
  console.log(`written ${path.relative(process.cwd(), path.resolve(__dirname, '../results/silver-growth.json'))}`);
}

function growthOf(results: Array<{ incremental: { seconds: number; cpuSeconds: number } }>) {
  const [first, last] = [results[0].incremental, results[results.length - 1].incremental];
  return { incrementalGrowth: round(last.seconds / first.seconds, 2), incrementalCpuGrowth: round(last.cpuSeconds / first.cpuSeconds, 2) };
}

function writeResults(results: Array<{ incremental: { seconds: number; cpuSeconds: number } }>, warning: string | undefined): void {
  writeResult('silver-growth', {
    sizes: SIZES,
    rowsPerDay: ROWS_PER_DAY,
    newRows: NEW_ROWS,
    newCommits: NEW_COMMITS,
    clients: CLIENTS,
    memoryLimit: MEMORY_LIMIT,
    fullRefreshBatchRows: DEFAULT_FULL_REFRESH_BATCH_ROWS,
    results,
    ...growthOf(results),
    targets: { incrementalGrowth: TARGET_GROWTH, fullRefreshPeakRssMiB: TARGET_FULL_RSS_MIB, fullRefreshPeakRssAtRows: TARGET_FULL_RSS_ROWS },
    ...(warning ? { warning } : {}),
  });
}

runBenchmark(main, child);
