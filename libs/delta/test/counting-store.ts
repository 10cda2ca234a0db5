import { FileMeta, LocalObjectStore } from '@app/delta';

/** A local store that counts the calls the log code makes, and how many reads are in flight at once. */
export class CountingStore extends LocalObjectStore {
  calls = { get: 0, head: 0, list: 0, listRecursive: 0, delete: 0 };
  inFlight = 0;
  maxInFlight = 0;

  reset(): void {
    this.calls = { get: 0, head: 0, list: 0, listRecursive: 0, delete: 0 };
    this.maxInFlight = 0;
  }

  /** Log reads and probes (get + head). */
  get probes(): number {
    return this.calls.get + this.calls.head;
  }

  override async get(p: string): Promise<Buffer> {
    this.calls.get++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await super.get(p);
    } finally {
      this.inFlight--;
    }
  }

  override head(p: string): Promise<FileMeta> {
    this.calls.head++;
    return super.head(p);
  }

  override list(prefix: string, startAfter?: string): Promise<FileMeta[]> {
    this.calls.list++;
    return super.list(prefix, startAfter);
  }

  override listRecursive(prefix: string): Promise<FileMeta[]> {
    this.calls.listRecursive++;
    return super.listRecursive(prefix);
  }

  override delete(p: string): Promise<void> {
    this.calls.delete++;
    return super.delete(p);
  }
}
