import { Action } from '../../protocol/actions';
import { ObjectStore } from '../../storage/object-store';
import { LogCleaner } from '../log-cleanup';
import { Snapshot } from '../snapshot';

/** What a post-commit hook is told about the commit that just happened. */
export interface CommittedTransaction {
  version: number;
  operation: string;
  /** The committed actions, commitInfo first. */
  actions: Action[];
}

/**
 * Work done after a commit succeeded, on the snapshot brought to that version (delta-rs
 * PostCommitHook). A hook's failure never undoes or fails the commit: it is reported.
 */
export interface PostCommitHook {
  readonly name: string;
  run(log: TableLog, snapshot: Snapshot, committed: CommittedTransaction): Promise<unknown>;
}

export interface PostCommitReport {
  hook: string;
  result?: unknown;
  error?: Error;
}

export interface TableLogOptions {
  /** The clock of commit timestamps, tombstones and log retention (ms); injectable for simulations. */
  clock?: () => number;
  /** Hooks run after the built-in ones (checkpoint, expired log cleanup), in order. */
  postCommitHooks?: PostCommitHook[];
  /** Where a failed post-commit hook is reported; by default a process warning (stderr). */
  onPostCommitError?: (hook: string, error: Error) => void;
}

/**
 * One table's log as writers see it: the object store it lives on, the clock, the post-commit
 * hooks, and what log cleanup already removed (delta-rs LogStore).
 */
export class TableLog {
  readonly clock: () => number;
  readonly postCommitHooks: readonly PostCommitHook[];
  readonly cleaner: LogCleaner;
  private readonly onPostCommitError: (hook: string, error: Error) => void;

  constructor(
    readonly store: ObjectStore,
    opts: TableLogOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.postCommitHooks = opts.postCommitHooks ?? [];
    this.cleaner = new LogCleaner(store);
    this.onPostCommitError =
      opts.onPostCommitError ?? ((hook, error) => process.emitWarning(`Delta post-commit hook ${hook} failed: ${error.message}`, 'DeltaPostCommitWarning'));
  }

  reportPostCommitError(hook: string, error: Error): void {
    this.onPostCommitError(hook, error);
  }
}
