import { UnsupportedProtocolError } from '../errors';
/**
 * Hive-style partition folders and the URI-encoded paths logged in `add.path`.
 * Spark escapes these characters in folder names, then URI-encodes the whole relative path
 * into the log, so a folder `p=a%3Ab` is logged as `p=a%253Ab` (see delta-protocol notes §2).
 */
const HIVE_ESCAPED = /["#%'*/:=?\\\x7f{[\]^\x00-\x1f]/g;

export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

export function hiveEscape(value: string): string {
  return value.replace(HIVE_ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function partitionFolder(partitionColumns: readonly string[], values: Record<string, string | null>): string {
  return partitionColumns
    .map((c) => {
      const v = values[c];
      return `${hiveEscape(c)}=${v === null || v === undefined || v === '' ? HIVE_NULL : hiveEscape(v)}`;
    })
    .join('/');
}

/** Relative file path -> the RFC 2396 form stored in the log ('=' and '/' kept). */
export function encodeLogPath(relative: string): string {
  return relative
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/g, '='))
    .join('/');
}

/** Log path -> the file's path relative to the table root. Absolute URIs are refused: we only read tables we own the root of. */
export function decodeLogPath(logPath: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(logPath)) throw new UnsupportedProtocolError(`absolute file paths are not supported: ${logPath}`);
  return logPath.split('/').map(decodeURIComponent).join('/');
}
