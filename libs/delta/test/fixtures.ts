import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { field, struct, StructType } from '../src/schema/types';
import { Row } from '../src/parquet/values';

export function tempDir(prefix = 'delta-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const salesSchema: StructType = struct([
  field('vente_id', 'long', false),
  field('client_id', 'integer'),
  field('timestamp', 'timestamp'),
  field('montant', 'double'),
  field('pays', 'string'),
  field('jour', 'date'),
]);

export function salesRows(n: number, startId = 1, day = '2024-12-12'): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const id = startId + i;
    rows.push({
      vente_id: id,
      client_id: (id % 5) + 1,
      timestamp: `${day}T10:${String(i % 60).padStart(2, '0')}:00.123456Z`,
      montant: Math.round(id * 1.5 * 100) / 100,
      pays: ['France', 'Belgique', 'Suisse'][id % 3],
      jour: day,
    });
  }
  return rows;
}
