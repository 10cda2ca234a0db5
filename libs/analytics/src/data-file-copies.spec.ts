import fc from 'fast-check';
import { withConnection } from '@app/delta';
import { idsCondition } from './data-file-copies';

describe('idsCondition', () => {
  it('writes runs of three ids or more as ranges, and the others as one IN list', () => {
    expect(idsCondition([3, 0, 1, 2])).toBe('_file BETWEEN 0 AND 3');
    expect(idsCondition([0, 1])).toBe('_file IN (0, 1)');
    expect(idsCondition([9, 0, 1, 2, 5, 7, 8, 10])).toBe('(_file BETWEEN 0 AND 2 OR _file BETWEEN 7 AND 10 OR _file IN (5))');
  });

  it('selects exactly the rows of the ids given (DuckDB, random id sets)', async () => {
    await withConnection(async (conn) => {
      await conn.run('CREATE TEMP TABLE ids_condition_rows AS SELECT range AS _file FROM range(64)');
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 64 }), async (ids) => {
          const reader = await conn.runAndReadAll(`SELECT _file FROM ids_condition_rows WHERE ${idsCondition(ids)} ORDER BY _file`);
          expect(reader.getRowObjectsJS().map((r) => Number(r._file))).toEqual([...ids].sort((a, b) => a - b));
        }),
        { numRuns: 200 },
      );
    });
  });
});
