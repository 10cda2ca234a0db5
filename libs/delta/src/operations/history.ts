import { CommitInfoAction } from '../protocol/actions';
import { LOG_DIR, parseLogFileName } from '../log/log-files';
import { readCommit } from '../log/snapshot';
import { ObjectStore } from '../storage/object-store';

export interface HistoryEntry extends Partial<CommitInfoAction> {
  version: number;
  timestamp: number;
}

interface CommitTime {
  version: number;
  timestamp: number;
}

/**
 * Commit timestamps from the commit files' modification times, made strictly increasing as
 * Spark's DeltaHistoryManager.monotonizeCommitTimestamps does (In-Commit Timestamps are not enabled).
 */
export async function commitTimestamps(store: ObjectStore): Promise<CommitTime[]> {
  const out: CommitTime[] = [];
  for (const f of await store.list(LOG_DIR)) {
    const p = parseLogFileName(f.path.slice(LOG_DIR.length + 1));
    if (p?.kind === 'commit') out.push({ version: p.version, timestamp: f.modificationTime });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i].timestamp <= out[i - 1].timestamp) out[i].timestamp = out[i - 1].timestamp + 1;
  }
  return out;
}

/** The newest version committed at or before `timestamp` (ms); the latest version when the timestamp is after it, as delta-rs does. */
export async function versionAtTimestamp(store: ObjectStore, timestamp: number): Promise<number> {
  const times = await commitTimestamps(store);
  if (times.length === 0) throw new Error('the table has no commits');
  if (timestamp < times[0].timestamp) {
    throw new Error(`timestamp ${new Date(timestamp).toISOString()} is before the earliest available version (${times[0].version} at ${new Date(times[0].timestamp).toISOString()})`);
  }
  let version = times[0].version;
  for (const t of times) if (t.timestamp <= timestamp) version = t.version;
  return version;
}

/** commitInfo of each version still in the log, newest first. */
export async function history(store: ObjectStore, limit?: number): Promise<HistoryEntry[]> {
  const times = (await commitTimestamps(store)).reverse().slice(0, limit);
  return Promise.all(
    times.map(async ({ version, timestamp }) => {
      const info = (await readCommit(store, version)).find((a) => 'commitInfo' in a) as { commitInfo: CommitInfoAction } | undefined;
      return { ...(info?.commitInfo ?? {}), version, timestamp: info?.commitInfo.timestamp ?? timestamp };
    }),
  );
}
