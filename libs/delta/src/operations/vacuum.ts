import { decodeLogPath } from '../parquet/partition-path';
import { Snapshot, updateSnapshot } from '../log/snapshot';
import { tableConfig } from '../log/table-config';
import { commitTransaction, TableLog } from '../log/transaction';
import { InvalidArgumentError } from '../errors';
import { assertCanWrite } from '../protocol/protocol-support';
import { footprint } from '../log/conflict-checker';

export interface VacuumOptions {
  /** Defaults to the table's delta.deletedFileRetentionDuration (7 days). */
  retentionHours?: number;
  /** A retention shorter than the table's is refused unless this is false (Spark's retentionDurationCheck). */
  enforceRetentionDuration?: boolean;
  dryRun?: boolean;
  /**
   * Files no version references, not even as a tombstone, may be a writer's data file not yet
   * committed: they are deleted only past this age (default: the retention), so that a short
   * retention on a table being written does not delete an in-flight write.
   */
  orphanRetentionHours?: number;
}

export interface VacuumResult {
  filesDeleted: string[];
  dryRun: boolean;
}

/**
 * Deletes data files no version inside the retention window needs: neither live nor an
 * unexpired tombstone, and older than the retention (so in-flight writes are safe). Logged as
 * VACUUM START / VACUUM END commits, as Spark and delta-rs do.
 */
export async function vacuum(log: TableLog, snap: Snapshot, opts: VacuumOptions = {}): Promise<VacuumResult> {
  const tableRetentionMs = tableConfig(snap.configuration).deletedFileRetentionMs;
  const retentionMs = opts.retentionHours === undefined ? tableRetentionMs : opts.retentionHours * 3_600_000;
  if ((opts.enforceRetentionDuration ?? true) && retentionMs < tableRetentionMs) {
    throw new InvalidArgumentError(
      `vacuum retention of ${retentionMs / 3_600_000} hours is shorter than the table's ${tableRetentionMs / 3_600_000} hours; ` +
        'pass enforceRetentionDuration=false to force it (readers of older versions may fail)',
    );
  }
  await updateSnapshot(log.store, snap);
  // Before the listing, so that a dry run too refuses a table whose deletion-vector files it would not know to keep.
  assertCanWrite(snap.protocol);
  const cutoff = log.clock() - retentionMs;
  const orphanCutoff = opts.orphanRetentionHours === undefined ? cutoff : Math.min(cutoff, log.clock() - opts.orphanRetentionHours * 3_600_000);
  const keep = new Set<string>();
  const tombstones = new Set<string>();
  for (const f of snap.state.files.keys()) keep.add(decodeLogPath(f));
  for (const t of snap.state.tombstones.values()) {
    if ((t.deletionTimestamp ?? 0) > cutoff) keep.add(decodeLogPath(t.path));
    else tombstones.add(decodeLogPath(t.path));
  }
  const candidates = (await log.store.listRecursive(''))
    .filter((f) => !f.path.split('/').some((seg, i, all) => i < all.length - 1 && (seg.startsWith('_') || seg.startsWith('.'))))
    .filter((f) => !f.path.split('/').pop()!.startsWith('.') && !f.path.split('/').pop()!.startsWith('_'))
    .filter((f) => !keep.has(f.path) && f.modificationTime < (tombstones.has(f.path) ? cutoff : orphanCutoff))
    .map((f) => f.path);
  if (opts.dryRun) return { filesDeleted: candidates, dryRun: true };
  const vacuumFootprint = footprint({ rearrangeOnly: true });
  await commitTransaction(log, snap, {
    actions: [],
    operation: 'VACUUM START',
    operationParameters: { retentionCheckEnabled: String(opts.enforceRetentionDuration ?? true), defaultRetentionMillis: String(tableRetentionMs), specifiedRetentionMillis: String(retentionMs) },
    operationMetrics: { numFilesToDelete: String(candidates.length) },
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: vacuumFootprint,
  });
  for (const p of candidates) await log.store.delete(p);
  await commitTransaction(log, snap, {
    actions: [],
    operation: 'VACUUM END',
    operationParameters: { status: 'COMPLETED' },
    operationMetrics: { numDeletedFiles: String(candidates.length) },
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: vacuumFootprint,
  });
  return { filesDeleted: candidates, dryRun: false };
}
