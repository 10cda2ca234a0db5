/**
 * Tables on S3 against the local disk, on this machine: the same bronze micro-batch commits and
 * the same silver refreshes, once with LAKEHOUSE_ROOT a temp folder, once an s3:// root on the
 * project's S3 server (scripts/s3, SeaweedFS on localhost: no network latency, so this measures
 * the staging through the store and the request count, not a real region's round trips).
 *
 * - bronze: COMMITS (default 10) appends of BATCH (default 50,000, the ingestor's FLUSH_MAX_ROWS)
 *   bronze rows over 3 days, as the ingestor commits them (one Parquet file per day, a txn per
 *   partition). rows/s = rows / wall time of the appends; S3 requests per commit by operation,
 *   counted by a middleware on the store's S3 client.
 * - silver: a full SilverJob run over that bronze, then one more 10,000-row commit and an
 *   incremental run on the same job (the scheduler's steady state). On S3 the job starts with
 *   no local copy of bronze (its own temp dir), as a scheduler in its own pod: the full run
 *   downloads every bronze file once.
 *
 *   node scripts/s3/s3.js start && npm run bench:s3
 *   env: COMMITS, BATCH, BENCH_TMP, DUCKDB_THREADS (default 1, as the ingestor)
 */
import { S3Client } from '@aws-sdk/client-s3';
import { configureDuckDB, S3ObjectStore, s3ClientFromEnv } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { SilverJob } from '@app/silver';
import * as path from 'node:path';
import { createBronzeTable, fmtInt, loadWarning, now, printTable, removeDir, round, tempDir, writeResult } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const COMMITS = env('COMMITS', 10);
const BATCH = env('BATCH', 50_000);
const INCREMENT = 10_000;
const DAY_US = 86_400_000_000;
const START_US = Date.UTC(2024, 11, 10) * 1000;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3Script = require(path.resolve(__dirname, '../../scripts/s3/s3.js')) as { start(o: object): Promise<{ env: Record<string, string> }> };

/** `count` bronze rows from `first` on, over 3 days, as one ingestor micro-batch. */
function bronzeBatchSql(first: number, count: number): string {
  return `
SELECT CAST(i AS BIGINT) AS vente_id, CAST(1 + i % 1000 AS INTEGER) AS client_id, CAST(101 + i % 20 AS INTEGER) AS produit_id,
       CAST(make_timestamp(${START_US} + (i % 3) * ${DAY_US} + i) AS TIMESTAMPTZ) AS "timestamp", CAST(1 + i % 5 AS INTEGER) AS quantite,
       CAST(ROUND((1 + i % 5) * (9.99 + i % 20), 2) AS DOUBLE) AS montant, 'Client ' || (1 + i % 1000) AS client_nom,
       'Produit ' || (101 + i % 20) AS produit_nom, ['Livres', 'Jeux', 'Maison'][i % 3 + 1] AS categorie,
       ['France', 'Belgique', 'Suisse', 'Canada'][i % 4 + 1] AS pays, CASE WHEN i % 4 = 0 THEN 'Entreprise' ELSE 'Particulier' END AS segment,
       'ventes_stream' AS kafka_topic, CAST(i % 3 AS INTEGER) AS kafka_partition, CAST(i // 3 AS BIGINT) AS kafka_offset,
       CAST(make_timestamp(${START_US} + (i % 3) * ${DAY_US} + i + 1500000) AS TIMESTAMPTZ) AS date_ingestion,
       CAST(make_timestamp(${START_US} + (i % 3) * ${DAY_US} + i) AS DATE) AS jour
FROM range(${first}, ${first + count}) r(i)`;
}

/** Counts the requests a client sends, by operation (PutObject, GetObject, ListObjectsV2...). */
function countRequests(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      counts.set(context.commandName!, (counts.get(context.commandName!) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCount' },
  );
  return counts;
}

interface BackendResult {
  backend: string;
  bronzeRowsPerS: number;
  commitMsMedian: number;
  requestsPerCommit?: Record<string, number>;
  silverFullS: number;
  silverIncrementalS: number;
}

async function runBackend(backend: 'local' | 's3', root: string): Promise<BackendResult> {
  const client = backend === 's3' ? s3ClientFromEnv() : undefined;
  const counts = client ? countRequests(client) : undefined;
  const uri = tableLocation(root, BRONZE_TABLE);
  const store = client ? new S3ObjectStore(uri, { client }) : undefined;
  const bronze = await createBronzeTable(uri, { store });
  counts?.clear();
  const commitMs: number[] = [];
  for (let c = 0; c < COMMITS; c++) {
    const t = now();
    await bronze.append({ sql: bronzeBatchSql(c * BATCH, BATCH) }, { txns: [0, 1, 2].map((p) => ({ appId: `bench-ventes_stream-${p}`, version: (c + 1) * BATCH })) });
    commitMs.push(now() - t);
  }
  const requestsPerCommit = counts ? Object.fromEntries([...counts].map(([k, v]) => [k, round(v / COMMITS, 1)])) : undefined;
  const totalMs = commitMs.reduce((a, b) => a + b, 0);

  // Silver starts with an empty local copy of the tables, as a scheduler in its own pod: the S3
  // stores it opens stage and cache under its own temp dir.
  process.env.TMPDIR = tempDir(`bench-s3-silver-${backend}-`);
  const job = new SilverJob({ lakehouseRoot: root });
  let t = now();
  await job.run('bench');
  const silverFullS = (now() - t) / 1000;
  await bronze.append({ sql: bronzeBatchSql(COMMITS * BATCH, INCREMENT) });
  t = now();
  await job.run('bench');
  const silverIncrementalS = (now() - t) / 1000;
  await job.close();
  client?.destroy();
  return {
    backend,
    bronzeRowsPerS: Math.round((COMMITS * BATCH) / (totalMs / 1000)),
    commitMsMedian: Math.round([...commitMs].sort((a, b) => a - b)[Math.floor(COMMITS / 2)]),
    requestsPerCommit,
    silverFullS: round(silverFullS, 2),
    silverIncrementalS: round(silverIncrementalS, 2),
  };
}

async function main(): Promise<void> {
  const warn = loadWarning();
  if (warn) console.log(warn);
  configureDuckDB({ threads: env('DUCKDB_THREADS', 1) });
  const server = await s3Script.start({ quiet: true });
  Object.assign(process.env, server.env);
  const dir = tempDir('bench-s3-');
  const results: BackendResult[] = [];
  try {
    results.push(await runBackend('local', path.join(dir, 'lakehouse')));
    results.push(await runBackend('s3', `s3://lakehouse/bench-${Date.now()}`));
  } finally {
    removeDir(dir);
  }
  console.log(`\n${COMMITS} bronze commits of ${fmtInt(BATCH)} rows, then silver (full, then incremental after ${fmtInt(INCREMENT)} rows)`);
  printTable(
    ['backend', 'bronze rows/s', 'commit ms (median)', 'silver full s', 'silver incremental s'],
    results.map((r) => [r.backend, fmtInt(r.bronzeRowsPerS), r.commitMsMedian, r.silverFullS, r.silverIncrementalS]),
  );
  console.log(`S3 requests per bronze commit: ${JSON.stringify(results[1].requestsPerCommit)}`);
  const file = writeResult('s3', { commits: COMMITS, batch: BATCH, increment: INCREMENT, results });
  console.log(`\nresults written to ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
