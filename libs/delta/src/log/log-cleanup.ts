import { ObjectStore } from '../storage/object-store';
import { LOG_DIR, parseLogFileName } from './log-files';

/**
 * Expired log cleanup (PROTOCOL.md "Metadata Cleanup"): delete commit and checkpoint files
 * older than the retention whose version is below the newest checkpoint at or before the
 * cutoff, so every version still inside the retention stays rebuildable.
 */
export async function cleanupExpiredLogs(store: ObjectStore, retentionMs: number, now = Date.now()): Promise<number> {
  const cutoff = now - retentionMs;
  const files = await store.list(LOG_DIR);
  let keepFrom = -1;
  for (const f of files) {
    const p = parseLogFileName(f.path.slice(LOG_DIR.length + 1));
    if (p && (p.kind === 'checkpoint' || p.kind === 'multipart-checkpoint') && f.modificationTime <= cutoff) {
      keepFrom = Math.max(keepFrom, p.version);
    }
  }
  if (keepFrom < 0) return 0;
  let deleted = 0;
  for (const f of files) {
    const name = f.path.slice(LOG_DIR.length + 1);
    const p = parseLogFileName(name);
    const version = p?.version ?? (/^(\d{20})\.crc$/.exec(name) ? Number(name.slice(0, 20)) : undefined);
    if (version === undefined || version >= keepFrom || f.modificationTime > cutoff) continue;
    await store.delete(f.path);
    deleted++;
  }
  return deleted;
}
