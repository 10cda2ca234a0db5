import {
  decodeLogPath,
  DeltaTable,
  duckdbType,
  Filter,
  filterToSql,
  Row,
  sqlIdent,
  sqlLiteral,
  sqlString,
  withConnection,
} from '@app/delta';
import { QUARANTINE_REASONS, QuarantineReason } from '@app/schemas';

/** Which quarantined rows: every condition given must hold. */
export interface QuarantineSelection {
  reasons?: QuarantineReason[];
  /** Ingestion time range, [from, to), ISO-8601. */
  from?: string;
  to?: string;
  /** A Kafka partition, and optionally an offset range in it, [fromOffset, toOffset]. */
  partition?: number;
  fromOffset?: number;
  toOffset?: number;
}

/** A selection whose parameter is invalid; `parameter` names it (the HTTP API answers 400 with it). */
export class InvalidSelectionError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'InvalidSelectionError';
  }
}

/** Checks a selection; throws InvalidSelectionError naming the first bad parameter. */
export function checkSelection(s: QuarantineSelection): void {
  for (const r of s.reasons ?? []) {
    if (!(QUARANTINE_REASONS as readonly string[]).includes(r)) throw new InvalidSelectionError('reason', `expected one of ${QUARANTINE_REASONS.join(', ')}, got ${JSON.stringify(r)}`);
  }
  for (const key of ['from', 'to'] as const) {
    const v = s[key];
    if (v !== undefined && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) throw new InvalidSelectionError(key, `expected an ISO-8601 time, got ${JSON.stringify(v)}`);
  }
  if (s.from !== undefined && s.to !== undefined && Date.parse(s.from) >= Date.parse(s.to)) throw new InvalidSelectionError('to', 'must be after from');
  for (const key of ['partition', 'fromOffset', 'toOffset'] as const) {
    const v = s[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new InvalidSelectionError(key, `expected a non-negative integer, got ${JSON.stringify(v)}`);
  }
  if ((s.fromOffset !== undefined || s.toOffset !== undefined) && s.partition === undefined) {
    throw new InvalidSelectionError('partition', 'required with an offset range (offsets are per partition)');
  }
}

/** The selection as Delta filters: they prune files (jour is the ingestion day) and then select rows. */
function selectionFilters(s: QuarantineSelection): Filter[] {
  const filters: Filter[] = [];
  if (s.reasons?.length) filters.push({ column: 'reason', op: 'in', value: s.reasons });
  if (s.from !== undefined) {
    filters.push({ column: 'jour', op: '>=', value: new Date(s.from).toISOString().slice(0, 10) });
    filters.push({ column: 'date_ingestion', op: '>=', value: new Date(s.from).toISOString() });
  }
  if (s.to !== undefined) {
    filters.push({ column: 'jour', op: '<=', value: new Date(s.to).toISOString().slice(0, 10) });
    filters.push({ column: 'date_ingestion', op: '<', value: new Date(s.to).toISOString() });
  }
  if (s.partition !== undefined) filters.push({ column: 'kafka_partition', op: '=', value: s.partition });
  if (s.fromOffset !== undefined) filters.push({ column: 'kafka_offset', op: '>=', value: BigInt(s.fromOffset) });
  if (s.toOffset !== undefined) filters.push({ column: 'kafka_offset', op: '<=', value: BigInt(s.toOffset) });
  return filters;
}

/**
 * A DuckDB SELECT of the selected quarantine rows with every column of the table's schema.
 * Files written before a column was added lack it: they are read by name next to an empty
 * SELECT that has every column (UNION ALL BY NAME), so the missing ones read as null.
 */
export async function quarantineRowsSql(table: DeltaTable, selection: QuarantineSelection): Promise<string> {
  const schema = table.snapshot.schema;
  const filters = selectionFilters(selection);
  const plan = await table.scan(filters);
  const typed = schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
  const groups = new Map<string, string[]>();
  for (const f of plan.files) {
    const jour = f.partitionValues.jour ?? '';
    groups.set(jour, [...(groups.get(jour) ?? []), await table.store.readablePath(decodeLogPath(f.path))]);
  }
  const parts = [`SELECT ${typed} WHERE false`];
  for (const [jour, paths] of groups) {
    parts.push(`SELECT *, ${sqlLiteral('date', jour)} AS jour FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name=true, hive_partitioning=false)`);
  }
  const columns = schema.fields.map((f) => `CAST(${sqlIdent(f.name)} AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
  const where = filters.length ? ` WHERE ${filters.map((f) => filterToSql(f, schema)).join(' AND ')}` : '';
  return `SELECT ${columns} FROM (${parts.map((p) => `(${p})`).join(' UNION ALL BY NAME ')})${where}`;
}

/** Columns as JSON-friendly values: times as ISO-8601 UTC with microseconds, the day as YYYY-MM-DD, offsets as numbers. */
const OUTPUT_COLUMNS =
  `raw_payload, raw_payload_base64, reason, error, kafka_topic, kafka_partition, CAST(kafka_offset AS DOUBLE) AS kafka_offset, ` +
  `strftime(date_ingestion, '%Y-%m-%dT%H:%M:%S.%fZ') AS date_ingestion, strftime(jour, '%Y-%m-%d') AS jour`;

export interface QuarantinePage {
  /** Rows selected, over all pages. */
  total: number;
  /** Rows selected per reason, over all pages. */
  countsByReason: Record<string, number>;
  limit: number;
  offset: number;
  /** In Kafka order: partition, then offset. */
  rows: Row[];
}

/** One page of the selected quarantine rows, with the counts per reason of the whole selection. */
export async function listQuarantine(table: DeltaTable, selection: QuarantineSelection, page: { limit: number; offset: number }): Promise<QuarantinePage> {
  checkSelection(selection);
  const sql = await quarantineRowsSql(table, selection);
  return withConnection(async (conn) => {
    const counts = (await conn.runAndReadAll(`SELECT reason, COUNT(*) AS n FROM (${sql}) GROUP BY reason ORDER BY reason`)).getRowObjectsJS();
    const rows = (
      await conn.runAndReadAll(
        `SELECT ${OUTPUT_COLUMNS} FROM (${sql}) ORDER BY kafka_topic, kafka_partition, kafka_offset LIMIT ${page.limit} OFFSET ${page.offset}`,
      )
    ).getRowObjectsJS() as Row[];
    const countsByReason = Object.fromEntries(counts.map((c) => [String(c.reason), Number(c.n)]));
    return {
      total: Object.values(countsByReason).reduce((a, b) => a + b, 0),
      countsByReason,
      limit: page.limit,
      offset: page.offset,
      rows,
    };
  });
}
