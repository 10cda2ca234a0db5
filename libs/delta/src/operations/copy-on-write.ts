import { AddAction, RemoveAction, removeActionFor } from '../protocol/actions';
import { StructType } from '../schema/types';
import { writeDataFiles } from '../parquet/data-file-writer';
import { sqlIdent, sqlString, withConnection } from '../parquet/duckdb';
import { CellValue } from '../parquet/values';
import { fileMayMatch, Filter, filterToSql } from '../scan/filter';
import { planScan } from '../scan/scan';
import { Snapshot } from '../log/snapshot';
import { tableConfig } from '../log/table-config';
import { IsolationLevel } from '../log/conflict-checker';
import { commitTransaction, TableLog } from '../log/transaction';
import { AppendOnlyTableError, SchemaMismatchError } from '../errors';

/**
 * A comparison on a member of a JSON document held in a string column, e.g. the `client_id` of a
 * quarantined raw payload. A value that is not valid JSON, or lacks the member, does not match.
 * Numbers compare numerically, so `"client_id": 7` and `"client_id": "7"` both match 7.
 */
export interface JsonMemberFilter {
  column: string;
  jsonMember: string;
  op: Filter['op'];
  value: CellValue | CellValue[];
}

/**
 * Which rows a DELETE or UPDATE touches: a conjunction of structured comparisons, never SQL
 * text. Values are bound as typed SQL literals (scan/filter.ts), so no input reaches SQL unescaped.
 */
export type RowPredicate = ReadonlyArray<Filter | JsonMemberFilter>;

const isJsonMember = (f: Filter | JsonMemberFilter): f is JsonMemberFilter => 'jsonMember' in f;

/** Checks the predicate's columns before any file is read, so a typo is a clear error, not a DuckDB binder message. */
function checkPredicate(schema: StructType, predicate: RowPredicate): void {
  if (predicate.length === 0) throw new SchemaMismatchError('the predicate is empty: give at least one condition (a DELETE of every row is an overwrite)');
  for (const f of predicate) {
    const field = schema.fields.find((x) => x.name === f.column);
    if (!field) throw new SchemaMismatchError(`unknown column "${f.column}" in the predicate`);
    if (isJsonMember(f) && field.type !== 'string') throw new SchemaMismatchError(`column "${f.column}" is ${field.type}, not a string holding JSON`);
    if (f.op === 'in' ? !Array.isArray(f.value) : Array.isArray(f.value)) {
      throw new SchemaMismatchError(`the value of "${f.column}" ${f.op} must ${f.op === 'in' ? '' : 'not '}be a list`);
    }
  }
}

function jsonMemberToSql(f: JsonMemberFilter): string {
  const values = Array.isArray(f.value) ? f.value : [f.value];
  const numeric = values.every((v) => typeof v === 'number' || typeof v === 'bigint');
  const column = sqlIdent(f.column);
  const text = `json_extract_string(${column}, ${sqlString(`$.${JSON.stringify(f.jsonMember)}`)})`;
  // json_valid first: json_extract_string fails the whole query on a malformed document.
  const member = `(CASE WHEN json_valid(${column}) THEN ${numeric ? `TRY_CAST(${text} AS DOUBLE)` : text} END)`;
  const lit = (v: CellValue): string => {
    if (numeric) {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new SchemaMismatchError(`not a number: ${String(v)}`);
      return String(n);
    }
    return v === null || v === undefined ? 'NULL' : sqlString(String(v));
  };
  if (f.op === 'in') return values.length ? `${member} IN (${values.map(lit).join(', ')})` : 'false';
  return `${member} ${f.op === '!=' ? '<>' : f.op} ${lit(f.value as CellValue)}`;
}

/** The predicate as a DuckDB boolean expression over the table's columns. */
export function predicateToSql(schema: StructType, predicate: RowPredicate): string {
  checkPredicate(schema, predicate);
  return predicate.map((f) => `(${isJsonMember(f) ? jsonMemberToSql(f) : filterToSql(f, schema)})`).join(' AND ');
}

export interface RewriteMetrics {
  numRemovedFiles: number;
  numAddedFiles: number;
  /** Rows of rewritten files that the predicate did not match, copied as they were. */
  numCopiedRows: number;
  numRemovedBytes: number;
  numAddedBytes: number;
  /** Files the statistics and partition values could not rule out, whose rows were counted. */
  numCandidateFiles: number;
  scanTimeMs: number;
  rewriteTimeMs: number;
  executionTimeMs: number;
}

export interface RewriteResult {
  /** Undefined when no row matched: nothing is written or committed. */
  version?: number;
  /** Rows the predicate matched (deleted or updated). */
  numMatchedRows: number;
  metrics: RewriteMetrics;
}

export interface RewriteOptions {
  /** WriteSerializable by default, as Spark: concurrent blind appends do not conflict. */
  isolationLevel?: IsolationLevel;
}

interface RewriteSpec {
  operation: 'DELETE' | 'UPDATE';
  operationParameters: Record<string, string>;
  /** The SELECT that replaces a file whose rows match, given the scan of that file and the predicate's SQL; undefined when no row survives. */
  rewrite: (fileScan: string, matches: string, matched: number, total: number) => string | undefined;
  /** The operation's own row metric, as Spark names it. */
  matchedRowsMetric: 'numDeletedRows' | 'numUpdatedRows';
}

/** Files per counting query: one read_parquet per file, so a query stays a reasonable size on tables of thousands of files. */
const COUNT_BATCH = 200;

