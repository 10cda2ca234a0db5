import { Action } from '../protocol/actions';
import { CommitConflictError } from '../errors';

/**
 * What a transaction read and wrote, checked against each commit that won the race for its
 * version (delta-rs conflict_checker.rs, Spark ConflictChecker.scala), at WriteSerializable.
 */
export interface TransactionFootprint {
  /** Partitions (as partition-value maps) whose data the transaction read; 'all' for the whole table. */
  readPartitions: 'all' | Record<string, string | null>[];
  /** Files the transaction read or removes. */
  readFiles: ReadonlySet<string>;
  removedFiles: ReadonlySet<string>;
  appIds: ReadonlySet<string>;
  changesMetadata: boolean;
  /** Every action has dataChange=false (OPTIMIZE): downgraded to snapshot isolation, so concurrent appends are fine. */
  rearrangeOnly: boolean;
  /**
   * The partitions read, as a predicate on partition values (a DELETE's or UPDATE's partition
   * filters, Spark's readPredicates); when set it replaces readPartitions.
   */
  readsPartition?: (partitionValues: Record<string, string | null>) => boolean;
  /**
   * WriteSerializable (the default, as in Spark) lets concurrent blind appends through;
   * Serializable makes them conflict too when they land in data this transaction read.
   */
  isolationLevel?: IsolationLevel;
}

/** The footprint of a transaction that read nothing: a blind append, unless `parts` say more. */
export function footprint(parts: Partial<TransactionFootprint> = {}): TransactionFootprint {
  return { readPartitions: [], readFiles: new Set(), removedFiles: new Set(), appIds: new Set(), changesMetadata: false, rearrangeOnly: false, ...parts };
}

export type IsolationLevel = 'WriteSerializable' | 'Serializable';

function partitionMatches(pv: Record<string, string | null>, read: Record<string, string | null>[]): boolean {
  return read.some((p) => Object.entries(p).every(([k, v]) => (pv[k] ?? null) === v));
}

export function checkConflicts(footprint: TransactionFootprint, winner: Action[], winningVersion: number): void {
  const info = winner.find((a) => 'commitInfo' in a) as { commitInfo: { isBlindAppend?: boolean } } | undefined;
  const blindAppend = info?.commitInfo.isBlindAppend === true;
  for (const a of winner) {
    if ('protocol' in a) throw new CommitConflictError('ProtocolChanged', winningVersion, 'the protocol changed');
    if ('metaData' in a) throw new CommitConflictError('MetadataChanged', winningVersion, 'the table metadata changed');
    if ('txn' in a && footprint.appIds.has(a.txn.appId)) {
      throw new CommitConflictError('ConcurrentTransaction', winningVersion, `appId ${a.txn.appId} committed concurrently`);
    }
    const checksAdd = !blindAppend || footprint.changesMetadata || footprint.isolationLevel === 'Serializable';
    if ('add' in a && a.add.dataChange && !footprint.rearrangeOnly && checksAdd) {
      const read = footprint.readPartitions;
      const wasRead = footprint.readsPartition ?? ((pv) => read === 'all' || partitionMatches(pv, read));
      if (wasRead(a.add.partitionValues)) {
        throw new CommitConflictError('ConcurrentAppend', winningVersion, `file ${a.add.path} was added to data this transaction read`);
      }
    }
    if ('remove' in a) {
      if (footprint.removedFiles.has(a.remove.path)) {
        throw new CommitConflictError('ConcurrentDeleteDelete', winningVersion, `file ${a.remove.path} was removed concurrently`);
      }
      if (footprint.readFiles.has(a.remove.path)) {
        throw new CommitConflictError('ConcurrentDeleteRead', winningVersion, `file ${a.remove.path} was read and removed concurrently`);
      }
    }
  }
}
