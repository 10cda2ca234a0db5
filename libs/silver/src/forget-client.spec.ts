import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, Row, sqlString, withConnection } from '@app/delta';
import {
  BRONZE_TABLE,
  CLIENT_AGGREGATES_TABLE,
  COUNTRY_AGGREGATES_TABLE,
  QUARANTINE_TABLE,
  SEGMENT_AGGREGATES_TABLE,
  TableDefinition,
  tableLocation,
} from '@app/schemas';
import { appendSales, createBronze, readSilver, Sale, tempLakehouse } from '../test/bronze-fixtures';
import { forgetClient } from './forget-client';
import { SilverJob } from './silver-job';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from './state-tables';

const FORGOTTEN = 3;
const DAYS = ['2024-12-01', '2024-12-02', '2024-12-03'];

function sales(from: number, n: number): Sale[] {
  return Array.from({ length: n }, (_, i) => ({
    vente_id: from + i,
    client_id: ((from + i) % 5) + 1,
    produit_id: 10 + (i % 3),
    jour: DAYS[(from + i) % DAYS.length],
    montant: 10 + ((from + i) % 7),
  }));
}

const PUBLIC = [
  { def: CLIENT_AGGREGATES_TABLE, keys: ['jour', 'client_id'] },
  { def: COUNTRY_AGGREGATES_TABLE, keys: ['pays'] },
  { def: SEGMENT_AGGREGATES_TABLE, keys: ['segment'] },
  { def: CUSTOMER_TOTALS_TABLE, keys: ['client_id', 'pays', 'segment'] },
];

async function silverOf(root: string): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const { def, keys } of PUBLIC) out[def.name] = await readSilver(root, def, keys);
  return out;
}

/** What a full silver refresh computes from `root`'s bronze alone. */
async function fullRefreshOf(root: string): Promise<Record<string, Row[]>> {
  const copy = tempLakehouse('forget-full-');
  await fs.cp(path.join(root, 'bronze', BRONZE_TABLE.name), path.join(copy, 'bronze', BRONZE_TABLE.name), { recursive: true });
  expect((await new SilverJob({ lakehouseRoot: copy }).run()).mode).toBe('full');
  return silverOf(copy);
}

/** Every Parquet file under the table's folder, live or not, with DuckDB: the rows matching `where`. */
async function rowsOnDisk(root: string, def: TableDefinition, where: string): Promise<number> {
  const dir = tableLocation(root, def);
  const files = (await fs.readdir(dir, { recursive: true })).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dir, f));
  if (files.length === 0) return 0;
  return withConnection(async (conn) => {
    const res = await conn.runAndReadAll(`SELECT count(*) FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name=true) WHERE ${where}`);
    return Number(res.getRows()[0][0]);
  });
}

async function quarantine(root: string): Promise<DeltaTable> {
  const table = await DeltaTable.openOrCreate(tableLocation(root, QUARANTINE_TABLE), QUARANTINE_TABLE);
  const row = (offset: number, payload: string) => ({
    raw_payload: payload,
    reason: 'schema_violation',
    error: '{}',
    kafka_topic: 'ventes_stream',
    kafka_partition: 0,
    kafka_offset: offset,
    date_ingestion: '2024-12-02T00:00:00.000000Z',
    jour: '2024-12-02',
    raw_payload_base64: null,
  });
  await table.append({
    rows: [
      row(1000, `{"vente_id": 1, "client_id": ${FORGOTTEN}, "montant": -5}`),
      row(1001, `{"vente_id": 2, "client_id": "${FORGOTTEN}", "quantite": 0}`),
      row(1002, '{"vente_id": 3, "client_id": 4, "montant": -5}'),
      row(1003, `not json at all, client ${FORGOTTEN}`),
    ],
  });
  return table;
}

