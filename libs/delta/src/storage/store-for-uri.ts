import { LocalObjectStore } from './local-store';
import { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-store';
import { isObjectStoreUri } from './table-uri';
import { InvalidArgumentError } from '../errors';

/** The store of a table root: `s3://bucket/prefix` (or `s3a://`) on S3, anything else a local folder. */
export function storeForUri(uri: string): ObjectStore {
  if (isObjectStoreUri(uri)) return new S3ObjectStore(uri);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://'))
    throw new InvalidArgumentError(`unsupported table location ${uri} (expected a folder or s3://bucket/prefix)`);
  return new LocalObjectStore(uri.replace(/^file:\/\//, ''));
}
