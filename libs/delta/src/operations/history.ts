import { CommitInfoAction } from '../protocol/actions';
import { commitPath } from '../log/log-files';
import { readCommit } from '../log/snapshot';
import { earliestCommit, earliestReconstructable, latestVersion, modificationTime } from '../log/version-probe';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { VersionNotAvailableError } from '../errors';

export interface HistoryEntry extends Partial<CommitInfoAction> {
  version: number;
  timestamp: number;
}

/** Commit files read at once while walking the history: open files stay bounded whatever its length. */
const HISTORY_BATCH = 16;

/**
 * commitInfo of each version still in the log, newest first, streamed: commit files are read
 * `HISTORY_BATCH` at a time from `latest` down, until the first one cleanup removed or `limit` entries.
 * A commit without commitInfo (or its timestamp) gets its file's modification time.
 */
export async function* historyEntries(store: ObjectStore, latest?: number, limit = Infinity): AsyncGenerator<HistoryEntry> {
  let version = latest ?? (await latestVersion(store));
  const end = Math.max(-1, version - limit);
  while (version > end) {
    const batch: number[] = [];
    for (let v = version; v > end && batch.length < HISTORY_BATCH; v--) batch.push(v);
    const entries = await Promise.all(batch.map((v) => historyEntry(store, v)));
    for (const entry of entries) {
      if (!entry) return;
      yield entry;
    }
    version -= batch.length;
  }
}

async function historyEntry(store: ObjectStore, version: number): Promise<HistoryEntry | undefined> {
  let info: CommitInfoAction | undefined;
  try {
    info = ((await readCommit(store, version)).find((a) => 'commitInfo' in a) as { commitInfo: CommitInfoAction } | undefined)?.commitInfo;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
  const timestamp = info?.timestamp ?? (await modificationTime(store, commitPath(version)));
  if (timestamp === undefined) return undefined;
  return { ...(info ?? {}), version, timestamp };
}

/** The last `limit` entries (all when omitted), newest first: reads only those commits. */
export async function history(store: ObjectStore, limit?: number, latest?: number): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  if (limit !== undefined && limit <= 0) return out;
  for await (const entry of historyEntries(store, latest, limit)) out.push(entry);
  return out;
}

interface CommitTime {
  version: number;
  timestamp: number;
}

/**
 * Commit times of versions `from`..`to` (default: every version still in the log), from the
 * commit files' modification times, made strictly increasing as Spark's
 * DeltaHistoryManager.monotonizeCommitTimestamps does (In-Commit Timestamps are not enabled).
 */
export async function commitTimestamps(store: ObjectStore, from?: number, to?: number): Promise<CommitTime[]> {
  const last = to ?? (await latestVersion(store));
  const first = from ?? (last < 0 ? 0 : await earliestCommit(store, last));
  const out: CommitTime[] = [];
  for (let v = first; v <= last; v += HISTORY_BATCH) {
    const versions = Array.from({ length: Math.min(HISTORY_BATCH, last - v + 1) }, (_, i) => v + i);
    const times = await Promise.all(versions.map((u) => modificationTime(store, commitPath(u))));
    times.forEach((t, i) => t !== undefined && out.push({ version: versions[i], timestamp: t }));
  }
  for (let i = 1; i < out.length; i++) {
    if (out[i].timestamp <= out[i - 1].timestamp) out[i].timestamp = out[i - 1].timestamp + 1;
  }
  return out;
}

/**
 * How many earlier commits a commit's time is made increasing against when checking the answer
 * of a timestamp search: Spark monotonizes over the whole log, which cannot be read in O(log n);
 * file times going backwards by more commits than this (a clock jump) are taken as they are.
 */
const MONOTONIC_WINDOW = 8;

/**
 * The newest version committed at or before `timestamp` (ms); the latest version when the
 * timestamp is after it, as delta-rs does. Commit times are the commit files' modification times
 * (PROTOCOL.md without In-Commit Timestamps), taken as increasing with the version as Spark and
 * delta-rs make them: a binary search over them between the oldest version that can still be
 * rebuilt and `latest` (O(log n) probes), then the answer is moved back while its monotonized
 * time (over the MONOTONIC_WINDOW commits before it) is after the timestamp.
 */
export async function versionAtTimestamp(store: ObjectStore, timestamp: number, latest?: number): Promise<number> {
  const last = latest ?? (await latestVersion(store));
  if (last < 0) throw new VersionNotAvailableError('the table has no commits');
  const earliest = await earliestReconstructable(store, last);
  const rawTime = async (v: number): Promise<number> => {
    const t = await modificationTime(store, commitPath(v));
    if (t === undefined) throw new VersionNotAvailableError(`commit ${v} was removed while searching the log by timestamp`);
    return t;
  };
  const monotonicTime = async (v: number): Promise<number> => {
    const times = await commitTimestamps(store, Math.max(earliest, v - MONOTONIC_WINDOW), v);
    return times[times.length - 1].timestamp;
  };
  const first = await rawTime(earliest);
  if (timestamp < first) {
    throw new VersionNotAvailableError(`timestamp ${new Date(timestamp).toISOString()} is before the earliest available version (${earliest} at ${new Date(first).toISOString()})`);
  }
  let found = await lastAtOrBefore(earliest, first, last, timestamp, rawTime);
  while (found > earliest && (await monotonicTime(found)) > timestamp) found--;
  return found;
}

/**
 * The last version in [lo, hi] whose time is at or before `t`, given that `lo`'s is (time at
 * `loTime`). Interpolation first (commits come at a fairly steady rate, so a guess from the
 * times at both ends lands within a few versions: O(log log n) probes), halving whenever a
 * guess does not shrink the range enough, so never worse than a binary search.
 */
async function lastAtOrBefore(lo: number, loTime: number, hi: number, t: number, timeOf: (v: number) => Promise<number>): Promise<number> {
  let hiTime = await timeOf(hi);
  if (hiTime <= t) return hi;
  // Invariant: time(lo) <= t < time(hi).
  for (let round = 0; hi - lo > 1; round++) {
    const span = hi - lo;
    let guess = lo + Math.floor(((t - loTime) / Math.max(1, hiTime - loTime)) * span);
    if (round % 2 === 1) guess = lo + Math.floor(span / 2); // every other round halves, bounding the worst case
    guess = Math.min(hi - 1, Math.max(lo + 1, guess));
    const time = await timeOf(guess);
    if (time <= t) {
      lo = guess;
      loTime = time;
    } else {
      hi = guess;
      hiTime = time;
    }
  }
  return lo;
}
