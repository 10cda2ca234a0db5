/**
 * delta-rs reads, from the same S3 endpoint (SeaweedFS, scripts/s3), a table libs/delta wrote
 * there: every row, a past version, and the checkpoint libs/delta wrote.
 */
import { DeltaTable } from '@app/delta';
import { salesRows, salesSchema } from '../../libs/delta/test/fixtures';
import { range } from '../../libs/delta/test/helpers';
import { describeS3, tableRoot } from '../../libs/delta/test/backends';
import { readTable } from './delta-rs';

describeS3('libs/delta writes on S3, delta-rs reads from S3', () => {
  it('reads the latest version (from a checkpoint) and a past one, with the same rows', async () => {
    const uri = tableRoot('interop');
    const table = await DeltaTable.create(uri, {
      schema: salesSchema,
      partitionColumns: ['jour'],
      configuration: { 'delta.checkpointInterval': '2' },
    });
    await table.append({ rows: salesRows(10, 1, '2024-12-12') });
    await table.append({ rows: salesRows(10, 11, '2024-12-13') });
    await table.append({ rows: salesRows(10, 21, '2024-12-13') });
    await table.optimize();
    await expect(table.store.head('_delta_log/00000000000000000004.checkpoint.parquet')).resolves.toBeDefined();

    const latest = readTable(uri);
    expect(latest.version).toBe(4);
    expect(latest.rows!.map((r) => Number(r.vente_id)).sort((a, b) => a - b)).toEqual(range(1, 30));
    const v1 = readTable(uri, { version: 1 });
    expect(v1.rows!.map((r) => Number(r.vente_id)).sort((a, b) => a - b)).toEqual(range(1, 10));
    expect(v1.rows!.every((r) => r.jour === '2024-12-12')).toBe(true);
  });
});
