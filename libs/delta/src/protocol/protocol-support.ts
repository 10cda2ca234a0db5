import { ProtocolAction } from './actions';
import { UnsupportedProtocolError } from '../errors';
import { StructType, usesTimestampNtz } from '../schema/types';

/**
 * What this library implements: reader version 1, 2 (column mapping) and 3 with the supported
 * reader features; writer version 2 (appendOnly and invariants) or 7 with the supported writer
 * features. Anything else is refused rather than half-handled. Deletion vectors and column
 * mapping are read, not written: a writer that ignored them would resurrect deleted rows or
 * write columns under names other readers do not look for.
 */
// vacuumProtocolCheck asks nothing of readers, and of writers only that VACUUM checks the protocol
// before deleting files, which ours does (its VACUUM START commit goes through assertCanWrite first).
// timestampNtz: the timestamp_ntz type, read and written as Parquet TIMESTAMP(MICROS, not UTC-adjusted).
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set(['vacuumProtocolCheck', 'deletionVectors', 'columnMapping', 'timestampNtz']);
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set(['appendOnly', 'invariants', 'vacuumProtocolCheck', 'timestampNtz']);

export const DEFAULT_PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };

/**
 * The protocol a new table with this schema needs: DEFAULT_PROTOCOL, or reader 3 / writer 7
 * with the `timestampNtz` feature on both sides when a column (or a nested field) is
 * timestamp_ntz, as PROTOCOL.md requires and Spark writes. Writer 7 lists every writer feature
 * the table uses, so the ones writer 2 implies (appendOnly, invariants) are listed too.
 */
export function protocolForSchema(schema: StructType): ProtocolAction {
  if (!usesTimestampNtz(schema)) return { ...DEFAULT_PROTOCOL };
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['timestampNtz'],
    writerFeatures: ['appendOnly', 'invariants', 'timestampNtz'],
  };
}


export function assertCanRead(p: ProtocolAction): void {
  if (p.minReaderVersion > 3) {
    throw new UnsupportedProtocolError(`table needs reader version ${p.minReaderVersion}; this library reads up to 3`);
  }
  if (p.minReaderVersion === 3) {
    const unknown = (p.readerFeatures ?? []).filter((f) => !SUPPORTED_READER_FEATURES.has(f));
    if (unknown.length > 0) {
      throw new UnsupportedProtocolError(`table uses reader features this library does not support: ${unknown.join(', ')}`);
    }
  }
}

/** Features this library reads but does not write, named in the refusal so that the reason is plain. */
const READ_ONLY_FEATURES: Readonly<Record<string, string>> = {
  deletionVectors: 'deletion vectors',
  columnMapping: 'column mapping',
};

export function assertCanWrite(p: ProtocolAction): void {
  assertCanRead(p);
  if (p.minWriterVersion === 5 || p.minWriterVersion === 6) {
    throw new UnsupportedProtocolError(`table needs writer version ${p.minWriterVersion} (column mapping): this library reads such tables but does not write them`);
  }
  if (p.minWriterVersion === 7) {
    const unknown = (p.writerFeatures ?? []).filter((f) => !SUPPORTED_WRITER_FEATURES.has(f));
    const readOnly = unknown.filter((f) => f in READ_ONLY_FEATURES);
    if (readOnly.length > 0) {
      throw new UnsupportedProtocolError(
        `table uses ${readOnly.map((f) => `${READ_ONLY_FEATURES[f]} (${f})`).join(' and ')}: this library reads such tables but does not write them`,
      );
    }
    if (unknown.length > 0) {
      throw new UnsupportedProtocolError(`table uses writer features this library does not support: ${unknown.join(', ')}`);
    }
    return;
  }
  if (p.minWriterVersion > 2) {
    throw new UnsupportedProtocolError(`table needs writer version ${p.minWriterVersion}; this library writes up to 2`);
  }
}
