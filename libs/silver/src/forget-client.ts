import { CommitConflictError, DeltaTable, deleteRows, RowPredicate, TableNotFoundError, withConnection } from '@app/delta';
import {
  BRONZE_TABLE,
  CLIENT_AGGREGATES_TABLE,
  COUNTRY_AGGREGATES_TABLE,
  QUARANTINE_TABLE,
  SEGMENT_AGGREGATES_TABLE,
  TableDefinition,
  tableLocation,
} from '@app/schemas';
import { countryAggregatesSql, segmentAggregatesSql } from './aggregation-sql';
import { SILVER_APP_ID } from './silver-job';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from './state-tables';

export interface ForgetClientOptions {
  lakehouseRoot: string;
  clientId: number;
  /**
   * Files removed more than this many hours ago are vacuumed. 0 deletes every file holding the
   * client's rows now, and with them time travel to any earlier version.
   */
  retentionHours: number;
  /** Passes of delete-then-check before giving up, when concurrent writers (a silver run) keep bringing rows back. */
  maxPasses?: number;
  /** Where each step is reported as it happens (the command prints JSON lines). */
  onStep?: (step: ForgetStep) => void;
}

/** One table's deletion in one pass, or its vacuum. */
export interface ForgetStep {
  table: string;
  action: 'delete' | 'rollup' | 'vacuum';
  version?: number;
  rows?: number;
  filesRewritten?: number;
  filesDeleted?: number;
  conflictsRetried?: number;
}

export interface ForgetClientReport {
  clientId: number;
  retentionHours: number;
  passes: number;
  /** Rows removed per table (`layer/name`), over all passes. */
  rowsDeleted: Record<string, number>;
  /** Files vacuumed per table. */
  filesVacuumed: Record<string, number>;
  steps: ForgetStep[];
}

/** Thrown when the client's rows are still present after every pass (writers keep adding them). */
export class ClientStillPresentError extends Error {
  constructor(readonly tables: string[]) {
    super(`rows of the client are still present in ${tables.join(', ')} after every pass; run the command again`);
    this.name = 'ClientStillPresentError';
  }
}

const CONFLICT_RETRIES = 20;
/** Unreferenced files younger than this may be a running ingestor's flush not yet committed: vacuum leaves them. */
const IN_FLIGHT_WRITE_HOURS = 1;

const nameOf = (def: TableDefinition): string => `${def.layer}/${def.name}`;

/**
 * Right to erasure: removes a client_id from bronze, quarantine (by the client_id parsed from the
 * raw payload, where it parses) and silver (client days, customer totals, sale occurrences, and
 * the country and segment rollups recomputed without them), then vacuums every table with the
 * operator's retention.
 *
 * Safe while the ingestor runs: DELETE conflicts only with what rewrote the files it read
 * (auto-compaction), and is then retried on a fresh snapshot; blind appends never conflict
 * (WriteSerializable). Idempotent: a second run finds nothing and commits nothing. Each pass
 * deletes, then checks every table again, because a silver run that read bronze before the
 * DELETE may commit the client's day after it; the next silver run would remove it too, since
 * the bronze DELETE changed those days, but the command does not wait for that.
 */
