import { Snapshot } from '../log/snapshot';
import { TableLog } from '../log/transaction';
import { predicateToSql, rewriteMatchingFiles, RewriteOptions, RewriteResult, RowPredicate } from './copy-on-write';

/**
 * DELETE FROM table WHERE predicate, copy-on-write (delta-rs operations/delete.rs): each file
 * holding matching rows is replaced by a copy of its other rows (or just removed when every row
 * matches), in one commit whose commitInfo is Spark's DELETE with its metrics. Rows where the
 * predicate is null are kept, as in SQL.
 */
export async function deleteRows(log: TableLog, snap: Snapshot, predicate: RowPredicate, opts: RewriteOptions = {}): Promise<RewriteResult> {
  return rewriteMatchingFiles(
    log,
    snap,
    predicate,
    {
      operation: 'DELETE',
      operationParameters: { predicate: JSON.stringify([predicateToSql(snap.schema, predicate)]) },
      matchedRowsMetric: 'numDeletedRows',
      rewrite: (fileScan, matches, matched, total) => (matched === total ? undefined : `SELECT * FROM (${fileScan}) WHERE (${matches}) IS NOT TRUE`),
    },
    opts,
  );
}
