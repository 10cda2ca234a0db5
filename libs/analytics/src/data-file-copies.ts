import { AddAction, duckdbType, ObjectStore, parseStats, planScan, PrimitiveType, Snapshot, sqlIdent, withConnection } from '@app/delta';

/** A copy no loaded version lists any more is dropped this long after, so queries in flight finish first. */
const DROP_GRACE_MS = 60_000;

/**
 * Bytes held by in-memory copies of data files, over every table, against one budget: the
 * versions kept for time travel are evicted (least recently used first) while it is exceeded.
 */
export class CopyBudget {
  /** Bytes of the copies some loaded version lists. */
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

export function estimatedRowBytes(types: readonly PrimitiveType[]): number {
  return types.reduce((n, t) => n + (COLUMN_BYTES[t] ?? 8), 0);
}

interface FileCopy {
  name: Promise<string>;
  bytes: number;
  users: number;
  dropTimer?: NodeJS.Timeout;
}

let copiesMade = 0;

/**
 * In-memory DuckDB copies of one table's data files, one per file, shared by every loaded version
 * that lists the file. A Delta file never changes, so a version that differs from another by a
 * few files costs only those files' copies: versions kept for time travel share unchanged data.
 */
export class DataFileCopies {
  private readonly copies = new Map<string, FileCopy>();

  constructor(
    private readonly table: string,
    private readonly store: ObjectStore,
    private readonly budget: CopyBudget,
  ) {}

  /** The copies' table names for these files of the snapshot, made when missing; each file is held until `release`. */
  acquire(snapshot: Snapshot, files: readonly AddAction[]): Promise<string[]> {
    const rowBytes = estimatedRowBytes(snapshot.schema.fields.map((f) => f.type));
    return Promise.all(
      files.map((file) => {
        let copy = this.copies.get(file.path);
        if (!copy) {
          copy = { name: this.copy(snapshot, file), bytes: (parseStats(file)?.numRecords ?? 0) * rowBytes, users: 0 };
          this.copies.set(file.path, copy);
          const made = copy;
          made.name.catch(() => this.copies.get(file.path) === made && this.forget(file.path, made));
        }
        if (copy.users++ === 0) {
          this.budget.heldBytes += copy.bytes;
          clearTimeout(copy.dropTimer);
          copy.dropTimer = undefined;
        }
        return copy.name;
      }),
    );
  }

  /** Lets go of files acquired; a copy no version holds is dropped after a grace period. */
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
    void copy.name.then((name) => withConnection((conn) => conn.run(`DROP TABLE IF EXISTS ${sqlIdent(name)}`))).catch(() => undefined);
  }

  private async copy(snapshot: Snapshot, file: AddAction): Promise<string> {
    const name = `analytics_${this.table}_file_${++copiesMade}`;
    // The scan's SQL holds only the file's path and partition values, both from the Delta log.
    const { sql } = await planScan(this.store, snapshot.schema, snapshot.partitionColumns, [file]);
    await withConnection((conn) => conn.run(`CREATE TABLE ${sqlIdent(name)} AS ${sql}`));
    return name;
  }
}

/** Typed NULLs selecting no row: the rows of a version whose files all were pruned. */
export function emptySelect(snapshot: Snapshot): string {
  return `SELECT ${snapshot.schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ')} WHERE false`;
}
