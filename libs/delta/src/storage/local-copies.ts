import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../errors';

/** Default byte budget of the local copies of object-store files (LAKEHOUSE_S3_CACHE_MAX_BYTES). */
export const DEFAULT_LOCAL_COPIES_MAX_BYTES = 1024 ** 3;

/**
 * A copy used this recently may be in a reader's hands: readablePath hands out a path that a
 * DuckDB query opens right after, with no release to say when it is done.
 */
const HOLD_MS = 60_000;

interface Copy {
  bytes: number;
  lastUse: number;
}

export interface LocalCopiesOptions {
  maxBytes?: number;
  holdMs?: number;
  clock?: () => number;
}

/**
 * The local copies an object store keeps of its files for DuckDB, which reads local files only,
 * within a byte budget: past it, the least recently used copies go, except those used in the
 * last minute (a query may be reading them). Delta files never change once written, so a copy
 * is either current or gone; one evicted is downloaded again when a version needs it.
 *
 * One instance per folder and process (`LocalCopies.in`), shared by the stores of every table.
 * Copies left in the folder by earlier processes count too. Several processes sharing the folder
 * each keep their own budget; each marks a copy used by touching its modification time, and
 * none evicts a copy another used within the hold time.
 */
export class LocalCopies {
  private static readonly byFolder = new Map<string, LocalCopies>();

  /** The copies kept in `dir` (the budget is the first caller's). */
  static in(dir: string, opts: LocalCopiesOptions = {}): LocalCopies {
    const folder = path.resolve(dir);
    let copies = LocalCopies.byFolder.get(folder);
    if (!copies) LocalCopies.byFolder.set(folder, (copies = new LocalCopies(folder, opts)));
    return copies;
  }

  readonly maxBytes: number;
  private readonly holdMs: number;
  private readonly clock: () => number;
  /** In least recently used order (a use moves a copy to the end). */
  private readonly copies = new Map<string, Copy>();
  private heldBytes = 0;
  private loaded?: Promise<void>;
  private evicting?: Promise<void>;

  constructor(
    readonly dir: string,
    opts: LocalCopiesOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_LOCAL_COPIES_MAX_BYTES;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) throw new InvalidArgumentError(`maxBytes must be a positive integer, got ${this.maxBytes}`);
    this.holdMs = opts.holdMs ?? HOLD_MS;
    this.clock = opts.clock ?? Date.now;
  }

  /** Bytes of the copies on disk that this process knows of. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * The copy at `file` (under `dir`), made from `fetch` unless it exists, and marked used.
   * Concurrent callers for one file share its download.
   */
  async get(file: string, fetch: () => Promise<Buffer>): Promise<string> {
    await this.load();
    const known = this.copies.get(file);
    if (known && (await this.touch(file, known))) return file;
    const data = await fetch();
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomUUID()}`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
    await this.added(file, data.length);
    return file;
  }

  /** Moves a local file in as the copy at `file` (an upload's staged file, which the writer often reads next). */
  async adopt(file: string, source: string): Promise<void> {
    await this.load();
    const { size } = await fs.stat(source);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.rename(source, file);
    await this.added(file, size);
  }

  /** Deletes the copy at `file` (its object was replaced or deleted). */
  async drop(file: string): Promise<void> {
    const copy = this.copies.get(file);
    if (copy) this.forget(file, copy);
    await fs.rm(file, { force: true });
  }

  /** Marks a known copy used; false when it is gone from disk (evicted by another process). */
  private async touch(file: string, copy: Copy): Promise<boolean> {
    const now = this.clock();
    try {
      await fs.utimes(file, now / 1000, now / 1000);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.forget(file, copy);
      return false;
    }
    this.copies.delete(file);
    this.copies.set(file, { ...copy, lastUse: now });
    return true;
  }

  private async added(file: string, bytes: number): Promise<void> {
    const now = this.clock();
    // The modification time is the last use, for the other processes sharing the folder.
    await fs.utimes(file, now / 1000, now / 1000);
    const old = this.copies.get(file);
    if (old) this.forget(file, old);
    this.copies.set(file, { bytes, lastUse: now });
    this.heldBytes += bytes;
    if (this.heldBytes > this.maxBytes) await this.evict();
  }

  private forget(file: string, copy: Copy): void {
    this.copies.delete(file);
    this.heldBytes -= copy.bytes;
  }

  /** One eviction pass at a time; a pass frees the least recently used copies not held until under budget. */
  private evict(): Promise<void> {
    this.evicting ??= this.evictPass()
      .catch((e: Error) => process.emitWarning(`evicting local copies in ${this.dir} failed: ${e.message}`, 'LocalCopiesWarning'))
      .finally(() => (this.evicting = undefined));
    return this.evicting;
  }

  private async evictPass(): Promise<void> {
    const heldSince = this.clock() - this.holdMs;
    for (const [file, copy] of [...this.copies]) {
      if (this.heldBytes <= this.maxBytes) return;
      if (copy.lastUse > heldSince || this.copies.get(file) !== copy) continue;
      // Another process may have used it since: its touch moved the modification time.
      const st = await fs.stat(file).catch(() => undefined);
      if (st && st.mtimeMs > heldSince) {
        this.copies.delete(file);
        this.copies.set(file, { ...copy, lastUse: st.mtimeMs });
        continue;
      }
      if (this.copies.get(file) !== copy) continue;
      this.forget(file, copy);
      await fs.rm(file, { force: true });
    }
  }

  /** Registers the copies earlier processes left in the folder, oldest use first. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const entries = await fs.readdir(this.dir, { recursive: true, withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
      const found: Array<[string, Copy]> = [];
      for (const ent of entries) {
        if (!ent.isFile() || ent.name.includes('.tmp-')) continue;
        const file = path.join(ent.parentPath, ent.name);
        const st = await fs.stat(file).catch(() => undefined);
        if (st) found.push([file, { bytes: st.size, lastUse: st.mtimeMs }]);
      }
      for (const [file, copy] of found.sort((a, b) => a[1].lastUse - b[1].lastUse)) {
        if (this.copies.has(file)) continue;
        this.copies.set(file, copy);
        this.heldBytes += copy.bytes;
      }
    })();
    return this.loaded;
  }
}
