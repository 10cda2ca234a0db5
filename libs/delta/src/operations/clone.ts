import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Action, AddAction } from '../protocol/actions';
import { assertCanWrite } from '../protocol/protocol-support';
import { DataFileMissingError, TableExistsError, VersionNotAvailableError } from '../errors';
import { decodeLogPath } from '../parquet/partition-path';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { storeForUri } from '../storage/store-for-uri';
import { loadSnapshot } from '../log/snapshot';
import { earliestReconstructable, latestVersion } from '../log/version-probe';
import { commitWithRetries } from '../log/transaction';
import { footprint } from '../log/conflict-checker';

export interface CloneOptions {
  /** The source version to copy (default: the latest). */
  version?: number;
  /** Store of the source (default: from its URI). */
  sourceStore?: ObjectStore;
  /** Store of the clone (default: from its URI). */
  targetStore?: ObjectStore;
  /**
   * Also copy the application transaction versions (`txn`: the ingestor's Kafka offsets). Delta's
   * CLONE leaves them out, since a clone is another table; a backup meant to replace the table it
   * was taken from keeps them, so that the ingestor resumes after the offsets it holds, exactly once.
   */
  withAppTransactions?: boolean;
  /** Data files copied at once (default 8). */
  parallelism?: number;
  /** Clock of the commit timestamp (ms). */
  clock?: () => number;
}

/** Spark's CLONE metrics. */
export interface CloneMetrics {
  sourceTableSize: number;
  sourceNumOfFiles: number;
  numCopiedFiles: number;
  copiedFilesSize: number;
  numRemovedFiles: number;
  removedFilesSize: number;
}

export interface CloneResult {
  sourceVersion: number;
  metrics: CloneMetrics;
}

/**
 * Deep clone (Spark's `CREATE TABLE ... DEEP CLONE ... VERSION AS OF`): the data files live at one
 * version of `source` are copied under `target`, a new table whose version 0 holds the source's
 * protocol and metadata (with a new table id: it is another table) and one add per file, at the
 * same relative path, with its stats and partition values. Its commitInfo is a CLONE naming the
 * source and its version. The files are copied before the commit, so the clone appears whole or
 * not at all; a target that already holds a table is refused (TableExistsError). Either side may be a folder or an
 * `s3://` root: files go through the stores, each staged locally once.
 */
export async function deepClone(source: string, target: string, opts: CloneOptions = {}): Promise<CloneResult> {
  const from = opts.sourceStore ?? storeForUri(source);
  const to = opts.targetStore ?? storeForUri(target);
  if (opts.version !== undefined) {
    const latest = await latestVersion(from);
    const earliest = latest < 0 ? 0 : await earliestReconstructable(from, latest);
    if (latest >= 0 && (opts.version > latest || opts.version < earliest)) {
      throw new VersionNotAvailableError(`version ${opts.version} of ${source} is not available (versions ${earliest} to ${latest} are)`);
    }
  }
  const snap = await loadSnapshot(from, source, opts.version);
  assertCanWrite(snap.protocol);
  if ((await latestVersion(to)) >= 0) throw new TableExistsError(target);

  const files = snap.files();
  const parallelism = Math.max(1, opts.parallelism ?? 8);
  for (let i = 0; i < files.length; i += parallelism) {
    await Promise.all(files.slice(i, i + parallelism).map((f) => copyDataFile(from, to, decodeLogPath(f.path))));
  }

  const size = files.reduce((n, f) => n + f.size, 0);
  const metrics: CloneMetrics = {
    sourceTableSize: size,
    sourceNumOfFiles: files.length,
    numCopiedFiles: files.length,
    copiedFilesSize: size,
    numRemovedFiles: 0,
    removedFilesSize: 0,
  };
  const clock = opts.clock ?? Date.now;
  const actions: Action[] = [
    { protocol: snap.protocol },
    { metaData: { ...snap.metadata, id: randomUUID(), createdTime: clock() } },
    ...(opts.withAppTransactions ? [...snap.state.txns.values()].map((txn) => ({ txn })) : []),
    ...files.map((f): { add: AddAction } => ({ add: { ...f, dataChange: true } })),
  ];
  await commitWithRetries(
    to,
    {
      actions,
      operation: 'CLONE',
      operationParameters: { source, sourceVersion: String(snap.version), isShallow: 'false' },
      operationMetrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, String(v)])),
      readVersion: -1,
      isBlindAppend: false,
      footprint: footprint({ changesMetadata: true }),
    },
    { maxRetries: 0, clock },
  );
  return { sourceVersion: snap.version, metrics };
}

/** One data file from store to store, through the local copies the stores hand out (no whole file in memory). */
async function copyDataFile(from: ObjectStore, to: ObjectStore, path: string): Promise<void> {
  const staged = await to.stagingPath(path);
  try {
    await fs.copyFile(await from.readablePath(path), staged);
  } catch (e) {
    if (e instanceof NotFoundError) throw new DataFileMissingError(e);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataFileMissingError(new NotFoundError(path));
    throw e;
  }
  await to.publish(path, staged);
}