describe('forgetClient (right to erasure) on the platform tables', () => {
  jest.setTimeout(300_000);

  it('removes the client from bronze, quarantine and silver, from every file on disk after vacuum; silver stays what a full refresh gives, and a later run does not bring the client back', async () => {
    const root = tempLakehouse('forget-client-');
    const bronze = await createBronze(root);
    await appendSales(bronze, sales(1, 30));
    await appendSales(bronze, sales(31, 30));
    await quarantine(root);
    await new SilverJob({ lakehouseRoot: root }).run();
    expect((await readSilver(root, CLIENT_AGGREGATES_TABLE, ['client_id'])).some((r) => r.client_id === FORGOTTEN)).toBe(true);
    const clientSales = sales(1, 60).filter((s) => s.client_id === FORGOTTEN).map((s) => s.vente_id);

    const report = await forgetClient({ lakehouseRoot: root, clientId: FORGOTTEN, retentionHours: 0 });
    expect(report.passes).toBe(2); // one that deleted, one that found nothing left
    expect(report.rowsDeleted).toEqual({
      'bronze/ventes_stream': clientSales.length,
      'bronze/ventes_quarantine': 2,
      'silver/sale_occurrences': clientSales.length,
      'silver/ventes_aggreges': DAYS.length,
      'silver/customer_totals': 1,
    });

    // Latest versions: no row of the client; the payload that is not JSON stays (it names no parsed client).
    expect(await bronze.update().then(() => bronze.readRows([{ column: 'client_id', op: '=', value: FORGOTTEN }]))).toEqual([]);
    const q = await DeltaTable.open(tableLocation(root, QUARANTINE_TABLE));
    expect((await q.readRows()).map((r) => Number(r.kafka_offset)).sort()).toEqual([1002, 1003]);
    const silver = await silverOf(root);
    expect(silver[CLIENT_AGGREGATES_TABLE.name].some((r) => r.client_id === FORGOTTEN)).toBe(false);
    expect(silver[CUSTOMER_TOTALS_TABLE.name].some((r) => r.client_id === FORGOTTEN)).toBe(false);
    // Silver is exactly what a full refresh over the remaining bronze computes (rollups included).
    expect(silver).toEqual(await fullRefreshOf(root));

    // Every file left on disk, live or not: nothing of the client.
    expect(await rowsOnDisk(root, BRONZE_TABLE, `client_id = ${FORGOTTEN}`)).toBe(0);
    expect(await rowsOnDisk(root, CLIENT_AGGREGATES_TABLE, `client_id = ${FORGOTTEN}`)).toBe(0);
    expect(await rowsOnDisk(root, CUSTOMER_TOTALS_TABLE, `client_id = ${FORGOTTEN}`)).toBe(0);
    expect(await rowsOnDisk(root, SALE_OCCURRENCES_TABLE, `vente_id IN (${clientSales.join(', ')})`)).toBe(0);
    expect(await rowsOnDisk(root, QUARANTINE_TABLE, `raw_payload LIKE '%"client_id": %${FORGOTTEN}%'`)).toBe(0);

    // The next silver run (bronze changed) keeps the client out, and still equals a full refresh.
    const run = await new SilverJob({ lakehouseRoot: root }).run();
    expect(run.status).toBe('succeeded');
    expect(await silverOf(root)).toEqual(await fullRefreshOf(root));
    expect((await silverOf(root))[CLIENT_AGGREGATES_TABLE.name].some((r) => r.client_id === FORGOTTEN)).toBe(false);

    // Idempotent: a second run deletes nothing.
    const again = await forgetClient({ lakehouseRoot: root, clientId: FORGOTTEN, retentionHours: 0 });
    expect(again.rowsDeleted).toEqual({});
    expect(again.passes).toBe(1);
  });

  it('refuses a client id that is not an integer and a negative retention', async () => {
    const root = tempLakehouse('forget-client-args-');
    await expect(forgetClient({ lakehouseRoot: root, clientId: 1.5, retentionHours: 0 })).rejects.toThrow(/clientId/);
    await expect(forgetClient({ lakehouseRoot: root, clientId: 1, retentionHours: -1 })).rejects.toThrow(/retentionHours/);
  });
});
