/**
 * The storage a Delta table lives on. Paths are relative to the table root, with '/' separators.
 * The log code only needs these operations; put-if-absent is what makes commits atomic
 * (local disk: link(2); S3: If-None-Match: *; GCS: ifGenerationMatch=0).
 */
export interface FileMeta {
  path: string;
  size: number;
  modificationTime: number;
}

export interface ObjectStore {
  /** Reads a whole file; throws NotFoundError when it does not exist. */
  get(path: string): Promise<Buffer>;
  /** Creates the file only if no file has that path; throws AlreadyExistsError otherwise. Readers never see partial content. */
  putIfAbsent(path: string, data: Buffer | string): Promise<void>;
  /** Writes or replaces a file atomically (used for `_last_checkpoint` and checkpoint files). */
  put(path: string, data: Buffer | string): Promise<void>;
  head(path: string): Promise<FileMeta>;
  /**
   * Files directly under a folder (not recursive), sorted by path. With `startAfter`, only names
   * that sort at or after it (S3's StartAfter): snapshot loads list from the last checkpoint on.
   */
  list(prefix: string, startAfter?: string): Promise<FileMeta[]>;
  /** Every file below the root, recursively (for vacuum). */
  listRecursive(prefix: string): Promise<FileMeta[]>;
  delete(path: string): Promise<void>;
  /**
   * DuckDB reads and writes Parquet on local paths. A local store hands out the real path;
   * an object store would stage to a temp file and upload it in `publish`.
   */
  stagingPath(path: string): Promise<string>;
  publish(path: string, stagingPath: string): Promise<void>;
  /** A path DuckDB can read the file at (local path, or a downloaded copy for remote stores). */
  readablePath(path: string): Promise<string>;
}

export class NotFoundError extends Error {
  constructor(path: string) {
    super(`not found: ${path}`);
    this.name = 'NotFoundError';
  }
}

export class AlreadyExistsError extends Error {
  constructor(path: string) {
    super(`already exists: ${path}`);
    this.name = 'AlreadyExistsError';
  }
}
