/**
 * Reading a table with deletion vectors against the same table without them (issue 15 §3).
 * Three tables of the same BRONZE_TABLE rows (partitioned by jour, appends of 100,000 rows):
 *   - base: every row, no vectors;
 *   - dv: the base's files, plus a commit giving each file a deletion vector of DV_FRACTION of
 *     its rows (default 1%, random positions), in one DV file as Spark writes them;
 *   - cow: the rows left in dv, rewritten file by file without vectors (what copy-on-write would leave).
 * Each round (interleaved, so that load drifts hit all three alike) times, per table, the scan
 * plan (for dv: reading and decoding the vectors), `SELECT count(*), sum(montant)` over the scan
 * SQL, and `readRows()` into JS objects. Medians are reported, and dv's ratio to the two others.
 *
 *   npm run bench:dv
 *   env: DV_ROWS (default 1000000), DV_FRACTION (default 0.01), DV_ROUNDS (default 5),
 *        DV_READ_ROWS=0 (skip readRows, the slowest part), BENCH_KEEP=1.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { DeltaTable, planScan, withConnection } from '@app/delta';
import { mulberry32 } from '@app/simulator';
import { commitDeletionVectors } from '../../libs/delta/test/deletion-vectors';
import { appendSales, createBronzeTable, fmtInt, loadWarning, median, now, printTable, removeDir, round, tempDir, writeResult } from './common';

const BATCH = 100_000;

async function build(rows: number, fraction: number): Promise<Record<'base' | 'dv' | 'cow', string>> {
  const base = tempDir('bench-dv-base-');
  const table = await createBronzeTable(base);
  await appendSales(table, rows, BATCH);

  const dv = tempDir('bench-dv-dv-');
  await fs.cp(base, dv, { recursive: true });
  const withVectors = await DeltaTable.open(dv);
  // Seeded: the same positions are deleted in every run.
  const next = mulberry32(42);
  const deleted = new Map<string, number[]>();
  for (const f of withVectors.snapshot.files()) {
    const n = (JSON.parse(f.stats!) as { numRecords: number }).numRecords;
    const positions = new Set<number>();
    while (positions.size < Math.round(n * fraction)) positions.add(Math.floor(next() * n));
    if (positions.size) deleted.set(f.path, [...positions]);
  }
  await commitDeletionVectors(withVectors, deleted);

  const cow = tempDir('bench-dv-cow-');
  const rewritten = await createBronzeTable(cow);
  // File by file, so that cow has dv's layout: DuckDB's cost per file is not what is measured.
  const reopened = await DeltaTable.open(dv);
  for (const f of reopened.snapshot.files()) {
    const plan = await planScan(reopened.store, reopened.snapshot.schema, reopened.snapshot.partitionColumns, [f]);
    await rewritten.append({ sql: plan.sql });
  }
  return { base, dv, cow };
}

interface Times {
  planMs: number[];
  aggregateMs: number[];
  readRowsMs: number[];
  rows: number;
}

async function round1(dir: string, t: Times, readRows: boolean): Promise<void> {
  const table = await DeltaTable.open(dir);
  let start = now();
  const plan = await table.scan();
  t.planMs.push(now() - start);
  start = now();
  const [[count]] = await withConnection(async (conn) => (await conn.runAndReadAll(`SELECT count(*)::BIGINT, sum(montant) FROM (${plan.sql})`)).getRowsJS());
  t.aggregateMs.push(now() - start);
  t.rows = Number(count);
  if (!readRows) return;
  start = now();
  const rows = await table.readRows();
  t.readRowsMs.push(now() - start);
  if (rows.length !== t.rows) throw new Error(`readRows gave ${rows.length} rows, count(*) ${t.rows}`);
}

async function main(): Promise<void> {
  const rows = Number(process.env.DV_ROWS ?? 1_000_000);
  const fraction = Number(process.env.DV_FRACTION ?? 0.01);
  const rounds = Number(process.env.DV_ROUNDS ?? 5);
  const readRows = process.env.DV_READ_ROWS !== '0';
  console.log(`deletion-vectors.bench: ${fmtInt(rows)} rows, ${fraction * 100}% deleted by vectors, ${rounds} interleaved rounds\n`);
  const warning = loadWarning();
  if (warning) console.log(warning);
  const t0 = now();
  const dirs = await build(rows, fraction);
  const dvTable = await DeltaTable.open(dirs.dv);
  console.log(`built in ${round((now() - t0) / 1000, 1)} s: ${dvTable.snapshot.files().length} data files, ${fmtInt(dvTable.snapshot.numRecords())} rows left in dv\n`);
  const times = Object.fromEntries((['base', 'dv', 'cow'] as const).map((k) => [k, { planMs: [], aggregateMs: [], readRowsMs: [], rows: 0 } as Times])) as Record<
    'base' | 'dv' | 'cow',
    Times
  >;
  try {
    for (let r = 0; r < rounds; r++) for (const k of ['base', 'dv', 'cow'] as const) await round1(dirs[k], times[k], readRows);
  } finally {
    if (!process.env.BENCH_KEEP) for (const d of Object.values(dirs)) removeDir(d);
  }
  const med = (xs: number[]) => (xs.length ? round(median(xs), 1) : NaN);
  const summarize = (t: Times) => ({ rows: t.rows, planMs: med(t.planMs), aggregateMs: med(t.aggregateMs), readRowsMs: med(t.readRowsMs), runs: t });
  const summary = { base: summarize(times.base), dv: summarize(times.dv), cow: summarize(times.cow) };
  const ratio = (a: number, b: number) => round(a / b, 2);
  printTable(
    ['table', 'rows', 'plan ms', 'count+sum ms', 'readRows ms', 'plan+count+sum vs dv'],
    (['base', 'dv', 'cow'] as const).map((k) => [
      k,
      fmtInt(summary[k].rows),
      summary[k].planMs.toFixed(1),
      summary[k].aggregateMs.toFixed(1),
      summary[k].readRowsMs.toFixed(1),
      ratio(summary.dv.planMs + summary.dv.aggregateMs, summary[k].planMs + summary[k].aggregateMs).toFixed(2),
    ]),
  );
  const file = writeResult('deletion-vectors', {
    rows,
    fraction,
    rounds,
    readRows,
    loadAverage1m: round(os.loadavg()[0], 2),
    summary,
    ratios: {
      dvOverBaseAggregate: ratio(summary.dv.planMs + summary.dv.aggregateMs, summary.base.planMs + summary.base.aggregateMs),
      dvOverCowAggregate: ratio(summary.dv.planMs + summary.dv.aggregateMs, summary.cow.planMs + summary.cow.aggregateMs),
      dvOverBaseReadRows: ratio(summary.dv.readRowsMs, summary.base.readRowsMs),
      dvOverCowReadRows: ratio(summary.dv.readRowsMs, summary.cow.readRowsMs),
    },
  });
  console.log(`\nresult: ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
