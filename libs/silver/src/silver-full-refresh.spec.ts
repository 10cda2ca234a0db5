import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, Row, withConnection } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { appendSales, bronzeRow, createBronze, readSilver, Sale, tempLakehouse } from '../test/bronze-fixtures';
import { daysIn } from './bronze-changes';
import { RunReport } from './run-report';
import { dayBatches, SilverDaysFailedError, SilverJob } from './silver-job';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from './state-tables';

const DAYS = ['2024-12-01', '2024-12-02', '2024-12-03', '2024-12-04', '2024-12-05'];

const TABLES = [
  { def: CLIENT_AGGREGATES_TABLE, keys: ['jour', 'client_id'] },
  { def: COUNTRY_AGGREGATES_TABLE, keys: ['pays'] },
  { def: SEGMENT_AGGREGATES_TABLE, keys: ['segment'] },
  { def: SALE_OCCURRENCES_TABLE, keys: ['kafka_topic', 'kafka_partition', 'kafka_offset'] },
  { def: CUSTOMER_TOTALS_TABLE, keys: ['client_id', 'pays', 'segment'] },
];

async function silverTables(root: string): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const { def, keys } of TABLES) out[def.name] = await readSilver(root, def, keys);
  return out;
}

/** What a full refresh reports about the data, whatever its batches. */
function outcome(r: RunReport) {
  return {
    mode: r.mode,
    daysRecomputed: r.daysRecomputed,
    bronzeRowsRead: r.bronzeRowsRead,
    duplicates: r.duplicates,
    rowsWritten: r.rowsWritten,
    failedDays: r.failedDays,
  };
}

/**
 * Sales over five days, with what ranking across days must get right: re-sends and conflicting
 * payloads of a sale on later days, a duplicate on a later day ingested before the original (a
 * skewed clock), and a client whose identity changes within a day. The 90x ids make every day's
 * vente_id range overlap the others', so each batch also reads the other days' files.
 */
async function multiDayBronze(root: string): Promise<DeltaTable> {
  const bronze = await createBronze(root);
  let offset = 0;
  const at = (s: Sale, ingestedDay: string, extra: Partial<Row> = {}): Row => ({
    ...bronzeRow(s),
    kafka_offset: ++offset,
    kafka_partition: offset % 3,
    date_ingestion: `${ingestedDay}T13:00:${String(offset % 60).padStart(2, '0')}.000000Z`,
    ...extra,
  });
  for (const [d, day] of DAYS.entries()) {
    const rows: Row[] = [];
    for (let i = 0; i < 12; i++) {
      const id = d * 100 + i;
      rows.push(
        at(
          {
            vente_id: id,
            client_id: ((id % 5) + 1) as Sale['client_id'],
            produit_id: 101 + (id % 3),
            jour: day,
            montant: 10 + id,
            quantite: 1 + (id % 2),
          },
          day,
        ),
      );
    }
    if (d > 0) {
      const previousDay = DAYS[d - 1];
      // An exact re-send of yesterday's sale, today.
      rows.push(
        at(
          {
            vente_id: (d - 1) * 100 + 1,
            client_id: (((d - 1) * 100 + 1) % 5) + 1,
            produit_id: 101 + (((d - 1) * 100 + 1) % 3),
            jour: previousDay,
            montant: 10 + (d - 1) * 100 + 1,
            quantite: 1 + (((d - 1) * 100 + 1) % 2),
          },
          day,
        ),
      );
      // Yesterday's sale again with another payload and today's date: a conflict, dropped.
      rows.push(at({ vente_id: (d - 1) * 100 + 2, client_id: 3, produit_id: 105, jour: day, montant: 999.99 }, day));
      // Today's sale id already seen on an earlier day, ingested before it (skewed clock): it wins.
      rows.push(at({ vente_id: (d - 1) * 100 + 3, client_id: 4, produit_id: 106, jour: day, montant: 42.5 }, '2024-11-30'));
    }
    // Client 1 moves within the day: one row, with the identity of the later sale.
    rows.push(
      at({ vente_id: 900 + d, client_id: 1, produit_id: 101, jour: day, montant: 7 }, day, {
        timestamp: `${day}T23:00:00.000000Z`,
        pays: 'Belgique',
        client_nom: 'Jean Dupont-Martin',
      }),
    );
    await bronze.append({ rows });
  }
  return bronze;
}

async function copyBronze(from: string): Promise<string> {
  const to = tempLakehouse('silver-single-pass-');
  await fs.cp(path.join(from, 'bronze'), path.join(to, 'bronze'), { recursive: true });
  return to;
}

/** Data files present under a table's folder, as relative paths. */
async function dataFilesOnDisk(root: string, def: typeof SALE_OCCURRENCES_TABLE): Promise<string[]> {
  const dir = tableLocation(root, def);
  const entries = await fs.readdir(dir, { recursive: true });
  return entries.filter((e) => e.endsWith('.parquet') && !e.startsWith('_delta_log')).sort();
}

