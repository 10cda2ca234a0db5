import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, FileMeta, NotFoundError, ObjectStore } from './object-store';

/** A table on the local file system (or a POSIX shared volume such as a ReadWriteMany PVC). */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private abs(p: string): string {
    return path.join(this.root, ...p.split('/'));
  }

  async get(p: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.abs(p));
    } catch (e) {
      throw notFoundOr(e, p);
    }
  }

  /**
   * Temp file + link(2): link fails with EEXIST if the target exists, and the target appears
   * with its full content at once. rename(2) would silently overwrite a concurrent winner.
   */
  async putIfAbsent(p: string, data: Buffer | string): Promise<void> {
    const target = this.abs(p);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${path.dirname(target)}/.tmp-${randomUUID()}`;
    await fs.writeFile(tmp, data);
    try {
      await fs.link(tmp, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(p);
      throw e;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  }

  async put(p: string, data: Buffer | string): Promise<void> {
    const target = this.abs(p);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${path.dirname(target)}/.tmp-${randomUUID()}`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  }

  async head(p: string): Promise<FileMeta> {
    try {
      const st = await fs.stat(this.abs(p));
      return { path: p, size: st.size, modificationTime: Math.floor(st.mtimeMs) };
    } catch (e) {
      throw notFoundOr(e, p);
    }
  }

  async list(prefix: string, startAfter?: string): Promise<FileMeta[]> {
    const dir = this.abs(prefix);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    // Only the names from `startAfter` on are sorted and stat-ed.
    if (startAfter !== undefined) names = names.filter((name) => name >= startAfter);
    names.sort();
    const out: FileMeta[] = [];
    for (const name of names) {
      const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
      if (!st || !st.isFile()) continue;
      out.push({ path: prefix ? `${prefix}/${name}` : name, size: st.size, modificationTime: Math.floor(st.mtimeMs) });
    }
    return out;
  }

  async listRecursive(prefix: string): Promise<FileMeta[]> {
    const out: FileMeta[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(this.abs(rel), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const ent of entries) {
        const child = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) await walk(child);
        else if (ent.isFile()) {
          const st = await fs.stat(this.abs(child)).catch(() => undefined);
          if (st) out.push({ path: child, size: st.size, modificationTime: Math.floor(st.mtimeMs) });
        }
      }
    };
    await walk(prefix);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(p: string): Promise<void> {
    await fs.unlink(this.abs(p)).catch((e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
  }

  async stagingPath(p: string): Promise<string> {
    const target = this.abs(p);
    await fs.mkdir(path.dirname(target), { recursive: true });
    return target;
  }

  async publish(_path: string, _stagingPath: string): Promise<void> {
    // Written in place: data files are invisible until a commit references them.
  }

  async readablePath(p: string): Promise<string> {
    return this.abs(p);
  }
}

function notFoundOr(e: unknown, p: string): Error {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new NotFoundError(p);
  return e as Error;
}
