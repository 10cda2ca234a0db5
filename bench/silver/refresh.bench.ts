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
import { DeltaTable, withConnection } from '@app/delta';
import { BRONZE_TABLE, COUNTRY_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { RunReport, SilverJob } from '@app/silver';
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

const DAY_US = 86_400_000_000;
const START_US = Date.UTC(2024, 10, 1) * 1000;
const BUILD_BATCH_ROWS = 1_000_000;

/**
 * `count` bronze rows with ids from `firstId`, event times spread evenly over
 * [startUs, startUs + spanUs), columns named and typed like BRONZE_TABLE. Every value is a hash
 * of the row number, so tables are identical from run to run. Client identity (name, country,
 * segment) is a function of client_id, as in the producer.
 */
function bronzeSalesSql(firstId: number, count: number, startUs: number, spanUs: number): string {
  return `
WITH products(p, produit_nom, categorie, prix) AS (VALUES
  (0, 'Ordinateur portable', 'Électronique', 899.99), (1, 'Smartphone', 'Électronique', 599.99),
  (2, 'Bureau ergonomique', 'Mobilier', 349.50), (3, 'Chaise de bureau', 'Mobilier', 189.90),
  (4, 'Casque audio', 'Accessoires', 79.99), (5, 'Cafetière', 'Électroménager', 79.99),
  (6, 'Aspirateur robot', 'Électroménager', 299.00), (7, 'Roman policier', 'Livres', 12.90),
  (8, 'Bande dessinée', 'Livres', 15.50), (9, 'Chaussures de course', 'Sport', 110.00)),
gen AS (
  SELECT i,
         CAST(hash(i, 4) % 10000 + 1 AS INTEGER) AS client_id,
         CAST(hash(i, 5) % 10 AS INTEGER) AS p,
         CAST(hash(i, 6) % 5 + 1 AS INTEGER) AS quantite,
         CAST(${startUs} + CAST(i - ${firstId} AS HUGEINT) * ${spanUs} // ${count} AS BIGINT) AS ts_us
  FROM range(${firstId}, ${firstId + count}) r(i)
)
SELECT CAST(i + 1 AS BIGINT) AS vente_id, client_id, 101 + p AS produit_id,
       CAST(make_timestamp(ts_us) AS TIMESTAMPTZ) AS "timestamp", quantite,
       CAST(ROUND(quantite * prix, 2) AS DOUBLE) AS montant,
       'Client ' || client_id AS client_nom, produit_nom, categorie,
       ['France', 'Belgique', 'Suisse', 'Luxembourg', 'Canada', 'Maroc', 'Sénégal'][client_id % 7 + 1] AS pays,
       CASE WHEN client_id % 4 = 0 THEN 'Entreprise' ELSE 'Particulier' END AS segment,
       '${BRONZE_TABLE.name}' AS kafka_topic, CAST(i % 3 AS INTEGER) AS kafka_partition, CAST(i // 3 AS BIGINT) AS kafka_offset,
       CAST(make_timestamp(ts_us + 1500000) AS TIMESTAMPTZ) AS date_ingestion,
       CAST(make_timestamp(ts_us) AS DATE) AS jour
FROM gen JOIN products USING (p)`;
}

/** A bronze table of `rows` rows over DAYS days, appended in 1M-row commits (many files per day, as after real ingestion). */
async function buildBronze(root: string, rows: number): Promise<{ table: DeltaTable; seconds: number }> {
  const t0 = now();
  const table = await DeltaTable.create(tableLocation(root, BRONZE_TABLE), { schema: BRONZE_TABLE.schema, partitionColumns: BRONZE_TABLE.partitionColumns, name: BRONZE_TABLE.name });
  const spanUs = DAYS * DAY_US;
  for (let first = 0; first < rows; first += BUILD_BATCH_ROWS) {
    const count = Math.min(BUILD_BATCH_ROWS, rows - first);
    // Each batch covers its share of the time range, so batches follow each other in time.
    await table.append({ sql: bronzeSalesSql(first, count, START_US + Math.floor((first * spanUs) / rows), Math.floor((count * spanUs) / rows)) });
  }
  return { table, seconds: (now() - t0) / 1000 };
}

/** Silver must hold exactly what bronze holds: every sale counted once, revenue to the cent. */
async function checkTotals(root: string, bronze: DeltaTable): Promise<{ rows: number; revenueCents: string }> {
  const silver = await DeltaTable.open(tableLocation(root, COUNTRY_AGGREGATES_TABLE));
  const [bronzeScan, silverScan] = [await bronze.scan(), await silver.scan()];
  return withConnection(async (conn) => {
    const b = (await conn.runAndReadAll(`SELECT COUNT(*)::BIGINT AS n, SUM(CAST(ROUND(montant * 100) AS BIGINT))::VARCHAR AS cents FROM (${bronzeScan.sql})`)).getRowObjectsJS()[0];
    const s = (await conn.runAndReadAll(`SELECT SUM(total_transactions)::BIGINT AS n, SUM(CAST(ROUND(revenue_total * 100) AS BIGINT))::VARCHAR AS cents FROM (${silverScan.sql})`)).getRowObjectsJS()[0];
    if (b.n !== s.n || b.cents !== s.cents) throw new Error(`silver totals ${s.n} rows / ${s.cents} cents differ from bronze ${b.n} / ${b.cents}`);
    return { rows: Number(b.n), revenueCents: String(b.cents) };
  });
}

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
