import { Action, AddAction, ProtocolAction, RemoveAction, removeActionFor } from '../protocol/actions';
import { DataFileMissingError, VersionNotAvailableError } from '../errors';
import { decodeLogPath } from '../parquet/partition-path';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { commitPath } from '../log/log-files';
import { loadSnapshot, Snapshot, updateSnapshot } from '../log/snapshot';
import { earliestReconstructable, modificationTime } from '../log/version-probe';
import { commitTransaction, TableLog } from '../log/transaction';
import { versionAtTimestamp } from './history';

/** The state to go back to: exactly one of a version or an instant (ms since the epoch). */
export type RestoreTarget = { version: number; timestamp?: undefined } | { timestamp: number; version?: undefined };

export interface RestoreOptions {
  /** Check and compute the RESTORE without committing it. */
  dryRun?: boolean;
}

/** Spark's RESTORE metrics, as its commitInfo and its SQL output carry them. */
export interface RestoreMetrics {
  tableSizeAfterRestore: number;
  numOfFilesAfterRestore: number;
  numRemovedFiles: number;
  numRestoredFiles: number;
  removedFilesSize: number;
  restoredFilesSize: number;
}

export interface RestoreResult {
  /** The version of the RESTORE commit; absent on a dry run. */
  version?: number;
  /** The version whose state the table now has. */
  restoredVersion: number;
  metrics: RestoreMetrics;
}

/**
 * RESTORE (Spark RestoreTableCommand, delta-rs operations/restore.rs): one commit that brings the
 * live files back to those of an earlier version. Files live then and not now are added back
 * with their stats and partition values; files live now and not then are removed; both with
 * dataChange=true, as the rows do change. The target's metadata comes back when it differs (a
 * schema changed since); the protocol is never downgraded, since older versions written under
 * the newer protocol must stay readable. Application transactions (`txn`, the ingestor's
 * offsets) are not rolled back, as in Delta: a writer does not write again what it already wrote.
 *
 * Refused with VersionNotAvailableError for a target that is not strictly older than the
 * current version or no longer in the log, and DataFileMissingError when a file to add back was
 * deleted (by VACUUM, past the table's retention): restoring a part of a version would be wrong
 * rows. A concurrent commit that removes a file this one reads conflicts; a blind append lands
 * after the restore, which is a serial order (WriteSerializable).
 */
export async function restore(log: TableLog, snap: Snapshot, target: RestoreTarget, opts: RestoreOptions = {}): Promise<RestoreResult> {
  await updateSnapshot(log.store, snap);
  const restoredVersion = await resolveTarget(log.store, snap.version, target);
  const then = await loadSnapshot(log.store, `version ${restoredVersion}`, restoredVersion);

  const toAdd = then.files().filter((f) => !snap.state.files.has(f.path));
  const toRemove = snap.files().filter((f) => !then.state.files.has(f.path));
  await assertFilesExist(log.store, toAdd);

  const now = log.clock();
  const removes: RemoveAction[] = toRemove.map((f) => removeActionFor(f, now, true));
  const adds: AddAction[] = toAdd.map((f) => ({ ...f, dataChange: true }));
  const protocol = mergedProtocol(then.protocol, snap.protocol);
  const metadataChanges = JSON.stringify(then.metadata) !== JSON.stringify(snap.metadata);
  const actions: Action[] = [
    ...(sameProtocol(protocol, snap.protocol) ? [] : [{ protocol }]),
    ...(metadataChanges ? [{ metaData: then.metadata }] : []),
    ...adds.map((add) => ({ add })),
    ...removes.map((remove) => ({ remove })),
  ];
  const metrics: RestoreMetrics = {
    tableSizeAfterRestore: sizeOf(then.files()),
    numOfFilesAfterRestore: then.state.files.size,
    numRemovedFiles: removes.length,
    numRestoredFiles: adds.length,
    removedFilesSize: sizeOf(toRemove),
    restoredFilesSize: sizeOf(toAdd),
  };
  if (opts.dryRun) return { restoredVersion, metrics };
  const removed = new Set(removes.map((r) => r.path));
  const { version } = await commitTransaction(log, snap, {
    actions,
    operation: 'RESTORE',
    operationParameters: {
      version: String(restoredVersion),
      ...(target.timestamp !== undefined ? { timestamp: new Date(target.timestamp).toISOString() } : {}),
    },
    operationMetrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, String(v)])),
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: {
      readPartitions: 'all',
      readFiles: new Set([...snap.state.files.keys(), ...removed]),
      removedFiles: removed,
      appIds: new Set(),
      changesMetadata: metadataChanges || protocol !== snap.protocol,
      rearrangeOnly: false,
    },
  });
  return { version, restoredVersion, metrics };
}

