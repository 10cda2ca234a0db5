import { Action, AddAction, countRecords, MetadataAction, parseActions, ProtocolAction } from '../protocol/actions';
import { assertCanRead } from '../protocol/protocol-support';
import { parseSchema, StructType } from '../schema/types';
import { ColumnMappingMode, columnMappingMode } from '../schema/column-mapping';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { checkpointExists, commitExists, lastCommitFrom } from './version-probe';
import { readCheckpoint, readLastCheckpoint } from './checkpoint';
import { checkpointPath, commitPath, LOG_DIR, LogFile, pad20, parseLogFileName } from './log-files';
import { TableState } from './table-state';
import { LogCorruptError, TableNotFoundError, VersionNotAvailableError } from '../errors';


/** A table as of one version: its protocol, metadata, live files and app transaction versions. */
export class Snapshot {
  private cachedSchema?: { source: string; schema: StructType };

  constructor(
    public version: number,
    readonly state: TableState,
  ) {}

  get protocol(): ProtocolAction {
    return this.state.protocol!;
  }

  get metadata(): MetadataAction {
    return this.state.metadata!;
  }

  get schema(): StructType {
    const source = this.metadata.schemaString;
    if (this.cachedSchema?.source !== source) this.cachedSchema = { source, schema: parseSchema(source) };
    return this.cachedSchema.schema;
  }

  get partitionColumns(): string[] {
    return this.metadata.partitionColumns;
  }

  get configuration(): Record<string, string> {
    return this.metadata.configuration;
  }

  /** How data files name their columns (PROTOCOL.md "Column Mapping"). */
  get columnMappingMode(): ColumnMappingMode {
    return columnMappingMode(this.protocol, this.configuration);
  }

  files(): AddAction[] {
    return [...this.state.files.values()];
  }

  /** The last version committed by this application id, or undefined when it never committed. */
  txnVersion(appId: string): number | undefined {
    return this.state.txns.get(appId)?.version;
  }

  numRecords(): number {
    return countRecords(this.state.files.values());
  }

}

interface LogSegment {
  checkpoint?: { version: number; files: string[] };
  commits: number[];
  version: number;
}

/**
 * Finds the newest complete checkpoint at or below the target and the commits after it: by name
 * from `_last_checkpoint` when it can (O(log n) probes, whatever the length of the log), by
 * listing the log otherwise (no or a multi-part hint, a target far below it, a gap): the listing
 * also gives the precise error when the target cannot be rebuilt.
 */
async function logSegment(store: ObjectStore, target?: number): Promise<LogSegment> {
  const hint = await readLastCheckpoint(store);
  if (hint && !hint.parts) {
    const segment = await segmentByProbing(store, hint.version, target);
    if (segment) return segment;
  }
  if (hint && (target === undefined || hint.version <= target)) {
    // Without a checkpoint there (deleted, or a hint past the newest one) this partial listing
    // misses the early commits and would report a gap: only a found checkpoint makes it usable.
    const segment = await segmentFromListing(store, target, pad20(hint.version)).catch(() => undefined);
    if (segment?.checkpoint) return segment;
  }
  return segmentFromListing(store, target, undefined);
}

/** Checkpoints looked for below a time-travel target before falling back to a listing. */
const CHECKPOINT_PROBES = 100;

async function segmentByProbing(store: ObjectStore, hinted: number, target?: number): Promise<LogSegment | undefined> {
  let base = -1;
  if (target === undefined || target >= hinted) {
    if (await checkpointExists(store, hinted)) base = hinted;
  } else {
    for (let v = target; v >= Math.max(0, target - CHECKPOINT_PROBES) && base < 0; v--) if (await checkpointExists(store, v)) base = v;
  }
  if (base < 0 && !(target !== undefined && target < CHECKPOINT_PROBES && (await commitExists(store, 0)))) return undefined;
  const last = target ?? (await lastCommitFrom(store, base));
  const commits = Array.from({ length: last - base }, (_, i) => base + 1 + i);
  // The commits between must all be there (a target past the end, or a hole, is left to the listing's errors).
  if (commits.length && !(await commitExists(store, last))) return undefined;
  if (base < 0 && !(await commitExists(store, 0))) return undefined;
  return { checkpoint: base >= 0 ? { version: base, files: [checkpointPath(base)] } : undefined, commits, version: last };
}

