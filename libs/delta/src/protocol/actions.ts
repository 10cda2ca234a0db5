/** Delta log actions (PROTOCOL.md "Actions"), as they appear in commit files and checkpoints. */

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

/** Where the rows a file no longer holds are listed (PROTOCOL.md "Deletion Vector Descriptor Schema"). */
export interface DeletionVectorDescriptor {
  /** `u`: a file beside the data, named from a z85 UUID; `i`: inline, z85 bytes; `p`: an absolute path. */
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
}

/** Identifies a DV among the versions of one file: `(path, uniqueId)` is a logical file's key. */
export function deletionVectorUniqueId(dv: DeletionVectorDescriptor | null | undefined): string | undefined {
  if (!dv) return undefined;
  return dv.offset === undefined || dv.offset === null ? `${dv.storageType}${dv.pathOrInlineDv}` : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`;
}

export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null>;
  size?: number;
  deletionVector?: DeletionVectorDescriptor | null;
}

/** The tombstone of a live file, with the extended metadata (partition values, size) Spark writes. */
export function removeActionFor(file: AddAction, deletionTimestamp: number, dataChange: boolean): RemoveAction {
  return { path: file.path, deletionTimestamp, dataChange, extendedFileMetadata: true, partitionValues: file.partitionValues, size: file.size };
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

/** Free-form; operationParameters and operationMetrics stay flat string maps because Spark's history reader needs that. */
export interface CommitInfoAction {
  timestamp: number;
  operation: string;
  operationParameters: Record<string, string>;
  operationMetrics?: Record<string, string>;
  readVersion?: number;
  isolationLevel?: string;
  isBlindAppend?: boolean;
  engineInfo?: string;
  [key: string]: unknown;
}

export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfoAction };

/** Per-file statistics stored as a JSON string in `add.stats` (PROTOCOL.md "Per-file Statistics"). */
export interface FileStats {
  numRecords: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, number>;
}

export const ENGINE_INFO = 'lakehouse-delta-ts/0.1';

/** One action per line; unknown actions from newer writers are kept out of the typed union by the reader. */
export function serializeActions(actions: Action[]): string {
  return actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
}

export function parseActions(text: string): Action[] {
  const out: Action[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    out.push(JSON.parse(line) as Action);
  }
  return out;
}

/** Stats parsed per action, with the text they were parsed from: file skipping asks for them on every scan. */
const parsedStats = new WeakMap<AddAction, { text: string; stats: FileStats | undefined }>();

/** The file's stats (undefined when absent or unparsable), parsed once per action: the object is shared, never change it. */
export function parseStats(add: AddAction): FileStats | undefined {
  if (!add.stats) return undefined;
  const known = parsedStats.get(add);
  if (known?.text === add.stats) return known.stats;
  let stats: FileStats | undefined;
  try {
    stats = JSON.parse(add.stats) as FileStats;
  } catch {
    // Unparsable stats are no stats: the file is never skipped, its rows not counted.
    stats = undefined;
  }
  parsedStats.set(add, { text: add.stats, stats });
  return stats;
}

/**
 * Rows in data files, summed from their stats (files without stats count as 0), less the rows
 * their deletion vectors remove: `numRecords` counts the physical file.
 */
export function countRecords(files: Iterable<AddAction>): number {
  let n = 0;
  for (const f of files) {
    const stats = parseStats(f);
    if (stats?.numRecords !== undefined) n += stats.numRecords - (f.deletionVector?.cardinality ?? 0);
  }
  return n;
}