describe('full refresh in batches of days', () => {
  jest.setTimeout(300_000);
  const roots: string[] = [];
  afterAll(async () => Promise.all(roots.map((r) => fs.rm(r, { recursive: true, force: true }))));

  it('equals a single pass over every day: silver tables, bookkeeping and report', async () => {
    const root = tempLakehouse();
    const bronze = await multiDayBronze(root);
    const single = await copyBronze(root);
    roots.push(root, single);
    // One day a batch, against all days in one batch (the refresh as it was before batches).
    expect(dayBatches(bronze, daysIn(bronze), 1)).toEqual(DAYS.map((d) => [d]));
    expect(dayBatches(bronze, daysIn(bronze), Infinity)).toEqual([DAYS]);

    const batched = await new SilverJob({ lakehouseRoot: root, fullRefreshBatchRows: 1 }).run();
    const onePass = await new SilverJob({ lakehouseRoot: single, fullRefreshBatchRows: Infinity }).run();

    expect(outcome(batched)).toEqual(outcome(onePass));
    expect(batched.duplicates.dropped).toBe(12);
    expect(batched.duplicates.conflicts).toBe(8);
    const tables = await silverTables(root);
    expect(tables).toEqual(await silverTables(single));
    // The skewed-clock duplicate won over the original of the previous day.
    const occurrences = tables[SALE_OCCURRENCES_TABLE.name];
    expect(Object.fromEntries(occurrences.filter((o) => o.vente_id === 3n).map((o) => [String(o.jour), o.is_first]))).toEqual({
      [DAYS[0]]: false,
      [DAYS[1]]: true,
    });
    // Bronze checked against silver: each sale counted once.
    const counted = occurrences.filter((o) => o.is_first).length;
    const transactions = tables[COUNTRY_AGGREGATES_TABLE.name].reduce((n, r) => n + Number(r.total_transactions), 0);
    expect(transactions).toBe(counted);
    // One commit per table, as a single pass makes.
    for (const def of [SALE_OCCURRENCES_TABLE, CLIENT_AGGREGATES_TABLE]) {
      const table = await DeltaTable.open(tableLocation(root, def));
      expect((await table.history()).filter((h) => h.operation === 'WRITE')).toHaveLength(1);
    }
  });

  it('leaves a day that fails out, commits the others, and keeps no file of the attempt', async () => {
    const root = tempLakehouse();
    roots.push(root);
    const bronze = await createBronze(root);
    await appendSales(bronze, [
      { vente_id: 1, client_id: 1, produit_id: 101, jour: DAYS[0], montant: 10 },
      { vente_id: 2, client_id: 2, produit_id: 101, jour: DAYS[2], montant: 20 },
    ]);
    // Cents overflowing BIGINT on the middle day (bronze written before the contract bounded montant).
    await appendSales(bronze, [{ vente_id: 3, client_id: 2, produit_id: 101, jour: DAYS[1], montant: 1e300 }]);
    const job = new SilverJob({ lakehouseRoot: root, fullRefreshBatchRows: 1 });
    await expect(job.run()).rejects.toBeInstanceOf(SilverDaysFailedError);
    const report = job.runs.last!;
    expect(report).toMatchObject({ mode: 'full', daysRecomputed: [DAYS[0], DAYS[2]] });
    expect(report.failedDays.map((d) => d.day)).toEqual([DAYS[1]]);
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour'])).map((r) => [r.jour, r.total_depense])).toEqual([
      [DAYS[0], 10],
      [DAYS[2], 20],
    ]);
    for (const def of [SALE_OCCURRENCES_TABLE, CLIENT_AGGREGATES_TABLE]) {
      const table = await DeltaTable.open(tableLocation(root, def));
      const live = table.snapshot
        .files()
        .map((f) => decodeURIComponent(f.path))
        .sort();
      expect(await dataFilesOnDisk(root, def)).toEqual(live);
    }
  });

  describe('under SILVER_MEMORY_LIMIT', () => {
    /** DuckDB's memory limit in bytes, from its display form ("18.8 GiB"), which rounds. */
    const currentLimit = () =>
      withConnection(async (c) => {
        const shown = String((await c.runAndReadAll(`SELECT current_setting('memory_limit') AS m`)).getRowObjectsJS()[0].m);
        const [, n, unit] = /^([\d.]+)\s*(\w+)$/.exec(shown)!;
        return Number(n) * 1024 ** ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(unit);
      });
    const tempDirectory = path.join(os.tmpdir(), 'silver-duckdb-test');

    it('runs its queries under the limit: too small a limit fails with DuckDB out of memory, and the setting is restored', async () => {
      const root = tempLakehouse();
      roots.push(root);
      await multiDayBronze(root);
      const before = await currentLimit();
      const job = new SilverJob({ lakehouseRoot: root, duckdb: { memoryLimit: '4MB', tempDirectory }, fullRefreshBatchRows: 1 });
      const error = (await job.run().catch((e: unknown) => e)) as Error;
      // A query failed for want of memory (not the setting itself).
      expect(error.message).toMatch(/Out of Memory/i);
      expect(error.message).not.toMatch(/change memory limit/i);
      // Set back to the process's limit (as DuckDB displays it, give or take its rounding).
      expect(Math.abs((await currentLimit()) / before - 1)).toBeLessThan(0.02);
    });

    it('gives the same tables under a small limit as without one', async () => {
      const root = tempLakehouse();
      await multiDayBronze(root);
      const unlimited = await copyBronze(root);
      roots.push(root, unlimited);
      await new SilverJob({ lakehouseRoot: root, duckdb: { memoryLimit: '64MB', tempDirectory }, fullRefreshBatchRows: 20 }).run();
      await new SilverJob({ lakehouseRoot: unlimited }).run();
      expect(await silverTables(root)).toEqual(await silverTables(unlimited));
    });
  });
});
