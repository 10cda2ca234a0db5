import { Action, CommitInfoAction, ENGINE_INFO, serializeActions } from '../../protocol/actions';
import { AlreadyExistsError, ObjectStore } from '../../storage/object-store';
import { checkConflicts, TransactionFootprint } from '../conflict-checker';
import { commitPath } from '../log-files';
import { readCommit } from '../snapshot';
import { checkpointExists, commitExists } from '../version-probe';
import { CommitRetriesExhaustedError, TableExistsError, VersionNotAvailableError } from '../../errors';

export interface CommitRequest {
  actions: Action[];
  operation: string;
  operationParameters?: Record<string, string>;
  operationMetrics?: Record<string, string>;
  readVersion: number;
  footprint: TransactionFootprint;
  isBlindAppend: boolean;
}

export interface CommitResult {
  version: number;
  /** Actions of the commits that won earlier versions, in order, so the caller's snapshot can catch up. */
  winners: Action[][];
  actions: Action[];
}

export interface CommitOptions {
  maxRetries?: number;
  /** The commitInfo timestamp's clock (ms). */
  clock?: () => number;
}

const stringify = (m: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, String(v)]));

/**
 * Optimistic concurrency: try `readVersion + 1` with put-if-absent; when another writer got
 * there first, check its actions against what this transaction read and wrote, and retry at
 * the next version. Data files are never rewritten on retry: only the log entry moves.
 */
export async function commitWithRetries(store: ObjectStore, req: CommitRequest, opts: CommitOptions = {}): Promise<CommitResult> {
  const maxRetries = opts.maxRetries ?? 100;
  const winners: Action[][] = [];
  // Log cleanup deletes versions below a newer checkpoint: put-if-absent would then "succeed" in a
  // freed slot behind the checkpoint, a commit no reader ever sees. The read version must still be there.
  if (req.readVersion >= 0 && !(await commitExists(store, req.readVersion)) && !(await checkpointExists(store, req.readVersion))) {
    throw new VersionNotAvailableError(`version ${req.readVersion}, which this transaction read, is no longer in the log (expired by log cleanup); reopen the table`);
  }
  let version = req.readVersion + 1;
  for (let attempt = 0; ; attempt++) {
    const commitInfo: CommitInfoAction = {
      timestamp: (opts.clock ?? Date.now)(),
      operation: req.operation,
      operationParameters: stringify(req.operationParameters),
      ...(req.operationMetrics ? { operationMetrics: stringify(req.operationMetrics) } : {}),
      ...(req.readVersion >= 0 ? { readVersion: req.readVersion } : {}),
      isolationLevel: req.footprint.isolationLevel ?? 'WriteSerializable',
      isBlindAppend: req.isBlindAppend,
      engineInfo: ENGINE_INFO,
    };
    const actions: Action[] = [{ commitInfo }, ...req.actions];
    try {
      await store.putIfAbsent(commitPath(version), serializeActions(actions));
      return { version, winners, actions };
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      if (version === 0) throw new TableExistsError('this location (its version 0 was committed concurrently)');
      if (attempt >= maxRetries) throw new CommitRetriesExhaustedError(`gave up committing after ${maxRetries} retries under contention`);
    }
    const winner = await readCommit(store, version);
    checkConflicts(req.footprint, winner, version);
    winners.push(winner);
    version++;
    // Jitter spreads writers that keep colliding on the same version.
    if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * attempt)));
  }
}
