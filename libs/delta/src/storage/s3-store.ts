import { createReadStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DEFAULT_LOCAL_COPIES_MAX_BYTES, LocalCopies } from './local-copies';
import { AlreadyExistsError, FileMeta, NotFoundError, ObjectStore } from './object-store';
import { InvalidArgumentError } from '../errors';

export interface S3ObjectStoreOptions {
  /** The client to use; by default one per process, configured from the standard AWS environment (see s3ClientFromEnv). */
  client?: S3Client;
  /** Where data files are staged for DuckDB and downloaded copies are kept (default: <tmpdir>/lakehouse-s3). */
  localDir?: string;
  /**
   * Byte budget of the local copies in that folder, for the whole process (the first store's
   * setting counts); default LAKEHOUSE_S3_CACHE_MAX_BYTES, or 1 GiB.
   */
  localCopiesMaxBytes?: number;
}

/** A bucket and a key prefix (no leading or trailing '/'), from `s3://bucket/prefix`. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m || !m[1]) throw new InvalidArgumentError(`not an s3:// URI: ${uri}`);
  return { bucket: m[1], prefix: m[2].replace(/\/+$/, '') };
}

/**
 * The S3 client of the standard AWS chain: credentials, region and endpoint from the
 * environment, shared config and instance roles, as every AWS tool reads them
 * (AWS_ENDPOINT_URL_S3 for a non-AWS server). Path-style addressing, which servers without
 * bucket DNS names need, with AWS_S3_FORCE_PATH_STYLE=true. Throttling (503 SlowDown, 429)
 * and network errors are retried with exponential backoff and jitter by the SDK's standard
 * retry strategy, up to AWS_MAX_ATTEMPTS (default here 10).
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    forcePathStyle: ['true', '1', 'yes'].includes((env.AWS_S3_FORCE_PATH_STYLE ?? '').toLowerCase()),
    // The SDK has no default region; a custom endpoint (SeaweedFS...) does not care which.
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS) || 10,
    retryMode: 'standard',
  });
}

let sharedClient: S3Client | undefined;

/**
 * A Delta table under an `s3://bucket/prefix` root. Commits are atomic by conditional write
 * (`If-None-Match: *`, which S3 and compatible servers answer with 412 when the key exists), so
 * the log code is the same as on a local disk. DuckDB reads and writes local files only (its S3
 * extension is downloaded at run time), so data files are written to a staging file and uploaded
 * in `publish`, and read from a local copy downloaded once: Delta data files never change once
 * written, so a copy never goes stale. The copies stay within a byte budget (LocalCopies).
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly localDir: string;
  private readonly copies: LocalCopies;
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(uri: string, opts: S3ObjectStoreOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(uri));
    this.client = opts.client ?? (sharedClient ??= s3ClientFromEnv());
    this.localDir = path.resolve(opts.localDir ?? path.join(os.tmpdir(), 'lakehouse-s3'));
    this.copies = LocalCopies.in(path.join(this.localDir, 'cache'), {
      maxBytes: opts.localCopiesMaxBytes ?? (Number(process.env.LAKEHOUSE_S3_CACHE_MAX_BYTES) || DEFAULT_LOCAL_COPIES_MAX_BYTES),
    });
  }

  private key(p: string): string {
    return this.prefix ? (p ? `${this.prefix}/${p}` : this.prefix) : p;
  }

  /** The table-relative path of a key listed under the root. */
  private relative(key: string): string {
    return this.prefix ? key.slice(this.prefix.length + 1) : key;
  }

  async get(p: string): Promise<Buffer> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(p) }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (e) {
      throw notFoundOr(e, p);
    }
  }

  async putIfAbsent(p: string, data: Buffer | string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(p), Body: data, IfNoneMatch: '*' }));
        return;
      } catch (e) {
        const status = statusOf(e);
        if (status === 412) throw new AlreadyExistsError(p);
        // 409 ConditionalRequestConflict: another conditional write of this key is in flight; its
        // outcome decides ours, so ask again (S3's documented answer).
        if (status === 409 && attempt < 10) {
          await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 5)));
          continue;
        }
        throw e;
      }
    }
  }

  /** Replaces the file (checkpoints, `_last_checkpoint`): a local copy of the old content is dropped. */
  async put(p: string, data: Buffer | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(p), Body: data }));
    await this.copies.drop(this.cachePath(p));
  }

  async head(p: string): Promise<FileMeta> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(p) }));
      return { path: p, size: Number(res.ContentLength ?? 0), modificationTime: res.LastModified?.getTime() ?? 0 };
    } catch (e) {
      throw notFoundOr(e, p);
    }
  }

  /**
   * One level under `prefix`. S3's StartAfter excludes the key itself while `startAfter` here
   * includes it, so the listing starts after the name less its last character and names before
   * `startAfter` are dropped.
   */
  async list(prefix: string, startAfter?: string): Promise<FileMeta[]> {
    const folder = this.key(prefix);
    const keyPrefix = folder ? `${folder}/` : '';
    const from = startAfter ? keyPrefix + startAfter.slice(0, -1) : undefined;
    const files = await this.listKeys(keyPrefix, '/', from);
    return startAfter ? files.filter((f) => f.path.slice(f.path.lastIndexOf('/') + 1) >= startAfter) : files;
  }

  async listRecursive(prefix: string): Promise<FileMeta[]> {
    const folder = this.key(prefix);
    return this.listKeys(folder ? `${folder}/` : '', undefined, undefined);
  }

  private async listKeys(keyPrefix: string, delimiter: string | undefined, startAfter: string | undefined): Promise<FileMeta[]> {
    const out: FileMeta[] = [];
    let token: string | undefined;
    do {
      const res: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: keyPrefix,
          Delimiter: delimiter,
          StartAfter: token ? undefined : startAfter,
          ContinuationToken: token,
        }),
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        out.push({ path: this.relative(o.Key), size: Number(o.Size ?? 0), modificationTime: o.LastModified?.getTime() ?? 0 });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    // S3 lists in UTF-8 byte order; the log code compares JavaScript strings (the same for its ASCII names).
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(p: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(p) }));
    await this.copies.drop(this.cachePath(p));
  }

  async stagingPath(): Promise<string> {
    const dir = path.join(this.localDir, 'staging');
    await fs.mkdir(dir, { recursive: true });
    return path.join(dir, `${randomUUID()}.parquet`);
  }

  /** Uploads the staged file, then keeps it as the local copy (the writer often reads it next: checkpoints, optimize). */
  async publish(p: string, staged: string): Promise<void> {
    const { size } = await fs.stat(staged);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key(p), Body: createReadStream(staged), ContentLength: size }),
    );
    await this.copies.adopt(this.cachePath(p), staged);
  }

  /** A local copy of the file, downloaded once and kept while the budget allows (data files are immutable). */
  readablePath(p: string): Promise<string> {
    const cached = this.cachePath(p);
    let pending = this.downloads.get(cached);
    if (!pending) {
      pending = this.copies.get(cached, () => this.get(p)).finally(() => this.downloads.delete(cached));
      this.downloads.set(cached, pending);
    }
    return pending;
  }

  /** Keyed by bucket and key, hashed so that any key makes a short, valid file name. */
  private cachePath(p: string): string {
    const digest = createHash('sha256')
      .update(`${this.bucket}/${this.key(p)}`)
      .digest('hex');
    return path.join(this.localDir, 'cache', digest.slice(0, 2), `${digest.slice(2)}${path.extname(p)}`);
  }
}

function statusOf(e: unknown): number | undefined {
  return (e as S3ServiceException).$metadata?.httpStatusCode;
}

function notFoundOr(e: unknown, p: string): Error {
  const name = (e as Error).name;
  if (name === 'NoSuchBucket') return e as Error;
  if (name === 'NoSuchKey' || name === 'NotFound' || statusOf(e) === 404) return new NotFoundError(p);
  return e as Error;
}