/**
 * Copy-on-write (delta-rs operations/delete.rs and update.rs): partition values and statistics
 * pick the candidate files, DuckDB counts which of them really hold matching rows, only those are
 * rewritten, and the removes and adds go in one commit (dataChange=true). New files are written
 * under new names before the commit, so a crash leaves the table as it was, plus orphans for VACUUM.
 */
export async function rewriteMatchingFiles(log: TableLog, snap: Snapshot, predicate: RowPredicate, spec: RewriteSpec, opts: RewriteOptions): Promise<RewriteResult> {
  const started = Date.now();
  const { schema, partitionColumns } = snap;
  if (tableConfig(snap.configuration).appendOnly) {
    throw new AppendOnlyTableError(snap.metadata.name ?? snap.metadata.id, `${spec.operation} is not allowed`);
  }
  const matches = predicateToSql(schema, predicate);
  const plain = predicate.filter((f): f is Filter => !isJsonMember(f));
  const partitionFilters = plain.filter((f) => partitionColumns.includes(f.column));
  const candidates = snap.files().filter((f) => fileMayMatch(f, plain, schema, partitionColumns));
  const counts = await countMatches(log, snap, candidates, matches);
  const touched = candidates.map((file, i) => ({ file, ...counts[i] })).filter((c) => c.matched > 0);
  const scanned = Date.now();

  const removes: RemoveAction[] = [];
  const adds: AddAction[] = [];
  let numMatchedRows = 0;
  let numCopiedRows = 0;
  const now = log.clock();
  for (const { file, matched, total } of touched) {
    const fileScan = (await planScan(log.store, schema, partitionColumns, [file])).sql;
    const sql = spec.rewrite(fileScan, matches, matched, total);
    if (sql !== undefined) adds.push(...(await writeDataFiles(log.store, schema, partitionColumns, { sql })));
    removes.push(removeActionFor(file, now, true));
    numMatchedRows += matched;
    numCopiedRows += total - matched;
  }
  const rewritten = Date.now();
  const metrics: RewriteMetrics = {
    numRemovedFiles: removes.length,
    numAddedFiles: adds.length,
    numCopiedRows,
    numRemovedBytes: removes.reduce((n, r) => n + (r.size ?? 0), 0),
    numAddedBytes: adds.reduce((n, a) => n + a.size, 0),
    numCandidateFiles: candidates.length,
    scanTimeMs: scanned - started,
    rewriteTimeMs: rewritten - scanned,
    executionTimeMs: rewritten - started,
  };
  if (removes.length === 0) return { numMatchedRows, metrics };

  const readsPartition = (partitionValues: Record<string, string | null>): boolean =>
    fileMayMatch({ path: '', partitionValues, size: 0, modificationTime: 0, dataChange: true }, partitionFilters, schema, partitionColumns);
  const { version } = await commitTransaction(log, snap, {
    actions: [...removes.map((remove) => ({ remove })), ...adds.map((add) => ({ add }))],
    operation: spec.operation,
    operationParameters: spec.operationParameters,
    operationMetrics: {
      [spec.matchedRowsMetric]: String(numMatchedRows),
      numCopiedRows: String(numCopiedRows),
      numRemovedFiles: String(metrics.numRemovedFiles),
      numAddedFiles: String(metrics.numAddedFiles),
      numRemovedBytes: String(metrics.numRemovedBytes),
      numAddedBytes: String(metrics.numAddedBytes),
      numAddedChangeFiles: '0',
      numDeletionVectorsAdded: '0',
      numDeletionVectorsRemoved: '0',
      executionTimeMs: String(metrics.executionTimeMs),
      scanTimeMs: String(metrics.scanTimeMs),
      rewriteTimeMs: String(metrics.rewriteTimeMs),
    },
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: {
      readPartitions: 'all',
      readsPartition,
      // Every candidate was read (its rows counted): a concurrent removal of any of them conflicts.
      readFiles: new Set(candidates.map((f) => f.path)),
      removedFiles: new Set(removes.map((r) => r.path)),
      appIds: new Set(),
      changesMetadata: false,
      rearrangeOnly: false,
      isolationLevel: opts.isolationLevel,
    },
  });
  return { version, numMatchedRows, metrics };
}

/** Matching and total rows of each candidate file, in order. */
async function countMatches(log: TableLog, snap: Snapshot, files: readonly AddAction[], matches: string): Promise<Array<{ matched: number; total: number }>> {
  const out: Array<{ matched: number; total: number }> = [];
  for (let start = 0; start < files.length; start += COUNT_BATCH) {
    const batch = files.slice(start, start + COUNT_BATCH);
    const parts: string[] = [];
    for (let i = 0; i < batch.length; i++) {
      const scan = (await planScan(log.store, snap.schema, snap.partitionColumns, [batch[i]])).sql;
      parts.push(`SELECT ${i} AS i, count(*) FILTER (WHERE (${matches}) IS TRUE) AS matched, count(*) AS total FROM (${scan})`);
    }
    const rows = await withConnection(async (conn) => (await conn.runAndReadAll(parts.join(' UNION ALL '))).getRowObjectsJS());
    const byIndex = new Map(rows.map((r) => [Number(r.i), { matched: Number(r.matched), total: Number(r.total) }]));
    for (let i = 0; i < batch.length; i++) out.push(byIndex.get(i)!);
  }
  return out;
}
