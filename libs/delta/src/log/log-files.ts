/** Names of the files in `_delta_log` (PROTOCOL.md "Delta Log Entries", "Checkpoints"). */
export const LOG_DIR = '_delta_log';
export const LAST_CHECKPOINT = `${LOG_DIR}/_last_checkpoint`;

export function pad20(version: number): string {
  return String(version).padStart(20, '0');
}

export function commitPath(version: number): string {
  return `${LOG_DIR}/${pad20(version)}.json`;
}

export function checkpointPath(version: number): string {
  return `${LOG_DIR}/${pad20(version)}.checkpoint.parquet`;
}

export type LogFile =
  | { kind: 'commit'; version: number }
  | { kind: 'checkpoint'; version: number }
  | { kind: 'multipart-checkpoint'; version: number; part: number; parts: number }
  | { kind: 'v2-checkpoint'; version: number };

/** Unknown files (.crc, temp files, compacted logs) give undefined and are ignored, as the protocol asks. */
export function parseLogFileName(name: string): LogFile | undefined {
  let m = /^(\d{20})\.json$/.exec(name);
  if (m) return { kind: 'commit', version: Number(m[1]) };
  m = /^(\d{20})\.checkpoint\.parquet$/.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]) };
  m = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/.exec(name);
  if (m) return { kind: 'multipart-checkpoint', version: Number(m[1]), part: Number(m[2]), parts: Number(m[3]) };
  m = /^(\d{20})\.checkpoint\.[0-9a-f-]{36}\.(json|parquet)$/.exec(name);
  if (m) return { kind: 'v2-checkpoint', version: Number(m[1]) };
  return undefined;
}

export function crcPath(version: number): string {
  return `${LOG_DIR}/${pad20(version)}.crc`;
}
