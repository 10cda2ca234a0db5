import { duckdbType } from '../schema/types';
import { sqlIdent } from '../parquet/duckdb';
import { CellValue } from '../parquet/values';
import { sqlLiteral } from '../scan/filter';
import { Snapshot } from '../log/snapshot';
import { TableLog } from '../log/transaction';
import { SchemaMismatchError } from '../errors';
import { predicateToSql, rewriteMatchingFiles, RewriteOptions, RewriteResult, RowPredicate } from './copy-on-write';

/** UPDATE's SET: new values by column, bound as typed literals. */
export type Assignments = Readonly<Record<string, CellValue>>;

/**
 * UPDATE table SET assignments WHERE predicate, copy-on-write (delta-rs operations/update.rs):
 * each file holding matching rows is rewritten with the new values in those rows, in one commit
 * whose commitInfo is Spark's UPDATE with its metrics. Setting a partition column moves the rows
 * to that partition's folder. A null for a non-nullable column is a SchemaViolationError, before
 * anything is committed.
 */
export async function updateRows(log: TableLog, snap: Snapshot, predicate: RowPredicate, assignments: Assignments, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const { schema } = snap;
  const names = Object.keys(assignments);
  if (names.length === 0) throw new SchemaMismatchError('UPDATE needs at least one column to set');
  const unknown = names.find((n) => !schema.fields.some((f) => f.name === n));
  if (unknown !== undefined) throw new SchemaMismatchError(`unknown column "${unknown}" in the assignments`);
  const setSql = (matches: string): string =>
    schema.fields
      .map((f) => {
        const c = sqlIdent(f.name);
        if (!(f.name in assignments)) return c;
        const value = `CAST(${sqlLiteral(f.type, assignments[f.name])} AS ${duckdbType(f.type)})`;
        return `CASE WHEN (${matches}) IS TRUE THEN ${value} ELSE ${c} END AS ${c}`;
      })
      .join(', ');
  return rewriteMatchingFiles(
    log,
    snap,
    predicate,
    {
      operation: 'UPDATE',
      operationParameters: { predicate: predicateToSql(schema, predicate) },
      matchedRowsMetric: 'numUpdatedRows',
      rewrite: (fileScan, matches) => `SELECT ${setSql(matches)} FROM (${fileScan})`,
    },
    opts,
  );
}
