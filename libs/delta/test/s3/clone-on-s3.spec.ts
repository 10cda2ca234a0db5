import { deepClone, DeltaTable, S3ObjectStore } from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../fixtures';
import { ids, range } from '../helpers';
import { startS3, S3TestServer } from './s3-server';

/** Deep clones between a local folder and the S3 server, both ways, through the stores only. */
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3();
});

describe('deep clone and S3', () => {
  it('clones a local table to S3 and back, with the same rows and version 0 a CLONE', async () => {
    const local = tempDir('clone-s3-');
    const table = await DeltaTable.create(local, { schema: salesSchema, partitionColumns: ['jour'] });
    await table.append({ rows: salesRows(5, 1, '2024-12-12') });
    await table.append({ rows: salesRows(5, 11, '2024-12-13') });
    await table.overwrite({ rows: salesRows(5, 21, '2024-12-12') }, { partitions: 'dynamic' });

    const onS3 = s3.root('clone');
    await expect(deepClone(local, onS3, { version: 2 })).resolves.toMatchObject({ sourceVersion: 2, metrics: { numCopiedFiles: 2 } });
    const clone = await DeltaTable.open(onS3);
    expect(clone.store).toBeInstanceOf(S3ObjectStore);
    expect(clone.version).toBe(0);
    expect(ids(await clone.readRows())).toEqual([...range(1, 5), ...range(11, 15)]);
    expect((await clone.history()).map((h) => [h.operation, h.operationParameters?.sourceVersion])).toEqual([['CLONE', '2']]);

    const back = `${tempDir('clone-s3-')}/back`;
    await deepClone(onS3, back);
    expect(ids(await (await DeltaTable.open(back)).readRows())).toEqual([...range(1, 5), ...range(11, 15)]);
  });
});
