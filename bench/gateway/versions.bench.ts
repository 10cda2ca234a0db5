/**
 * Gateway memory per version kept for time travel (issue 13 §5), at 1M client-days: a
 * ventes_aggreges of 5,000 clients x 200 days (one Parquet file per day) is written, then five
 * silver-like runs each replace one day. The gateway's snapshots (as AnalyticsService builds
 * them) load the latest version into memory, then each past version, and the cost of each extra
 * version is measured twice: the growth of DuckDB's in-memory tables (duckdb_memory()) and of
 * the process RSS. Target: <= 20 MB per extra version. The first version's cost is reported too:
 * it is what every version cost before versions shared their files.
 *
 *   npm run bench:gateway   (runs gateway.bench.ts, then this)
 *   env: BENCH_TMP, BENCH_KEEP=1.
 */
import { DeltaTable, withConnection } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { SnapshotMemory, TableSnapshots } from '@app/analytics';
import { loadWarning, printTable, removeDir, tempDir, writeResult } from '../delta/common';

const CLIENTS = 5_000;
const DAYS = 200;
const FIRST_DAY = '2024-01-01';
const RUNS = 5;
const TARGET_MB_PER_VERSION = 20;
const MB = 2 ** 20;

/** Client-days of the days [first, first + days) in DuckDB SQL, with the table's columns and types; `salt` changes the amounts. */
function clientDaysSql(firstDayOffset: number, days: number, salt: number): string {
  return `
    SELECT CAST(c AS INTEGER) AS client_id, 'Client ' || c AS client_nom,
           (['France','Belgique','Suisse','Luxembourg','Canada','Maroc','Sénégal'])[1 + c % 7] AS pays,
           CASE WHEN c % 3 = 0 THEN 'Entreprise' ELSE 'Particulier' END AS segment,
           CAST(DATE '${FIRST_DAY}' + CAST(d AS INTEGER) AS DATE) AS jour,
           CAST(1 + (c + d) % 5 AS BIGINT) AS total_quantite,
           round(((c * 7 + d * 13 + ${salt}) % 100000) / 100.0, 2) AS total_depense,
           CAST(1 + (c + d) % 3 AS BIGINT) AS nb_achats,
           round(((c * 7 + d * 13 + ${salt}) % 100000) / 100.0 / (1 + (c + d) % 3), 2) AS panier_moyen,
           1.0 AS achat_min, round(((c * 7 + d * 13 + ${salt}) % 100000) / 100.0, 2) AS achat_max,
           CAST(1 + c % 4 AS BIGINT) AS nb_produits_distincts, (1 + (c + d) % 3) >= 2 AS est_client_fidele,
           CASE WHEN (c * 7 + d * 13) % 100000 >= 100000 THEN 'Premium' WHEN (c * 7 + d * 13) % 100000 >= 20000 THEN 'Standard' ELSE 'Economy' END AS segment_depense
    FROM range(${CLIENTS}) t(c), range(${firstDayOffset}, ${firstDayOffset + days}) u(d)`;
}

async function duckdbTableBytes(): Promise<number> {
  return withConnection(async (c) => Number((await c.runAndReadAll(`SELECT coalesce(sum(memory_usage_bytes), 0) AS b FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'`)).getRowObjectsJS()[0].b));
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const warning = loadWarning();
  if (warning) console.log(warning);
  const root = tempDir('gateway-versions-bench-');
  try {
    const uri = tableLocation(root, CLIENT_AGGREGATES_TABLE);
    let t = Date.now();
    const table = await DeltaTable.create(uri, { schema: CLIENT_AGGREGATES_TABLE.schema, partitionColumns: CLIENT_AGGREGATES_TABLE.partitionColumns });
    await table.append({ sql: clientDaysSql(0, DAYS, 0) });
    console.log(`ventes_aggreges: ${CLIENTS} clients x ${DAYS} days = ${CLIENTS * DAYS} client-days, written in ${Date.now() - t} ms`);
    for (let run = 1; run <= RUNS; run++) await table.overwrite({ sql: clientDaysSql(DAYS - 1, 1, run) }, { partitions: 'dynamic' });
    const latestVersion = table.version;

    const memory = new SnapshotMemory(4 * 1024 * MB);
    const snapshots = new TableSnapshots(CLIENT_AGGREGATES_TABLE.name, uri, { refreshIntervalMs: 60_000, memory });
    const base = { duckdb: await duckdbTableBytes(), rss: rss() };
    t = Date.now();
    await (await snapshots.latest()).materialize();
    const first = { duckdb: await duckdbTableBytes(), rss: rss(), ms: Date.now() - t };
    const rows: Array<[string, number, number, number, number]> = [[`latest (v${latestVersion})`, (first.duckdb - base.duckdb) / MB, (first.rss - base.rss) / MB, memory.budget.heldBytes / MB, first.ms]];
    let prev = first;
    const extra: Array<{ version: number; duckdbMb: number; rssMb: number; ms: number }> = [];
    for (let v = latestVersion - 1; v >= latestVersion - RUNS; v--) {
      t = Date.now();
      await snapshots.at({ version: v });
      const now = { duckdb: await duckdbTableBytes(), rss: rss(), ms: Date.now() - t };
      extra.push({ version: v, duckdbMb: (now.duckdb - prev.duckdb) / MB, rssMb: (now.rss - prev.rss) / MB, ms: now.ms });
      rows.push([`+ v${v}`, (now.duckdb - prev.duckdb) / MB, (now.rss - prev.rss) / MB, memory.budget.heldBytes / MB, now.ms]);
      prev = now;
    }
    printTable(
      ['version loaded', 'DuckDB tables +MB', 'RSS +MB', 'budget held MB', 'load ms'],
      rows.map((r) => [r[0], r[1].toFixed(1), r[2].toFixed(1), r[3].toFixed(1), r[4]]),
    );
    const worst = Math.max(...extra.map((e) => Math.max(e.duckdbMb, e.rssMb)));
    const meetsTarget = worst <= TARGET_MB_PER_VERSION;
    console.log(`worst extra version: ${worst.toFixed(1)} MB: ${meetsTarget ? 'meets' : 'MISSES'} the ${TARGET_MB_PER_VERSION} MB target`);
    const file = writeResult('gateway-versions', {
      dataset: { clients: CLIENTS, days: DAYS, clientDays: CLIENTS * DAYS, versions: RUNS + 1, changedPerVersion: '1 day (1 file)' },
      results: { firstVersion: { duckdbMb: (first.duckdb - base.duckdb) / MB, rssMb: (first.rss - base.rss) / MB, loadMs: first.ms }, extraVersions: extra },
      target: { mbPerExtraVersion: TARGET_MB_PER_VERSION, meetsTarget },
      ...(warning ? { warning } : {}),
    });
    console.log(`results written to ${file}`);
  } finally {
    removeDir(root);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
