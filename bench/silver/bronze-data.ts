/**
 * Bronze tables for the silver benchmarks, built straight from DuckDB SQL, and the check that
 * silver holds exactly what bronze holds.
 */
import * as path from 'node:path';
import { AddAction, commitAdds, DeltaTable, duckdbType, encodeLogPath, fileStats, PrimitiveType, serializeStats, sqlIdent, sqlString, withConnection } from '@app/delta';
import { BRONZE_TABLE, COUNTRY_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { createBronzeTable, now } from '../delta/common';

export const DAY_US = 86_400_000_000;
export const START_US = Date.UTC(2024, 10, 1) * 1000;
const BUILD_BATCH_ROWS = 1_000_000;
const DAY = BRONZE_TABLE.partitionColumns[0];

/** A row of COPY ... RETURN_STATS: one per file written. */
type CopiedFile = Parameters<typeof fileStats>[1] & { filename: string };

/**
 * `count` bronze rows with ids from `firstId`, event times spread evenly over
 * [startUs, startUs + spanUs), columns named and typed like BRONZE_TABLE. Every value is a hash
 * of the row number, so tables are identical from run to run. Client identity (name, country,
 * segment) is a function of client_id, as in the producer.
 */
export function bronzeSalesSql(firstId: number, count: number, startUs: number, spanUs: number, clients = 10_000): string {
  return `
WITH products(p, produit_nom, categorie, prix) AS (VALUES
  (0, 'Ordinateur portable', 'Électronique', 899.99), (1, 'Smartphone', 'Électronique', 599.99),
  (2, 'Bureau ergonomique', 'Mobilier', 349.50), (3, 'Chaise de bureau', 'Mobilier', 189.90),
  (4, 'Casque audio', 'Accessoires', 79.99), (5, 'Cafetière', 'Électroménager', 79.99),
  (6, 'Aspirateur robot', 'Électroménager', 299.00), (7, 'Roman policier', 'Livres', 12.90),
  (8, 'Bande dessinée', 'Livres', 15.50), (9, 'Chaussures de course', 'Sport', 110.00)),
gen AS (
  SELECT i,
         CAST(hash(i, 4) % ${clients} + 1 AS INTEGER) AS client_id,
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

/**
 * A bronze table of `rows` rows over `days` days, built fast enough for tens of millions of rows:
 * DuckDB writes each 1M-row batch straight to the table's day folders (one file per day and
 * batch, as after the ingestor's compaction), the files' Delta stats come from the same COPY, and
 * one commit adds them all. Bench data only: the library's writer checks every value, this does not.
 */
export async function buildBronzeTable(root: string, rows: number, days: number, clients = 10_000): Promise<{ table: DeltaTable; seconds: number }> {
  const t0 = now();
  const location = tableLocation(root, BRONZE_TABLE);
  const table = await createBronzeTable(location);
  const { fields } = BRONZE_TABLE.schema;
  const dataFields = fields.filter((f) => !BRONZE_TABLE.partitionColumns.includes(f.name));
  const typed = fields.map((f) => `CAST(${sqlIdent(f.name)} AS ${duckdbType(f.type as PrimitiveType)}) AS ${sqlIdent(f.name)}`).join(', ');
  const spanUs = days * DAY_US;
  const adds: AddAction[] = [];
  for (let first = 0; first < rows; first += BUILD_BATCH_ROWS) {
    const count = Math.min(BUILD_BATCH_ROWS, rows - first);
    // Each batch covers its share of the time range, so batches follow each other in time.
    const sql = bronzeSalesSql(first, count, START_US + Math.floor((first * spanUs) / rows), Math.floor((count * spanUs) / rows), clients);
    const files = await withConnection(async (conn) =>
      (
        await conn.runAndReadAll(
          `COPY (SELECT ${typed} FROM (${sql})) TO ${sqlString(location)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880, ` +
            `PARTITION_BY (${sqlIdent(DAY)}), FILENAME_PATTERN 'part-00000-{uuid}-c000.snappy', OVERWRITE_OR_IGNORE, RETURN_STATS)`,
        )
      ).getRowObjectsJson(),
    );
    for (const f of files as unknown as CopiedFile[]) {
      const relative = path.relative(location, f.filename);
      const day = /^jour=([^/]+)\//.exec(relative)![1];
      adds.push({ path: encodeLogPath(relative), partitionValues: { [DAY]: day }, size: Number(f.file_size_bytes), modificationTime: Date.now(), dataChange: true, stats: serializeStats(fileStats(dataFields, f)) });
    }
  }
  await commitAdds(table.log, table.snapshot, adds);
  return { table, seconds: (now() - t0) / 1000 };
}

/** Silver must hold exactly what bronze holds: every sale counted once, revenue to the cent. */
export async function checkTotals(root: string, bronze: DeltaTable): Promise<{ rows: number; revenueCents: string }> {
  const silver = await DeltaTable.open(tableLocation(root, COUNTRY_AGGREGATES_TABLE));
  const [bronzeScan, silverScan] = [await bronze.scan(), await silver.scan()];
  return withConnection(async (conn) => {
    const b = (await conn.runAndReadAll(`SELECT COUNT(*)::BIGINT AS n, SUM(CAST(ROUND(montant * 100) AS BIGINT))::VARCHAR AS cents FROM (${bronzeScan.sql})`)).getRowObjectsJS()[0];
    const s = (await conn.runAndReadAll(`SELECT SUM(total_transactions)::BIGINT AS n, SUM(CAST(ROUND(revenue_total * 100) AS BIGINT))::VARCHAR AS cents FROM (${silverScan.sql})`)).getRowObjectsJS()[0];
    if (b.n !== s.n || b.cents !== s.cents) throw new Error(`silver totals ${s.n} rows / ${s.cents} cents differ from bronze ${b.n} / ${b.cents}`);
    return { rows: Number(b.n), revenueCents: String(b.cents) };
  });
}

