import { assertCanWrite } from '../../protocol/protocol-support';
import { checkpointActions, writeCheckpoint } from '../checkpoint';
import { Snapshot } from '../snapshot';
import { tableConfig } from '../table-config';
import { commitWithRetries, CommitRequest } from './commit';
import { CommittedTransaction, PostCommitHook, PostCommitReport, TableLog } from './table-log';
import { AppendOnlyTableError, InvalidArgumentError } from '../../errors';

export interface CommitOutcome {
  version: number;
  postCommit: PostCommitReport[];
}

/** Writes a checkpoint every `delta.checkpointInterval` versions, then forgets the tombstones it left out as expired. */
export const checkpointHook: PostCommitHook = {
  name: 'checkpoint',
  async run(log, snapshot, committed) {
    const cfg = tableConfig(snapshot.configuration);
    if (committed.version === 0 || committed.version % cfg.checkpointInterval !== 0) return undefined;
    const now = log.clock();
    const written = await writeCheckpoint(log.store, snapshot.version, checkpointActions(snapshot.state, cfg.deletedFileRetentionMs, now));
    snapshot.state.pruneTombstones(now - cfg.deletedFileRetentionMs);
    return written;
  },
};

/** After each checkpoint, deletes the log files older than `delta.logRetentionDuration` that no kept version needs. */
export const expiredLogCleanupHook: PostCommitHook = {
  name: 'expired-log-cleanup',
  async run(log, snapshot, committed) {
    const cfg = tableConfig(snapshot.configuration);
    if (!cfg.enableExpiredLogCleanup || committed.version === 0 || committed.version % cfg.checkpointInterval !== 0) return undefined;
    return log.cleaner.cleanup(cfg.logRetentionMs, snapshot.version, log.clock());
  },
};

/**
 * Commits one transaction (delta-rs CommitBuilder): checks the protocol and table properties
 * allow it, commits at `snapshot.version + 1` with optimistic concurrency, brings the snapshot to
 * the new version (applying the commits that won earlier versions), then runs the post-commit
 * hooks: checkpoint, expired log cleanup, then the log's own (e.g. auto-compaction).
 */
export async function commitTransaction(log: TableLog, snapshot: Snapshot, req: CommitRequest): Promise<CommitOutcome> {
  assertCanWrite(snapshot.protocol);
  if (tableConfig(snapshot.configuration).appendOnly && req.actions.some((a) => 'remove' in a && a.remove.dataChange)) {
    throw new AppendOnlyTableError(snapshot.metadata.name ?? snapshot.metadata.id, 'removing data is not allowed');
  }
  if (req.readVersion !== snapshot.version) throw new InvalidArgumentError('commit must be built on the current snapshot');
  const result = await commitWithRetries(log.store, req, { clock: log.clock });
  for (const w of result.winners) snapshot.state.apply(w);
  snapshot.state.apply(result.actions);
  snapshot.version = result.version;
  const committed: CommittedTransaction = { version: result.version, operation: req.operation, actions: result.actions };
  return { version: result.version, postCommit: await runPostCommitHooks(log, snapshot, committed) };
}

async function runPostCommitHooks(log: TableLog, snapshot: Snapshot, committed: CommittedTransaction): Promise<PostCommitReport[]> {
  const reports: PostCommitReport[] = [];
  for (const hook of [checkpointHook, expiredLogCleanupHook, ...log.postCommitHooks]) {
    try {
      const result = await hook.run(log, snapshot, committed);
      if (result !== undefined) reports.push({ hook: hook.name, result });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      log.reportPostCommitError(hook.name, error);
      reports.push({ hook: hook.name, error });
      // Cleanup relies on the checkpoint this commit was to write.
      if (hook === checkpointHook) break;
    }
  }
  return reports;
}
