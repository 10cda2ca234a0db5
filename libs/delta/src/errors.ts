/**
 * The typed errors of libs/delta, one list as in delta-rs `errors.rs`. Every error the library
 * throws on purpose is a `DeltaError`, so that callers can tell the user's mistakes (a version
 * that is not available, a table that is not there) from a broken table or a bug, and map only
 * the former to 4xx. Storage errors (NotFoundError, AlreadyExistsError) stay with the storage
 * interface they belong to.
 */

export abstract class DeltaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No `_delta_log` at the location. */
export class TableNotFoundError extends DeltaError {
  constructor(where: string) {
    super(`no Delta table at ${where}`);
  }
}

/** A table is already at the location a new one was to be created at (a create, a clone's target). */
export class TableExistsError extends DeltaError {
  constructor(where: string) {
    super(`a Delta table already exists at ${where}`);
  }
}

/** The version or timestamp asked for is not in the log (not yet written, or cleaned up by log retention). */
export class VersionNotAvailableError extends DeltaError {}

/** The log holds something a valid Delta writer would not write (unparsable JSON, a gap, a missing schema). */
export class LogCorruptError extends DeltaError {}

/** The table needs a protocol version or feature this library does not implement for this use. */
export class UnsupportedProtocolError extends DeltaError {}

/** A deletion vector the log references cannot be decoded: wrong magic number, size or checksum, truncated. */
export class DeletionVectorCorruptError extends DeltaError {}

/** Data or a schema change does not fit the table's schema. */
export class SchemaMismatchError extends DeltaError {}

/** A value of a batch does not fit its column's type. */
export class SchemaViolationError extends SchemaMismatchError {
  constructor(
    message: string,
    readonly column: string,
    readonly row?: number,
  ) {
    super(message);
  }
}

/** Delta's conflict classes, named as Spark names its exceptions. */
export type ConflictKind =
  | 'ProtocolChanged'
  | 'MetadataChanged'
  | 'ConcurrentAppend'
  | 'ConcurrentDeleteRead'
  | 'ConcurrentDeleteDelete'
  | 'ConcurrentTransaction';

/** A concurrent commit won the version this transaction tried, and the two conflict under Delta's rules. */
export class CommitConflictError extends DeltaError {
  constructor(
    readonly kind: ConflictKind,
    readonly winningVersion: number,
    detail: string,
  ) {
    super(`${kind}: commit ${winningVersion} conflicts with this transaction (${detail})`);
  }
}

/** The table sets `delta.appendOnly`: an operation that removes data is not allowed. */
export class AppendOnlyTableError extends DeltaError {
  constructor(uri: string, refused = 'its expired partitions cannot be removed; unset the property to apply retention') {
    super(`the table at ${uri} is append-only (delta.appendOnly=true): ${refused}`);
  }
}

/** Every retry of a commit lost its version to a concurrent writer (without a logical conflict). */
export class CommitRetriesExhaustedError extends DeltaError {}

/** A caller passed an option, a table property or a value this operation cannot take. */
export class InvalidArgumentError extends DeltaError {}

/** A data file the snapshot references is gone: usually a version older than the last VACUUM's retention. */
export class DataFileMissingError extends VersionNotAvailableError {
  constructor(override readonly cause: Error) {
    super(`a data file of this version no longer exists (removed by VACUUM? time travel reaches only as far back as its retention): ${cause.message}`);
  }
}
