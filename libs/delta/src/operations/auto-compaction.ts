import { CommitConflictError } from '../errors';
import { tableConfig } from '../log/table-config';
import { PostCommitHook } from '../log/transaction';
import { optimize, OptimizeResult, partitionKey } from './optimize';

export interface AutoCompactionResult extends OptimizeResult {
  /** Set when a concurrent writer removed files this compaction was rewriting: it gave up, nothing was lost. */
  gaveUp?: string;
}

/**
 * Auto-compaction (`delta.autoOptimize.autoCompact`): after a commit that added data, each
 * partition it wrote to that now holds `lakehouse.autoCompact.minNumFiles` small files is
 * compacted, in a dataChange=false commit. Under Delta's conflict rules that commit does not
 * conflict with concurrent appends; when another writer removed one of the same files first
 * (its own compaction, an overwrite), this one gives up and its new files are left for vacuum.
 * Its own OPTIMIZE commit does not trigger it again.
 */
export const autoCompactionHook: PostCommitHook = {
  name: 'auto-compaction',
  async run(log, snapshot, committed): Promise<AutoCompactionResult | undefined> {
    const cfg = tableConfig(snapshot.configuration).autoCompact;
    if (!cfg.enabled || committed.operation === 'OPTIMIZE') return undefined;
    const columns = snapshot.partitionColumns;
    const written = new Map<string, Record<string, string | null>>();
    for (const a of committed.actions) if ('add' in a && a.add.dataChange) written.set(partitionKey(columns, a.add.partitionValues), a.add.partitionValues);
    if (written.size === 0) return undefined;
    const smallFiles = new Map<string, number>();
    for (const f of snapshot.state.files.values()) {
      if (f.size >= cfg.maxFileSize) continue;
      const key = partitionKey(columns, f.partitionValues);
      if (written.has(key)) smallFiles.set(key, (smallFiles.get(key) ?? 0) + 1);
    }
    const crowded = [...written].filter(([key]) => (smallFiles.get(key) ?? 0) >= cfg.minNumFiles).map(([, values]) => values);
    if (crowded.length === 0) return undefined;
    try {
      return await optimize(log, snapshot, { partitions: crowded, targetFileSize: cfg.maxFileSize, minFilesToCompact: cfg.minNumFiles });
    } catch (e) {
      if (!(e instanceof CommitConflictError)) throw e;
      return { numFilesRemoved: 0, numFilesAdded: 0, partitionsOptimized: 0, gaveUp: e.message };
    }
  },
};
