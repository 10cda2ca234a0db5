import { DeltaTable } from '../table';
import { decimal, field, struct } from '../schema/types';
import { tempDir } from '../../test/fixtures';

describe('writing decimal and timestamp_ntz columns', () => {
  const schema = struct([field('id', 'long', false), field('local_time', 'timestamp_ntz'), field('price', decimal(12, 3))]);

  it('partitions by either, with the partition values PROTOCOL.md spells, and reads back exactly', async () => {
    for (const partition of ['local_time', 'price']) {
      const table = await DeltaTable.create(tempDir(), { schema, partitionColumns: [partition] });
      await table.append({
        rows: [
          { id: 1, local_time: '2024-12-12T10:00:00.5', price: '-1.5' },
          { id: 2, local_time: null, price: null },
        ],
      });
      const values = table.snapshot.files().map((f) => f.partitionValues[partition]);
      expect(values.sort()).toEqual(partition === 'price' ? ['-1.500', null] : ['2024-12-12 10:00:00.500000', null]);
      const reopened = await DeltaTable.open(table.uri);
      expect(await reopened.readRows([{ column: partition, op: '!=', value: partition === 'price' ? '0' : '2000-01-01T00:00:00' }])).toEqual([
        { id: 1n, local_time: '2024-12-12T10:00:00.500000', price: '-1.500' },
      ]);
    }
  });

  it('takes timestamp_ntz micros from a column batch (BigInt64Array and Float64Array) and decimals as cells', async () => {
    const table = await DeltaTable.create(tempDir(), { schema });
    await table.append({
      columns: {
        numRows: 2,
        columns: { id: new BigInt64Array([1n, 2n]), local_time: new BigInt64Array([0n, 1733997600123456n]), price: ['0.001', 123456789.999] },
      },
    });
    await table.append({ columns: { numRows: 1, columns: { id: new Float64Array([3]), local_time: new Float64Array([-1]), price: [5n] } } });
    expect(await table.readRows()).toEqual([
      { id: 1n, local_time: '1970-01-01T00:00:00.000000', price: '0.001' },
      { id: 2n, local_time: '2024-12-12T10:00:00.123456', price: '123456789.999' },
      { id: 3n, local_time: '1969-12-31T23:59:59.999999', price: '5.000' },
    ]);
  });
});