export async function forgetClient(opts: ForgetClientOptions): Promise<ForgetClientReport> {
  if (!Number.isSafeInteger(opts.clientId)) throw new RangeError(`clientId must be an integer, got ${opts.clientId}`);
  if (!(opts.retentionHours >= 0)) throw new RangeError(`retentionHours must be a number >= 0, got ${opts.retentionHours}`);
  const report: ForgetClientReport = { clientId: opts.clientId, retentionHours: opts.retentionHours, passes: 0, rowsDeleted: {}, filesVacuumed: {}, steps: [] };
  const step = (s: ForgetStep): void => {
    report.steps.push(s);
    if (s.rows) report.rowsDeleted[s.table] = (report.rowsDeleted[s.table] ?? 0) + s.rows;
    if (s.filesDeleted !== undefined) report.filesVacuumed[s.table] = s.filesDeleted;
    opts.onStep?.(s);
  };
  const open = (def: TableDefinition): Promise<DeltaTable | undefined> =>
    DeltaTable.open(tableLocation(opts.lakehouseRoot, def)).catch((e: unknown) => (e instanceof TableNotFoundError ? undefined : Promise.reject(e)));

  const maxPasses = opts.maxPasses ?? 5;
  let left: string[] = [];
  for (let pass = 1; pass <= maxPasses; pass++) {
    report.passes = pass;
    left = [];
    const bronze = await open(BRONZE_TABLE);
    // Sale ids first: sale_occurrences knows sales by vente_id only.
    const saleIds = bronze ? await clientSaleIds(bronze, opts.clientId) : [];
    const deletions: Array<{ def: TableDefinition; predicate: RowPredicate | undefined }> = [
      { def: BRONZE_TABLE, predicate: [{ column: 'client_id', op: '=', value: opts.clientId }] },
      { def: QUARANTINE_TABLE, predicate: [{ column: 'raw_payload', jsonMember: 'client_id', op: '=', value: opts.clientId }] },
      { def: SALE_OCCURRENCES_TABLE, predicate: saleIds.length ? [{ column: 'vente_id', op: 'in', value: saleIds }] : undefined },
      { def: CLIENT_AGGREGATES_TABLE, predicate: [{ column: 'client_id', op: '=', value: opts.clientId }] },
      { def: CUSTOMER_TOTALS_TABLE, predicate: [{ column: 'client_id', op: '=', value: opts.clientId }] },
    ];
    let totalsChanged = false;
    for (const { def, predicate } of deletions) {
      const table = def === BRONZE_TABLE ? bronze : await open(def);
      if (!table || !predicate) continue;
      const { result, conflicts } = await withConflictRetries(table, () => deleteRows(table.log, table.snapshot, predicate));
      if (result.version === undefined) continue;
      left.push(nameOf(def));
      if (def === CUSTOMER_TOTALS_TABLE) totalsChanged = true;
      step({ table: nameOf(def), action: 'delete', version: result.version, rows: result.numMatchedRows, filesRewritten: result.metrics.numRemovedFiles, conflictsRetried: conflicts });
    }
    if (totalsChanged) await rebuildRollups(open, step);
    // A pass that deleted nothing proves every table clean at the snapshots it read.
    if (left.length === 0) break;
  }
  if (left.length && report.passes === maxPasses) throw new ClientStillPresentError(left);

  for (const def of [BRONZE_TABLE, QUARANTINE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, SALE_OCCURRENCES_TABLE, CUSTOMER_TOTALS_TABLE]) {
    const table = await open(def);
    if (!table) continue;
    const res = await table.vacuum({
      retentionHours: opts.retentionHours,
      enforceRetentionDuration: false,
      orphanRetentionHours: Math.max(opts.retentionHours, IN_FLIGHT_WRITE_HOURS),
    });
    step({ table: nameOf(def), action: 'vacuum', filesDeleted: res.filesDeleted.length });
  }
  return report;
}

/** Runs a commit, again on a fresh snapshot when a concurrent commit (a compaction, a silver run) rewrote what it read. */
async function withConflictRetries<T>(table: DeltaTable, commit: () => Promise<T>): Promise<{ result: T; conflicts: number }> {
  for (let conflicts = 0; ; conflicts++) {
    try {
      return { result: await commit(), conflicts };
    } catch (e) {
      if (!(e instanceof CommitConflictError) || conflicts >= CONFLICT_RETRIES) throw e;
      await table.update();
    }
  }
}

async function clientSaleIds(bronze: DeltaTable, clientId: number): Promise<bigint[]> {
  const scan = await bronze.scan([{ column: 'client_id', op: '=', value: clientId }]);
  return withConnection(async (conn) => {
    const rows = (await conn.runAndReadAll(`SELECT DISTINCT vente_id FROM (${scan.sql})`)).getRows();
    return rows.map((r) => r[0] as bigint);
  });
}

/**
 * ventes_par_pays and ventes_par_segment recomputed from the customer totals without the client,
 * as a silver run does, with the same silver version, so the next run finds them up to date.
 */
async function rebuildRollups(open: (def: TableDefinition) => Promise<DeltaTable | undefined>, step: (s: ForgetStep) => void): Promise<void> {
  const [totals, clients] = [await open(CUSTOMER_TOTALS_TABLE), await open(CLIENT_AGGREGATES_TABLE)];
  if (!totals || !clients) return;
  const version = clients.txnVersion(SILVER_APP_ID);
  for (const [def, sqlOf] of [
    [COUNTRY_AGGREGATES_TABLE, countryAggregatesSql],
    [SEGMENT_AGGREGATES_TABLE, segmentAggregatesSql],
  ] as const) {
    const table = await open(def);
    if (!table) continue;
    const txns = version === undefined ? [] : [{ appId: SILVER_APP_ID, version }];
    const { result, conflicts } = await withConflictRetries(table, async () => {
      await totals.update();
      const sql = sqlOf((await totals.scan()).sql);
      return table.overwrite({ sql }, { txns, operationParameters: { source: `${CUSTOMER_TOTALS_TABLE.name}@${totals.version}` } });
    });
    step({ table: nameOf(def), action: 'rollup', version: result.version, conflictsRetried: conflicts });
  }
}
