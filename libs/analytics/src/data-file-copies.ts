import { AddAction, DataType, duckdbType, ObjectStore, parseStats, planScan, PrimitiveType, Snapshot, sqlIdent } from '@app/delta';
import { withQuerySlot } from './query-slots';

/** Rows of a file no loaded version lists any more are deleted this long after, so queries in flight finish first. */
const DROP_GRACE_MS = 60_000;

/**
 * Bytes held by in-memory copies of data files, over every table, against one budget: the
 * versions kept for time travel are evicted (least recently used first) while it is exceeded.
 */
export class CopyBudget {
  /** Bytes of the copies some loaded version lists (estimated). */
  heldBytes = 0;

  constructor(readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new Error(`maxBytes must be a positive integer, got ${maxBytes}`);
  }

  get exceeded(): boolean {
    return this.heldBytes > this.maxBytes;
  }
}

/** An estimate of a row's bytes in a DuckDB in-memory table (strings: their 16-byte header and a short payload). */
const COLUMN_BYTES: Partial<Record<PrimitiveType, number>> = { string: 32, boolean: 1, byte: 1, short: 2, integer: 4, float: 4, date: 4 };

export function estimatedRowBytes(types: readonly DataType[]): number {
  return types.reduce((n, t) => n + ((typeof t === 'string' ? COLUMN_BYTES[t] : undefined) ?? 8), 0);
}

interface FileCopy {
  id: number;
  /** The in-memory table holding the file's rows. */
  table: string;
  loaded: Promise<void>;
  bytes: number;
  users: number;
  dropTimer?: NodeJS.Timeout;
}

/** The column tagging each copied row with its file's id. */
const FILE_COLUMN = '_file';
let tablesMade = 0;

/**
 * In-memory copies of one Delta table's data files, shared by every loaded version that lists
 * them. The rows of all files go into one DuckDB table (one per schema), tagged with their file's
 * id; a version reads the rows of its own files. A Delta file never changes, so a version that
 * differs from another by a few files costs only those files' rows: versions kept for time travel
 * share unchanged data. One table rather than one per file keeps a query's cost flat in the
 * number of files (each table scanned costs a few milliseconds), and a file's rows, inserted
 * together, fill whole row groups, whose memory DuckDB frees when they are deleted.
 */
export class DataFileCopies {
  private readonly copies = new Map<string, FileCopy>();
  /** The rows table per schema (a table's schema may change between versions). */
  private readonly tables = new Map<string, Promise<string>>();
  private nextId = 0;

  constructor(
    private readonly table: string,
    private readonly store: ObjectStore,
    private readonly budget: CopyBudget,
  ) {}

  /** Copies the snapshot's files that are not copied yet; each file is held until `release`. */
  async acquire(snapshot: Snapshot, files: readonly AddAction[]): Promise<void> {
    const rows = await this.rowsTable(snapshot);
    const rowBytes = estimatedRowBytes(snapshot.schema.fields.map((f) => f.type));
    const loads = files.map((file) => {
      let copy = this.copies.get(file.path);
      if (!copy || copy.table !== rows) {
        const made: FileCopy = { id: this.nextId++, table: rows, loaded: Promise.resolve(), bytes: (parseStats(file)?.numRecords ?? 0) * rowBytes, users: 0 };
        made.loaded = this.insert(snapshot, rows, file, made.id);
        made.loaded.catch(() => this.copies.get(file.path) === made && this.forget(file.path, made));
        this.copies.set(file.path, made);
        copy = made;
      }
      if (copy.users++ === 0) {
        this.budget.heldBytes += copy.bytes;
        clearTimeout(copy.dropTimer);
        copy.dropTimer = undefined;
      }
      return copy.loaded;
    });
    await Promise.all(loads);
  }

  /** SQL selecting the rows of these files (all acquired), with the table's columns only. */
  rowsOf(files: readonly AddAction[]): string {
    const byTable = new Map<string, number[]>();
    for (const f of files) {
      const copy = this.copies.get(f.path);
      if (!copy) throw new Error(`${this.table}: file ${f.path} has no in-memory copy`);
      byTable.set(copy.table, [...(byTable.get(copy.table) ?? []), copy.id]);
    }
    return [...byTable]
      .map(([table, ids]) => `SELECT * EXCLUDE (${FILE_COLUMN}) FROM ${sqlIdent(table)} WHERE ${idsCondition(ids)}`)
      .join(' UNION ALL ');
  }

  /** Lets go of files acquired; the rows of a file no version holds are deleted after a grace period. */
  release(files: readonly AddAction[]): void {
    for (const file of files) {
      const copy = this.copies.get(file.path);
      if (!copy || --copy.users > 0) continue;
      this.budget.heldBytes -= copy.bytes;
      copy.dropTimer = setTimeout(() => {
        if (copy.users === 0 && this.copies.get(file.path) === copy) this.forget(file.path, copy);
      }, DROP_GRACE_MS).unref();
    }
  }

  private forget(path: string, copy: FileCopy): void {
    this.copies.delete(path);
    if (copy.users > 0) this.budget.heldBytes -= copy.bytes;
    void withQuerySlot((conn) => conn.run(`DELETE FROM ${sqlIdent(copy.table)} WHERE ${FILE_COLUMN} = ${copy.id}`)).catch(() => undefined);
  }

  private rowsTable(snapshot: Snapshot): Promise<string> {
    const key = JSON.stringify(snapshot.schema.fields.map((f) => [f.name, f.type]));
    let table = this.tables.get(key);
    if (!table) {
      const name = `analytics_${this.table}_rows_${++tablesMade}`;
      table = withQuerySlot((conn) => conn.run(`CREATE TABLE ${sqlIdent(name)} AS SELECT *, CAST(NULL AS INTEGER) AS ${FILE_COLUMN} FROM (${emptySelect(snapshot)})`)).then(() => name);
      table.catch(() => this.tables.get(key) === table && this.tables.delete(key));
      this.tables.set(key, table);
    }
    return table;
  }

  private async insert(snapshot: Snapshot, rows: string, file: AddAction, id: number): Promise<void> {
    // The scan's SQL holds only the file's path and partition values, both from the Delta log.
    const { sql } = await planScan(this.store, snapshot.schema, snapshot.partitionColumns, [file]);
    await withQuerySlot((conn) => conn.run(`INSERT INTO ${sqlIdent(rows)} SELECT *, ${id} FROM (${sql})`));
  }
}

/**
 * The condition selecting rows of these file ids: runs of consecutive ids as ranges. A version's
 * files were mostly copied together, so their ids are few runs: a range is checked in two
 * comparisons, where an IN list of every id costs more to plan and to check on each row.
 */
export function idsCondition(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const ranges: string[] = [];
  const singles: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) ranges.push(`${FILE_COLUMN} BETWEEN ${sorted[i]} AND ${sorted[j]}`);
    else singles.push(...sorted.slice(i, j + 1));
    i = j + 1;
  }
  if (singles.length) ranges.push(`${FILE_COLUMN} IN (${singles.join(', ')})`);
  return ranges.length === 1 ? ranges[0] : `(${ranges.join(' OR ')})`;
}

/** Typed NULLs selecting no row: the rows of a version whose files all were pruned. */
export function emptySelect(snapshot: Snapshot): string {
  return `SELECT ${snapshot.schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ')} WHERE false`;
}
