import { NotFoundError, ObjectStore } from '../storage/object-store';
import { readLastCheckpoint } from './checkpoint';
import { checkpointPath, commitPath, LOG_DIR, parseLogFileName } from './log-files';
import { LogCorruptError } from '../errors';

/**
 * Finding versions by name instead of listing `_delta_log`: commit files are created in version
 * order and log cleanup deletes them in version order, so the commits still present always form
 * one contiguous range [earliest, latest]. Each question is answered in O(1) or O(log n) probes,
 * whatever the length of the log.
 */

/** A file's modification time, or undefined when it does not exist. */
export async function modificationTime(store: ObjectStore, path: string): Promise<number | undefined> {
  try {
    return (await store.head(path)).modificationTime;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

export async function commitExists(store: ObjectStore, version: number): Promise<boolean> {
  return (await modificationTime(store, commitPath(version))) !== undefined;
}

export async function checkpointExists(store: ObjectStore, version: number): Promise<boolean> {
  return (await modificationTime(store, checkpointPath(version))) !== undefined;
}

/** The largest v in [lo, hi] for which `pred` holds, given that it holds for a prefix of the range; lo - 1 when none does. */
export async function lastWhere(lo: number, hi: number, pred: (v: number) => Promise<boolean>): Promise<number> {
  let found = lo - 1;
  while (lo <= hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (await pred(mid)) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The newest committed version, or -1 for no table: from `_last_checkpoint` (or version 0) on,
 * doubling steps then a binary search, so a stale hint costs O(log distance) probes.
 */
export async function latestVersion(store: ObjectStore): Promise<number> {
  const hint = await readLastCheckpoint(store);
  const base = hint?.version ?? 0;
  if (!(await commitExists(store, base)) && !(hint && (await checkpointExists(store, base)))) return latestFromListing(store);
  return lastCommitFrom(store, base);
}

/** The newest commit at or after `from` (a version with a commit or a checkpoint): doubling steps, then a binary search. */
export async function lastCommitFrom(store: ObjectStore, from: number): Promise<number> {
  let base = from;
  let step = 1;
  while (await commitExists(store, base + step)) {
    base += step;
    step *= 2;
  }
  return Math.max(from, await lastWhere(base, base + step - 1, (v) => commitExists(store, v)));
}

/** No usable hint and no version 0 (a torn `_last_checkpoint` after cleanup, or no table): the rare case that lists. */
async function latestFromListing(store: ObjectStore): Promise<number> {
  let latest = -1;
  for (const f of await store.list(LOG_DIR)) {
    const p = parseLogFileName(f.path.slice(LOG_DIR.length + 1));
    if (p?.kind === 'commit') latest = Math.max(latest, p.version);
  }
  return latest;
}

/** The oldest commit file still in the log (log cleanup removed the ones before it), given the latest version. */
export async function earliestCommit(store: ObjectStore, latest: number): Promise<number> {
  if (await commitExists(store, 0)) return 0;
  // Commits present form the suffix [earliest, latest]: search for the last absent one.
  return (await lastWhere(0, latest, async (v) => !(await commitExists(store, v)))) + 1;
}

/**
 * The oldest version that can still be rebuilt: 0 while the first commit is there, else the
 * first checkpoint at or after the oldest commit (versions between a half-done cleanup's horizon
 * and that checkpoint have lost their base). Probes upward, at most one checkpoint interval.
 */
export async function earliestReconstructable(store: ObjectStore, latest: number): Promise<number> {
  const earliest = await earliestCommit(store, latest);
  if (earliest === 0) return 0;
  for (let v = earliest; v <= latest; v++) if (await checkpointExists(store, v)) return v;
  throw new LogCorruptError(`no version of the table can be rebuilt: no checkpoint from version ${earliest} on`);
}
