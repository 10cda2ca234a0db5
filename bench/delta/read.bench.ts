/**
 * Read throughput on a 1,000,000-row BRONZE_TABLE Delta table (partitioned by jour, built with
 * 20 appends of 50,000 rows):
 *   - `table.readRows()`: every row into JS objects (long as bigint, timestamps as ISO strings);
 *   - `table.readRows([jour = day 2])`: partition pruning, about a third of the rows;
 *   - in-engine aggregates over `table.scan()` SQL through `withConnection`:
 *     `SELECT count(*), sum(montant) FROM (<scan.sql>)` and a GROUP BY pays.
 * The JS-object reads and the aggregates each run in their own fresh process (peak RSS per
 * scenario); the first run of each is reported as "first", then the median of the runs.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/delta/read.bench.ts
 *   env: READ_ROWS (default 1000000), BENCH_TMP, BENCH_KEEP=1.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, withConnection } from '@app/delta';
import {
  appendSales,
  cpuMs,
  createBronzeTable,
  DAYS,
  fmtInt,
  loadWarning,
  median,
  mib,
  now,
  printTable,
  removeDir,
  reportToParent,
  round,
  RssSampler,
  runBenchmark,
  runChild,
  scenarioArg,
  START_MS,
  tempDir,
  writeResult,
} from './common';

const BATCH = 50_000;

interface BuildResult {
  dir: string;
  rows: number;
  version: number;
  files: number;
  seconds: number;
}

interface Measure {
  name: string;
  rows: number;
  firstMs: number;
  runsMs: number[];
  medianMs: number;
  rowsPerSecond: number;
  cpuMsMedian: number;
  result?: unknown;
}

interface ChildResult {
  scenario: string;
  measures: Measure[];
  peakRssMiB: number;
  loadAverage1m: number;
}

async function build(rows: number): Promise<BuildResult> {
  const t0 = now();
  const dir = tempDir('bench-read-');
  const table = await createBronzeTable(dir);
  await appendSales(table, rows, BATCH);
  return {
    dir,
    rows,
    version: table.version,
    files: table.snapshot.state.files.size,
    seconds: round((now() - t0) / 1000, 1),
  };
}

async function measure(
  name: string,
  runs: number,
  rss: RssSampler,
  fn: () => Promise<{ rows: number; result?: unknown }>,
): Promise<Measure> {
  const times: number[] = [];
  const cpus: number[] = [];
  let rows = 0;
  let result: unknown;
  for (let i = 0; i < runs; i++) {
    const t = now();
    const c = cpuMs();
    const out = await fn();
    times.push(round(now() - t, 1));
    cpus.push(cpuMs() - c);
    rss.sample();
    rows = out.rows;
    result = out.result;
    // Let the previous result go before the next run.
    (global as { gc?: () => void }).gc?.();
  }
  const med = median(times);
  return {
    name,
    rows,
    firstMs: times[0],
    runsMs: times,
    medianMs: round(med, 1),
    rowsPerSecond: Math.round(rows / (med / 1000)),
    cpuMsMedian: round(median(cpus), 1),
    result,
  };
}

async function child(): Promise<void> {
  const [what, arg] = scenarioArg().split(':');
  if (what === 'build') {
    reportToParent(await build(Number(arg)));
    process.exit(0);
  }
  const dir = arg;
  const rss = new RssSampler(20);
  const load = os.loadavg()[0];
  const table = await DeltaTable.open(dir);
  const measures: Measure[] = [];
  if (what === 'rows') {
    measures.push(
      await measure('readRows() -> JS objects, all rows', 3, rss, async () => ({
        rows: (await table.readRows()).length,
      })),
    );
    const day = new Date(START_MS + 86_400_000 * Math.floor(DAYS / 2)).toISOString().slice(0, 10);
    measures.push(
      await measure(`readRows([jour = ${day}]) -> JS objects`, 3, rss, async () => ({
        rows: (await table.readRows([{ column: 'jour', op: '=', value: day }])).length,
      })),
    );
  } else {
    const total = table.snapshot.numRecords();
    const sqlAgg = async (select: string, groupBy = ''): Promise<{ rows: number; result: unknown }> => {
      const scan = await table.scan();
      const res = await withConnection(async (conn) =>
        (await conn.runAndReadAll(`SELECT ${select} FROM (${scan.sql})${groupBy}`)).getRowsJson(),
      );
      return { rows: total, result: res.length === 1 ? res[0] : res.length };
    };
    measures.push(await measure('scan SQL: count(*), sum(montant)', 6, rss, () => sqlAgg('count(*), sum(montant)')));
    measures.push(
      await measure('scan SQL: GROUP BY pays (count, sum, avg, count distinct client)', 6, rss, () =>
        sqlAgg('pays, count(*), sum(montant), avg(montant), count(DISTINCT client_id)', ' GROUP BY pays'),
      ),
    );
  }
  const result: ChildResult = {
    scenario: what,
    measures,
    peakRssMiB: mib(rss.stop()),
    loadAverage1m: round(load, 2),
  };
  reportToParent(result);
  process.exit(0);
}

function main(): void {
  const rows = Number(process.env.READ_ROWS ?? 1_000_000);
  console.log(`read.bench: ${fmtInt(rows)}-row BRONZE_TABLE Delta table (partitioned by jour)\n`);
  console.log(`building (appends of ${fmtInt(BATCH)} rows) ...`);
  const b = runChild<BuildResult>(__filename, `build:${rows}`);
  console.log(`  built in ${b.seconds} s: version ${b.version}, ${b.files} data files`);
  const results: ChildResult[] = [];
  try {
    for (const what of ['rows', 'agg']) {
      console.log(`measuring ${what === 'rows' ? 'readRows into JS objects' : 'in-engine aggregates'} (fresh process) ...`);
      results.push(runChild<ChildResult>(__filename, `${what}:${b.dir}`));
    }
  } finally {
    removeDir(b.dir);
  }
  console.log('');
  printTable(
    ['read', 'rows', 'first ms', 'median ms', 'rows/s (median)', 'CPU ms (median)', 'runs', 'process peak RSS MiB'],
    results.flatMap((r) =>
      r.measures.map((m) => [
        m.name,
        fmtInt(m.rows),
        m.firstMs.toFixed(1),
        m.medianMs.toFixed(1),
        fmtInt(m.rowsPerSecond),
        m.cpuMsMedian.toFixed(1),
        m.runsMs.length,
        r.peakRssMiB.toFixed(1),
      ]),
    ),
  );
  const agg = results.find((r) => r.scenario === 'agg')?.measures[0];
  if (agg) console.log(`\ncount/sum result: ${JSON.stringify(agg.result)}`);
  console.log('times include planning the scan (file list -> read_parquet SQL) and, for readRows, building the JS objects.');
  const warn = loadWarning();
  if (warn) console.log(warn);
  const file = writeResult('read', {
    rows,
    build: { version: b.version, files: b.files, seconds: b.seconds },
    results,
  });
  console.log(`\nresult: ${path.relative(process.cwd(), file)}`);
}

runBenchmark(main, child);
