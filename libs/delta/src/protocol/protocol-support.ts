import { ProtocolAction } from './actions';
import { UnsupportedProtocolError } from '../errors';

/**
 * What this library implements: reader version 1 (plus reader-features tables that use only
 * timestampNtz-free, supported features) and writer version 2 (appendOnly and invariants).
 * Anything else is refused rather than half-handled: silently ignoring deletion vectors or
 * column mapping would return wrong rows.
 */
// vacuumProtocolCheck asks nothing of readers, and of writers only that VACUUM checks the protocol
// before deleting files, which ours does (its VACUUM START commit goes through assertCanWrite first).
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set(['vacuumProtocolCheck']);
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set(['appendOnly', 'invariants', 'vacuumProtocolCheck']);

export const DEFAULT_PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };


export function assertCanRead(p: ProtocolAction): void {
  if (p.minReaderVersion > 3) {
    throw new UnsupportedProtocolError(`table needs reader version ${p.minReaderVersion}; this library reads up to 3`);
  }
  if (p.minReaderVersion === 2) {
    throw new UnsupportedProtocolError('table needs reader version 2 (column mapping), which this library does not support');
  }
  if (p.minReaderVersion === 3) {
    const unknown = (p.readerFeatures ?? []).filter((f) => !SUPPORTED_READER_FEATURES.has(f));
    if (unknown.length > 0) {
      throw new UnsupportedProtocolError(`table uses reader features this library does not support: ${unknown.join(', ')}`);
    }
  }
}

export function assertCanWrite(p: ProtocolAction): void {
  assertCanRead(p);
  if (p.minWriterVersion === 7) {
    const unknown = (p.writerFeatures ?? []).filter((f) => !SUPPORTED_WRITER_FEATURES.has(f));
    if (unknown.length > 0) {
      throw new UnsupportedProtocolError(`table uses writer features this library does not support: ${unknown.join(', ')}`);
    }
    return;
  }
  if (p.minWriterVersion > 2) {
    throw new UnsupportedProtocolError(`table needs writer version ${p.minWriterVersion}; this library writes up to 2`);
  }
}
