import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  AppendOnlyTableError,
  DeltaError,
  DeltaTable,
  InvalidArgumentError,
  LogCorruptError,
  pad20,
  SchemaMismatchError,
  TableExistsError,
  TableNotFoundError,
  VersionNotAvailableError,
} from '@app/delta';
import { salesRows, salesSchema, tempDir } from '../test/fixtures';

/** Each failure a caller can meet comes as its own DeltaError subclass, on real tables. */
describe('typed errors', () => {
  async function tableWith(commits: number, configuration: Record<string, string> = {}): Promise<{ dir: string; table: DeltaTable }> {
    const dir = tempDir();
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], configuration });
    for (let i = 1; i <= commits; i++) await table.append({ rows: salesRows(1, i) });
    return { dir, table };
  }

  it('no table, a version not written yet, a timestamp before the log: the user asked for what is not there', async () => {
    await expect(DeltaTable.open(tempDir())).rejects.toBeInstanceOf(TableNotFoundError);
    const { dir } = await tableWith(2);
    await expect(DeltaTable.open(dir, { version: 9 })).rejects.toBeInstanceOf(VersionNotAvailableError);
    await expect(DeltaTable.open(dir, { timestamp: '2000-01-01T00:00:00Z' })).rejects.toBeInstanceOf(VersionNotAvailableError);
    await expect(DeltaTable.open(dir, { timestamp: 'not a time' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a gap in the log or a metaData without schema: the table is corrupt', async () => {
    const { dir } = await tableWith(3);
    await fs.rm(path.join(dir, '_delta_log', `${pad20(2)}.json`));
    await expect(DeltaTable.open(dir)).rejects.toBeInstanceOf(LogCorruptError);
  });

  it('creating over a table, another schema, removing data from an append-only table', async () => {
    const { dir, table } = await tableWith(1, { 'delta.appendOnly': 'true' });
    await expect(DeltaTable.create(dir, { schema: salesSchema })).rejects.toBeInstanceOf(TableExistsError);
    const other = { ...salesSchema, fields: salesSchema.fields.slice(1) };
    await expect(DeltaTable.openOrCreate(dir, { schema: other, partitionColumns: ['jour'] })).rejects.toBeInstanceOf(SchemaMismatchError);
    await expect(table.overwrite({ rows: salesRows(1, 5) })).rejects.toBeInstanceOf(AppendOnlyTableError);
    await expect(table.overwrite({ rows: salesRows(1, 5) })).rejects.toBeInstanceOf(DeltaError);
  });
});
