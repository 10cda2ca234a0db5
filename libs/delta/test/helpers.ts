import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  Action,
  AddAction,
  commitPath,
  isObjectStoreUri,
  MetadataAction,
  parseActions,
  ProtocolAction,
  Row,
  serializeActions,
  serializeSchema,
  sqlString,
  storeForUri,
  StructType,
  withConnection,
} from '@app/delta';
import { salesSchema } from './fixtures';

// The log helpers take a table root, a local folder or an s3:// URI (see backends.ts), and read it through its store.

/** The actions of one commit file, read straight from storage. */
export async function readLog(root: string, version: number): Promise<Action[]> {
  return parseActions((await storeForUri(root).get(commitPath(version))).toString('utf8'));
}

/** Writes a commit file by hand (for crafted or corrupted logs). */
export async function writeLog(root: string, version: number, actions: Action[]): Promise<void> {
  await storeForUri(root).put(commitPath(version), serializeActions(actions));
}

/** Every file name in `_delta_log`, sorted. */
export async function logFiles(root: string): Promise<string[]> {
  return (await storeForUri(root).list('_delta_log')).map((f) => f.path.slice('_delta_log/'.length)).sort();
}

/** Versions of the JSON commits present in the log, ascending. */
export async function commitVersions(root: string): Promise<number[]> {
  return (await logFiles(root))
    .map((n) => /^(\d{20})\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Everything under a table root, folders included on a local disk (S3 has none): what a refused operation must not leave. */
export async function rootEntries(root: string): Promise<string[]> {
  if (isObjectStoreUri(root)) return (await storeForUri(root).listRecursive('')).map((f) => f.path);
  return (await fs.readdir(root, { recursive: true })).sort();
}

/** An empty folder under a table root: a directory on a local disk, a folder marker (a key ending in '/') on S3. */
export async function makeFolder(root: string, folder: string): Promise<void> {
  if (isObjectStoreUri(root)) await storeForUri(root).put(`${folder}/`, '');
  else await fs.mkdir(path.join(root, ...folder.split('/')), { recursive: true });
}

/** Copies every file of a table root to another root (of any backend). */
export async function copyRoot(from: string, to: string): Promise<void> {
  const [source, target] = [storeForUri(from), storeForUri(to)];
  for (const f of await source.listRecursive('')) await target.put(f.path, await source.get(f.path));
}

/** Deletes a table root and everything under it. */
export async function removeRoot(root: string): Promise<void> {
  if (isObjectStoreUri(root)) {
    const store = storeForUri(root);
    for (const f of await store.listRecursive('')) await store.delete(f.path);
  } else await fs.rm(root, { recursive: true, force: true });
}

/** A path DuckDB reads a table's file at: the file itself on a local disk, a downloaded copy on S3. */
export async function readablePath(root: string, file: string): Promise<string> {
  return storeForUri(root).readablePath(file);
}

/** A table file's size in bytes, as its storage reports it. */
export async function fileSize(root: string, file: string): Promise<number> {
  return (await storeForUri(root).head(file)).size;
}

/** Data files (relative paths) outside `_delta_log`, sorted. */
export async function dataFiles(root: string): Promise<string[]> {
  return (await storeForUri(root).listRecursive(''))
    .map((f) => f.path)
    .filter((p) => !p.startsWith('_delta_log/'))
    .sort();
}

export function actionsOf<K extends 'add' | 'remove' | 'txn' | 'commitInfo' | 'metaData' | 'protocol'>(
  actions: Action[],
  kind: K,
): Array<Extract<Action, Record<K, unknown>>[K]> {
  return actions.filter((a) => kind in a).map((a) => (a as unknown as Record<K, never>)[kind]);
}

export function commitInfoOf(actions: Action[]) {
  const infos = actionsOf(actions, 'commitInfo');
  expect(infos).toHaveLength(1);
  return infos[0];
}

export function metadataFor(schema: StructType, partitionColumns: string[], configuration: Record<string, string> = {}): MetadataAction {
  return {
    id: '8b9f7c1e-2d0a-4c53-9a55-0f4c5e1d2a77',
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(schema),
    partitionColumns,
    configuration,
    createdTime: 1718000000000,
  };
}

/** Version 0 of a sales table written by hand with the given protocol (as another engine would). */
export async function craftTable(dir: string, protocol: ProtocolAction): Promise<void> {
  await writeLog(dir, 0, [
    { commitInfo: { timestamp: 1718000000000, operation: 'CREATE TABLE', operationParameters: {} } },
    { protocol },
    { metaData: metadataFor(salesSchema, ['jour']) },
  ]);
}

export interface ParquetColumn {
  name: string;
  type: string | null;
  converted_type: string | null;
  logical_type: string | null;
}

/** `parquet_schema()` rows of a file's leaf columns. */
export async function parquetColumns(file: string): Promise<ParquetColumn[]> {
  return withConnection(async (conn) => {
    const r = await conn.runAndReadAll(
      `SELECT name, type, converted_type, logical_type FROM parquet_schema(${sqlString(file)}) WHERE num_children IS NULL`,
    );
    return r.getRowObjectsJS() as unknown as ParquetColumn[];
  });
}

export async function query(sql: string): Promise<Record<string, unknown>[]> {
  return withConnection(async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
}

/** Rows as `readRows` returns them (long as bigint), sorted by vente_id: lets fixture rows be compared to read rows. */
export function asRead(rows: readonly Row[]): Row[] {
  return sortById(rows.map((r) => ({ ...r, vente_id: typeof r.vente_id === 'bigint' ? r.vente_id : BigInt(r.vente_id as number) })));
}

export function sortById(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => (BigInt(a.vente_id as bigint) < BigInt(b.vente_id as bigint) ? -1 : 1));
}

export function ids(rows: readonly Row[]): number[] {
  return rows.map((r) => Number(r.vente_id)).sort((a, b) => a - b);
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

export function statsOf(add: AddAction): {
  numRecords: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, number>;
} {
  expect(typeof add.stats).toBe('string');
  return JSON.parse(add.stats!);
}

/** Sets a file's access and modification times (ms since the epoch). */
export async function setMtime(file: string, ms: number): Promise<void> {
  await fs.utimes(file, ms / 1000, ms / 1000);
}

export const DAY_MS = 86_400_000;
