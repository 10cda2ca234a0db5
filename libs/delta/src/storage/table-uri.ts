/** Whether a table root is on object storage rather than a local (or mounted) folder. */
export function isObjectStoreUri(uri: string): boolean {
  return /^s3a?:\/\//.test(uri);
}