/** The version to restore, checked to be in the log and older than `latest`. */
async function resolveTarget(store: ObjectStore, latest: number, target: RestoreTarget): Promise<number> {
  if ((target.version === undefined) === (target.timestamp === undefined)) {
    throw new VersionNotAvailableError('RESTORE needs exactly one of a version or a timestamp');
  }
  const earliest = await earliestReconstructable(store, latest);
  let version: number;
  if (target.version !== undefined) {
    if (!Number.isSafeInteger(target.version) || target.version < 0) throw new VersionNotAvailableError(`invalid version to restore: ${target.version}`);
    version = target.version;
  } else {
    if (Number.isNaN(target.timestamp)) throw new VersionNotAvailableError('invalid timestamp to restore');
    const first = await modificationTime(store, commitPath(earliest));
    if (first !== undefined && target.timestamp < first) {
      throw new VersionNotAvailableError(
        `${new Date(target.timestamp).toISOString()} is before the earliest version still in the log (${earliest}, committed ${new Date(first).toISOString()})`,
      );
    }
    version = await versionAtTimestamp(store, target.timestamp, latest);
  }
  if (version >= latest) {
    throw new VersionNotAvailableError(`the version to restore (${version}) must be older than the current version (${latest})`);
  }
  if (version < earliest) {
    throw new VersionNotAvailableError(`version ${version} is no longer in the log (the earliest that can be rebuilt is ${earliest}; see delta.logRetentionDuration)`);
  }
  return version;
}

async function assertFilesExist(store: ObjectStore, files: readonly AddAction[]): Promise<void> {
  for (const f of files) {
    try {
      await store.head(decodeLogPath(f.path));
    } catch (e) {
      if (e instanceof NotFoundError) throw new DataFileMissingError(e);
      throw e;
    }
  }
}

/** Delta's Protocol.merge: the higher versions and every feature of either side. */
function mergedProtocol(a: ProtocolAction, b: ProtocolAction): ProtocolAction {
  const features = (x?: string[], y?: string[]) => (x || y ? [...new Set([...(y ?? []), ...(x ?? [])])] : undefined);
  const merged: ProtocolAction = {
    minReaderVersion: Math.max(a.minReaderVersion, b.minReaderVersion),
    minWriterVersion: Math.max(a.minWriterVersion, b.minWriterVersion),
  };
  const readerFeatures = features(a.readerFeatures, b.readerFeatures);
  const writerFeatures = features(a.writerFeatures, b.writerFeatures);
  if (readerFeatures && merged.minReaderVersion >= 3) merged.readerFeatures = readerFeatures;
  if (writerFeatures && merged.minWriterVersion >= 7) merged.writerFeatures = writerFeatures;
  return sameProtocol(merged, b) ? b : merged;
}

function sameProtocol(a: ProtocolAction, b: ProtocolAction): boolean {
  const set = (f?: string[]) => JSON.stringify([...(f ?? [])].sort());
  return (
    a.minReaderVersion === b.minReaderVersion &&
    a.minWriterVersion === b.minWriterVersion &&
    set(a.readerFeatures) === set(b.readerFeatures) &&
    set(a.writerFeatures) === set(b.writerFeatures)
  );
}

function sizeOf(files: readonly AddAction[]): number {
  return files.reduce((n, f) => n + f.size, 0);
}
