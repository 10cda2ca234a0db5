/**
 * Silver cost as bronze grows (issue 13): the same incremental run (+NEW_ROWS sales for the
 * latest day, in NEW_COMMITS ingestor-like commits) over bronze tables of each size in SIZES, and
 * the peak RSS of a full refresh under SILVER_MEMORY_LIMIT.
 *
 * Bronze grows as it does in production: by days at a steady rate (ROWS_PER_DAY rows a day, so
 * SIZES / ROWS_PER_DAY days), not by packing more rows into the same days; an incremental run
 * re-aggregates the latest day, so its cost should not depend on how many days precede it.
 * Each size runs in three child processes: build bronze; full refresh (timed, peak RSS: the
 * process does nothing else); then incremental rounds on a job warmed by one run (the running
 * scheduler), medians of REPEAT. Totals are checked against bronze to the cent.
 *
 *   npm run bench:silver-growth
 *   env: SIZES (default 1000000,10000000), ROWS_PER_DAY (100000), NEW_ROWS (10000),
 *        NEW_COMMITS (20), REPEAT (3), CLIENTS (10000), SILVER_MEMORY_LIMIT (512MB), BENCH_TMP, BENCH_KEEP=1.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { RunReport, SilverJob } from '@app/silver';
import { bronzeSalesSql, buildBronzeTable, checkTotals, DAY_US, START_US } from './bronze-data';
import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { cpuMs, fmtInt, loadWarning, median, mib, now, printTable, removeDir, reportToParent, round, RssSampler, runBenchmark, runChild, scenarioArg, tempDir, writeResult } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const SIZES = (process.env.SIZES ?? '1000000,10000000').split(',').map(Number);
const ROWS_PER_DAY = env('ROWS_PER_DAY', 100_000);
const NEW_ROWS = env('NEW_ROWS', 10_000);
const NEW_COMMITS = env('NEW_COMMITS', 20);
const REPEAT = env('REPEAT', 3);
const CLIENTS = env('CLIENTS', 10_000);
const MEMORY_LIMIT = process.env.SILVER_MEMORY_LIMIT ?? '512MB';
const TARGET_GROWTH = 1.3;
const TARGET_FULL_RSS_MIB = 600;

const duckdb = () => ({ memoryLimit: MEMORY_LIMIT, tempDirectory: path.join(os.tmpdir(), 'silver-bench-spill') });
const daysOf = (rows: number) => Math.max(1, Math.round(rows / ROWS_PER_DAY));

async function build(root: string, rows: number) {
  const { seconds } = await buildBronzeTable(root, rows, daysOf(rows), CLIENTS);
  return { buildSeconds: round(seconds, 1) };
}

async function full(root: string) {
  const rss = new RssSampler(20);
  const [t0, c0] = [now(), cpuMs()];
  const report = await new SilverJob({ lakehouseRoot: root, duckdb: duckdb() }).run('bench');
  const seconds = (now() - t0) / 1000;
  const peak = rss.stop();
  if (report.mode !== 'full') throw new Error(`expected a full run, got ${report.mode}`);
  return {
    seconds: round(seconds, 2),
    cpuSeconds: round((cpuMs() - c0) / 1000, 2),
    peakRssMiB: mib(peak),
    maxRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
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
  const results = [];
  for (const rows of SIZES) {
    const root = tempDir(`silver-growth-${rows}-`);
    try {
      const args = ['--root', root, '--rows', String(rows)];
      const built = runChild<{ buildSeconds: number }>(__filename, 'build', args);
      console.log(`bronze: ${fmtInt(rows)} rows over ${daysOf(rows)} days built in ${built.buildSeconds} s`);
      const fullRun = runChild<Awaited<ReturnType<typeof full>>>(__filename, 'full', args);
      console.log(`full refresh: ${fullRun.seconds} s, peak RSS ${fullRun.peakRssMiB} MiB`);
      const incr = runChild<Awaited<ReturnType<typeof incremental>>>(__filename, 'incremental', args);
      console.log(`incremental +${fmtInt(NEW_ROWS)}: median ${incr.seconds} s (${incr.allSeconds.join(', ')})`);
      results.push({ bronzeRows: rows, days: daysOf(rows), ...built, full: fullRun, incremental: incr });
    } finally {
      removeDir(root);
    }
  }
  const base = results[0].incremental.seconds;
  console.log();
  printTable(
    ['bronze rows', 'days', `incremental +${fmtInt(NEW_ROWS)} s`, 'cpu s', `÷ ${fmtInt(SIZES[0])}`, 'full refresh s', 'full peak RSS MiB'],
    results.map((r) => [fmtInt(r.bronzeRows), r.days, r.incremental.seconds, r.incremental.cpuSeconds, round(r.incremental.seconds / base, 2), r.full.seconds, r.full.peakRssMiB]),
  );
  const growth = round(results[results.length - 1].incremental.seconds / base, 2);
  console.log(`\nincremental growth ${fmtInt(SIZES[0])} -> ${fmtInt(SIZES[SIZES.length - 1])}: x${growth} (target <= ${TARGET_GROWTH})`);
  const file = writeResult('silver-growth', {
    sizes: SIZES,
    rowsPerDay: ROWS_PER_DAY,
    newRows: NEW_ROWS,
    newCommits: NEW_COMMITS,
    clients: CLIENTS,
    memoryLimit: MEMORY_LIMIT,
    results,
    incrementalGrowth: growth,
    targets: { incrementalGrowth: TARGET_GROWTH, fullRefreshPeakRssMiB: TARGET_FULL_RSS_MIB },
    ...(warning ? { warning } : {}),
  });
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

runBenchmark(main, child);
