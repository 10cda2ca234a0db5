import { FileMeta, ObjectStore, storeForUri } from '@app/delta';

/** The store of a table root (local or S3), counting the calls the log code makes and how many reads are in flight at once. */
export class CountingStore implements ObjectStore {
  calls = { get: 0, head: 0, list: 0, listRecursive: 0, delete: 0 };
  inFlight = 0;
  maxInFlight = 0;
  private readonly inner: ObjectStore;

  constructor(root: string) {
    this.inner = storeForUri(root);
  }

  reset(): void {
    this.calls = { get: 0, head: 0, list: 0, listRecursive: 0, delete: 0 };
    this.maxInFlight = 0;
  }

  /** Log reads and probes (get + head). */
  get probes(): number {
    return this.calls.get + this.calls.head;
  }

  async get(p: string): Promise<Buffer> {
    this.calls.get++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.inner.get(p);
    } finally {
      this.inFlight--;
    }
  }

  head(p: string): Promise<FileMeta> {
    this.calls.head++;
    return this.inner.head(p);
  }

  list(prefix: string, startAfter?: string): Promise<FileMeta[]> {
    this.calls.list++;
    return this.inner.list(prefix, startAfter);
  }

  listRecursive(prefix: string): Promise<FileMeta[]> {
    this.calls.listRecursive++;
    return this.inner.listRecursive(prefix);
  }

  delete(p: string): Promise<void> {
    this.calls.delete++;
    return this.inner.delete(p);
  }

  putIfAbsent(p: string, data: Buffer | string): Promise<void> {
    return this.inner.putIfAbsent(p, data);
  }

  put(p: string, data: Buffer | string): Promise<void> {
    return this.inner.put(p, data);
  }

  stagingPath(p: string): Promise<string> {
    return this.inner.stagingPath(p);
  }

  publish(p: string, staged: string): Promise<void> {
    return this.inner.publish(p, staged);
  }

  readablePath(p: string): Promise<string> {
    return this.inner.readablePath(p);
  }
}
