import { ObjectStore } from '../storage/object-store';
import { checkpointPath, commitPath, crcPath } from './log-files';
import { checkpointExists, earliestCommit, lastWhere, modificationTime } from './version-probe';

/** Log files checked and deleted at once. */
const CLEANUP_BATCH = 16;

/**
 * Expired log cleanup (PROTOCOL.md "Metadata Cleanup") without listing the log: every version
 * below the newest checkpoint whose commit is older than the retention is deleted, in version
 * order (checkpoint, .crc, then the commit), so every version inside the retention stays
 * rebuildable and a cleanup cut short leaves a contiguous log that the next one finishes.
 * The horizon (the oldest commit left) is remembered between runs: each run probes O(log n)
 * commit times and deletes only what expired since the last one. Multi-part and v2 checkpoint
 * files, which this library never writes, are not removed.
 */
export class LogCleaner {
  /** The oldest commit still in the log, as far as this process knows. */
  private horizon?: number;

  constructor(private readonly store: ObjectStore) {}

  /** Deletes what expired at `now`, given the table's latest version; returns the number of files deleted. */
  async cleanup(retentionMs: number, latest: number, now: number): Promise<number> {
    const store = this.store;
    const horizon = this.horizon ?? (await earliestCommit(store, latest));
    const cutoff = now - retentionMs;
    // A commit another cleaner removed meanwhile was expired too.
    const expired = await lastWhere(horizon, latest, async (v) => ((await modificationTime(store, commitPath(v))) ?? -Infinity) <= cutoff);
    let keepFrom = -1;
    for (let v = expired; v > horizon; v--) {
      if (await checkpointExists(store, v)) {
        keepFrom = v;
        break;
      }
    }
    if (keepFrom < 0) {
      this.horizon = horizon;
      return 0;
    }
    let deleted = 0;
    for (let v = horizon; v < keepFrom; v += CLEANUP_BATCH) {
      const versions = Array.from({ length: Math.min(CLEANUP_BATCH, keepFrom - v) }, (_, i) => v + i);
      for (const pathOf of [checkpointPath, crcPath, commitPath]) {
        const present = await Promise.all(versions.map(async (u) => (await modificationTime(store, pathOf(u))) !== undefined));
        const doomed = versions.filter((_, i) => present[i]);
        // Commits go strictly in version order: a crash must not leave a hole in the log.
        if (pathOf === commitPath) for (const u of doomed) await store.delete(pathOf(u));
        else await Promise.all(doomed.map((u) => store.delete(pathOf(u))));
        deleted += doomed.length;
      }
      this.horizon = versions[versions.length - 1] + 1;
    }
    this.horizon = keepFrom;
    return deleted;
  }
}