async function segmentFromListing(store: ObjectStore, target: number | undefined, startAfter?: string): Promise<LogSegment> {
  const listing = await store.list(LOG_DIR, startAfter);
  const commits: number[] = [];
  const checkpoints = new Map<number, string[]>();
  const multipart = new Map<string, { parts: number; files: string[] }>();
  for (const f of listing) {
    const parsed: LogFile | undefined = parseLogFileName(f.path.slice(LOG_DIR.length + 1));
    if (!parsed || (target !== undefined && parsed.version > target)) continue;
    if (parsed.kind === 'commit') commits.push(parsed.version);
    else if (parsed.kind === 'checkpoint') checkpoints.set(parsed.version, [f.path]);
    else if (parsed.kind === 'multipart-checkpoint') {
      const key = `${parsed.version}/${parsed.parts}`;
      const entry = multipart.get(key) ?? { parts: parsed.parts, files: [] };
      entry.files.push(f.path);
      multipart.set(key, entry);
    }
    // v2 checkpoints are never chosen: the protocol check refuses tables that need them.
  }
  for (const [key, entry] of multipart) {
    const version = Number(key.split('/')[0]);
    if (entry.files.length === entry.parts && !checkpoints.has(version)) checkpoints.set(version, entry.files.sort());
  }
  commits.sort((a, b) => a - b);
  const cpVersion = Math.max(-1, ...checkpoints.keys());
  const after = commits.filter((v) => v > cpVersion);
  const version = after.length ? after[after.length - 1] : cpVersion;
  if (version < 0) {
    // Log files above the target only: the table exists but that version's files have expired.
    if (target !== undefined && listing.some((f) => parseLogFileName(f.path.slice(LOG_DIR.length + 1)))) {
      throw new VersionNotAvailableError(`version ${target} cannot be rebuilt: the log has no commit or checkpoint at or below it (expired)`);
    }
    return { commits: [], version: -1 };
  }
  if (target !== undefined && version !== target) {
    throw new VersionNotAvailableError(`version ${target} cannot be rebuilt: the log ends at ${version} or its files have expired`);
  }
  let expected = cpVersion + 1;
  for (const v of after) {
    if (v !== expected) throw new LogCorruptError(`the Delta log is missing version ${expected} (found ${v})`);
    expected++;
  }
  return { checkpoint: cpVersion >= 0 ? { version: cpVersion, files: checkpoints.get(cpVersion)! } : undefined, commits: after, version };
}

export async function readCommit(store: ObjectStore, version: number): Promise<Action[]> {
  return parseActions((await store.get(commitPath(version))).toString('utf8'));
}

/** Reads commit files a few at a time in parallel but applies them in version order. */
export async function readCommits(store: ObjectStore, versions: readonly number[]): Promise<Action[][]> {
  const out: Action[][] = new Array(versions.length);
  const parallel = 16;
  for (let i = 0; i < versions.length; i += parallel) {
    const batch = versions.slice(i, i + parallel);
    const read = await Promise.all(batch.map((v) => readCommit(store, v)));
    read.forEach((actions, j) => (out[i + j] = actions));
  }
  return out;
}

export async function loadSnapshot(store: ObjectStore, where: string, version?: number): Promise<Snapshot> {
  const segment = await logSegment(store, version);
  if (segment.version < 0) throw new TableNotFoundError(where);
  const state = new TableState();
  if (segment.checkpoint) state.apply(await readCheckpoint(store, segment.checkpoint.files));
  for (const actions of await readCommits(store, segment.commits)) state.apply(actions);
  if (!state.protocol || !state.metadata) throw new LogCorruptError(`the Delta log at ${where} has no protocol or metaData`);
  assertCanRead(state.protocol);
  if (typeof state.metadata.schemaString !== 'string') throw new LogCorruptError(`the Delta log at ${where} has a metaData without schemaString`);
  return new Snapshot(segment.version, state);
}

/**
 * Applies the commits after `snapshot.version`, in place, and returns their actions. The next
 * versions are probed by name (`get` until NotFound), never by listing the log, so the cost is
 * that of the new commits alone. When the next commit is missing and so is the snapshot's own,
 * log cleanup has gone past this snapshot: it is rebuilt from the newest checkpoint instead
 * (then the returned actions are the whole new state, as one entry).
 */
export async function updateSnapshot(store: ObjectStore, snapshot: Snapshot): Promise<Action[][]> {
  const commits: Action[][] = [];
  for (;;) {
    const next = snapshot.version + 1 + commits.length;
    let actions: Action[];
    try {
      actions = await readCommit(store, next);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      if (commits.length === 0 && snapshot.version >= 0 && !(await commitExists(store, snapshot.version))) {
        return [await reloadPastCleanup(store, snapshot)];
      }
      break;
    }
    commits.push(actions);
  }
  for (const actions of commits) snapshot.state.apply(actions);
  if (commits.length) {
    snapshot.version += commits.length;
    assertCanRead(snapshot.state.protocol!);
  }
  return commits;
}

async function reloadPastCleanup(store: ObjectStore, snapshot: Snapshot): Promise<Action[]> {
  const fresh = await loadSnapshot(store, LOG_DIR);
  if (fresh.version < snapshot.version) {
    throw new LogCorruptError(`the Delta log ends at version ${fresh.version}, before this snapshot's ${snapshot.version}: was the table replaced?`);
  }
  snapshot.state.replaceWith(fresh.state);
  snapshot.version = fresh.version;
  return fresh.state.actions();
}
