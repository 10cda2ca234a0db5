/**
 * Issue 15 §6 on the real broker and the platform's tables: `npm run lakehouse -- forget-client`
 * runs while the ingestor keeps landing other clients' sales. Afterwards delta-rs reads every
 * version of the seven tables (bronze, quarantine, the three silver tables and silver's two
 * bookkeeping tables) and every Parquet file left on disk: none holds a row of the client; the
 * versions whose files the vacuum (retention 0) deleted fail to read instead. The ingestor lost
 * nothing, and a later silver run does not bring the client back.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DeltaTable } from '@app/delta';
import {
  BRONZE_TABLE,
  CLIENT_AGGREGATES_TABLE,
  COUNTRY_AGGREGATES_TABLE,
  QUARANTINE_TABLE,
  SalesEvent,
  SEGMENT_AGGREGATES_TABLE,
  TableDefinition,
  tableLocation,
} from '@app/schemas';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE, SilverJob } from '@app/silver';
import { ensureBroker } from '../support/kafka-broker';
import { AppProcess, waitFor } from '../support/app-process';
import { startIngestor } from '../support/ingestor';
import { bronzeIdCounts, createTopic, expectExactlyOnce, makeSales, publish } from '../support/sales';
import { runScript } from '../interop/delta-rs';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '../..');
const running: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGTERM')));
});

interface ClientRows {
  latest: number;
  versions: Record<string, number | { error: string }>;
  files: Record<string, number>;
}

function forgetClientCommand(root: string, clientId: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [path.join(ROOT, 'scripts', 'lakehouse.ts'), 'forget-client', '--clientId', String(clientId), '--retentionHours', '0'];
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', ...args], {
    cwd: ROOT,
    env: { ...process.env, LAKEHOUSE_ROOT: root },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('forget-client removes a client from the five tables and silver’s bookkeeping, from every version kept and every file on disk, while the ingestor runs', async () => {
  const brokers = await ensureBroker();
  const root = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-forget-client-'));
  const topic = `forget-client-${randomUUID().slice(0, 8)}`;
  await createTopic(brokers, topic, 3);

  const first = makeSales(400);
  const client = first[0].client_id;
  // Invalid sales of the client and of another one (quarantined with their parsed client_id), and a payload that is not JSON.
  const other = first.find((s) => s.client_id !== client)!;
  const invalid = [
    JSON.stringify({ ...first[1], client_id: client, montant: -1 }),
    JSON.stringify({ ...first[2], client_id: String(client), quantite: 0 }),
    JSON.stringify({ ...other, montant: -1 }),
    `{not json, client ${client}`,
  ];
  await publish(brokers, topic, [...first, ...invalid]);
  await startIngestor({ brokers, root, topic, running, env: { KAFKA_TOPIC_PARTITIONS: '3' } });
  await waitFor('the first sales in bronze', async () => ((await bronzeIdCounts(root)).size === first.length ? true : undefined), 180_000, 500);
  await waitFor('the invalid sales in quarantine', async () => {
    const q = await DeltaTable.open(tableLocation(root, QUARANTINE_TABLE)).catch(() => undefined);
    return q && q.snapshot.numRecords() === invalid.length ? true : undefined;
  });
  expect((await new SilverJob({ lakehouseRoot: root }).run()).status).toBe('succeeded');
  const clientSaleIds = first.filter((s) => s.client_id === client).map((s) => Number(s.vente_id));
  expect(clientSaleIds.length).toBeGreaterThan(0);

  // Other clients' sales keep arriving while the command runs.
  const later: SalesEvent[] = [];
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      const batch = makeSales(40).filter((s) => s.client_id !== client);
      await publish(brokers, topic, batch);
      later.push(...batch);
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  const run = await forgetClientCommand(root, client).finally(() => (publishing = false));
  await publisher;
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('\n{\n') + 1)) as { rowsDeleted: Record<string, number> };
  expect(report.rowsDeleted).toMatchObject({
    'bronze/ventes_stream': clientSaleIds.length,
    'bronze/ventes_quarantine': 2,
    'silver/sale_occurrences': clientSaleIds.length,
    'silver/customer_totals': 1,
  });
  expect(later.length).toBeGreaterThan(0);

  // The ingestor lost nothing: every other sale, before and during the command, exactly once.
  const kept = [...first.filter((s) => s.client_id !== client), ...later];
  await waitFor('the later sales in bronze', async () => ((await bronzeIdCounts(root)).size === kept.length ? true : undefined), 180_000, 500);
  expectExactlyOnce(await bronzeIdCounts(root), kept);

  // A silver run after it (bronze changed) does not bring the client back.
  expect((await new SilverJob({ lakehouseRoot: root }).run()).status).toBe('succeeded');

  const checks: Array<{ def: TableDefinition; args: string[] }> = [
    { def: BRONZE_TABLE, args: ['--column', 'client_id'] },
    { def: QUARANTINE_TABLE, args: ['--column', 'raw_payload', '--json-member', 'client_id'] },
    { def: CLIENT_AGGREGATES_TABLE, args: ['--column', 'client_id'] },
    { def: CUSTOMER_TOTALS_TABLE, args: ['--column', 'client_id'] },
  ];
  for (const { def, args } of checks) {
    const seen = runScript<ClientRows>('client_rows.py', [tableLocation(root, def), ...args, '--value', String(client)]);
    expect({ table: def.name, latest: seen.versions[String(seen.latest)] }).toEqual({ table: def.name, latest: 0 });
    for (const [v, n] of Object.entries(seen.versions)) {
      // A version is either unreadable (its files were vacuumed) or holds no row of the client.
      if (typeof n === 'number') expect({ table: def.name, version: v, rows: n }).toEqual({ table: def.name, version: v, rows: 0 });
      else expect(n.error).toMatch(/not found|No such file|does not exist|Not Found/i);
    }
    // The versions before the DELETE held the client: the vacuum deleted their files.
    expect({ table: def.name, unreadable: Object.values(seen.versions).some((n) => typeof n !== 'number') }).toEqual({ table: def.name, unreadable: true });
    expect(Object.keys(seen.files).length).toBeGreaterThan(0);
    for (const [file, n] of Object.entries(seen.files)) expect({ table: def.name, file, rows: n }).toEqual({ table: def.name, file, rows: 0 });
  }
  // sale_occurrences knows the client's sales by id only.
  for (const id of clientSaleIds.slice(0, 3)) {
    const seen = runScript<ClientRows>('client_rows.py', [tableLocation(root, SALE_OCCURRENCES_TABLE), '--column', 'vente_id', '--value', String(id)]);
    expect(seen.versions[String(seen.latest)]).toBe(0);
    for (const n of Object.values(seen.files)) expect(n).toBe(0);
  }
  // The rollups count exactly the sales left: none of the client's.
  for (const def of [COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE]) {
    const rows = await (await DeltaTable.open(tableLocation(root, def))).readRows();
    expect(rows.reduce((n, r) => n + Number(r.total_transactions), 0)).toBe(kept.length);
  }

  // Idempotent: a second run deletes nothing.
  const again = await forgetClientCommand(root, client);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout.slice(again.stdout.indexOf('\n{\n') + 1)).rowsDeleted).toEqual({});
});
