import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Action, AddAction, DeletionVectorDescriptor, RemoveAction } from '../protocol/actions';
import { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent, sqlString, withConnection } from '../parquet/duckdb';
import { NotFoundError, ObjectStore } from '../storage/object-store';
import { checkpointPath, LAST_CHECKPOINT } from './log-files';
import { TableState } from './table-state';
import { assertCanWrite } from '../protocol/protocol-support';

/** Checkpoint columns, every field nullable, maps as MAP(VARCHAR,VARCHAR): the classic checkpoint schema. */
const CHECKPOINT_COLUMNS: Record<string, string> = {
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add:
    'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, ' +
    'dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
  remove:
    'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, ' +
    'partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)',
  metaData:
    'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), ' +
    'schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
};

/** DuckDB's default maximum JSON object size, kept when every action is shorter: its read buffers (twice this) do not get smaller below it. */
const MIN_JSON_OBJECT_BYTES = 16 << 20;

export interface LastCheckpoint {
  version: number;
  size: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
  parts?: number;
}

/** The actions a checkpoint at this state holds: protocol, metaData, txns, live adds and unexpired tombstones. */
export function checkpointActions(state: TableState, tombstoneRetentionMs: number, now = Date.now()): Action[] {
  // A checkpoint is a write: one of a table with deletion vectors would drop them from its adds.
  if (state.protocol) assertCanWrite(state.protocol);
  const actions: Action[] = [];
  if (state.protocol) actions.push({ protocol: state.protocol });
  if (state.metadata) actions.push({ metaData: state.metadata });
  for (const txn of state.txns.values()) actions.push({ txn });
  for (const add of state.files.values()) actions.push({ add: { ...add, dataChange: false } });
  for (const r of state.tombstones.values()) {
    if ((r.deletionTimestamp ?? 0) + tombstoneRetentionMs <= now) continue;
    actions.push({
      remove: {
        path: r.path,
        deletionTimestamp: r.deletionTimestamp,
        dataChange: false,
        extendedFileMetadata: r.extendedFileMetadata ?? false,
        partitionValues: r.partitionValues,
        size: r.size,
      },
    });
  }
  return actions;
}

/**
 * Writes `n.checkpoint.parquet` then `_last_checkpoint`. The actions go through NDJSON into
 * DuckDB's JSON reader with the explicit checkpoint schema, which is much faster than
 * appending nested values from JS.
 */
export async function writeCheckpoint(store: ObjectStore, version: number, actions: Action[]): Promise<LastCheckpoint> {
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-cp-'));
  try {
    const ndjson = path.join(tmpDir, 'actions.ndjson');
    const parquet = path.join(tmpDir, 'checkpoint.parquet');
    const lines = actions.map((a) => JSON.stringify(a));
    await fs.writeFile(ndjson, lines.join('\n') + '\n');
    // DuckDB's JSON reader reserves twice the maximum object size: sized to the longest action
    // rather than a fixed 1 GiB, so a checkpoint also runs under a process memory limit.
    let maxObjectBytes = MIN_JSON_OBJECT_BYTES;
    for (const l of lines) maxObjectBytes = Math.max(maxObjectBytes, Buffer.byteLength(l) + 1);
    const columns = `{${Object.entries(CHECKPOINT_COLUMNS)
      .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
      .join(', ')}}`;
    await withConnection((conn) =>
      conn.run(
        `COPY (SELECT ${Object.keys(CHECKPOINT_COLUMNS).map(sqlIdent).join(', ')} FROM read_json(${sqlString(ndjson)}, ` +
          `format='newline_delimited', columns=${columns}, maximum_object_size=${maxObjectBytes})) ` +
          `TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION snappy)`,
      ),
    );
    const bytes = await fs.readFile(parquet);
    await store.put(checkpointPath(version), bytes);
    const last: LastCheckpoint = {
      version,
      size: actions.length,
      sizeInBytes: bytes.length,
      numOfAddFiles: actions.filter((a) => 'add' in a).length,
    };
    await store.put(LAST_CHECKPOINT, JSON.stringify(last));
    return last;
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}

export async function readLastCheckpoint(store: ObjectStore): Promise<LastCheckpoint | undefined> {
  try {
    return JSON.parse((await store.get(LAST_CHECKPOINT)).toString('utf8')) as LastCheckpoint;
  } catch (e) {
    // A missing or torn hint is not an error: readers fall back to listing the log.
    if (e instanceof NotFoundError || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

const REMOVE_FIELDS = ['path', 'deletionTimestamp', 'dataChange', 'extendedFileMetadata', 'partitionValues', 'size'] as const;

function pick<T>(obj: Record<string, unknown>, fields: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (obj[f] !== undefined && obj[f] !== null) out[f] = obj[f];
  return out as T;
}

/**
 * Reads a checkpoint (one file or all parts of a multi-part one) written by us, Spark or
 * delta-rs. Columns a writer left out read as absent; extra fields (stats_parsed,
 * partitionValues_parsed) are dropped.
 */
export async function readCheckpoint(store: ObjectStore, files: string[]): Promise<Action[]> {
  const paths = await Promise.all(files.map((f) => store.readablePath(f)));
  const source = `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name=true)`;
  return withConnection(async (conn) => {
    const probe = await conn.runAndReadAll(`SELECT * FROM ${source} LIMIT 0`);
    const names = probe.columnNames();
    const present = new Set(names);
    const actions: Action[] = [];
    if (present.has('add')) {
      const addType = probe.columnType(names.indexOf('add')) as unknown as { entryNames: string[] };
      actions.push(...(await readAdds(conn, source, new Set(addType.entryNames))));
    }
    // The other actions are few: read them whole as JSON.
    const cols = Object.keys(CHECKPOINT_COLUMNS).filter((c) => c !== 'add' && present.has(c));
    if (cols.length === 0) return actions;
    const reader = await conn.runAndReadAll(
      `SELECT ${cols.map((c) => `to_json(${sqlIdent(c)}) AS ${sqlIdent(c)}`).join(', ')} FROM ${source}` +
        (present.has('add') ? ' WHERE "add" IS NULL' : ''),
    );
    for (const row of reader.getRowsJS()) {
      for (let i = 0; i < cols.length; i++) {
        const json = row[i] as string | null;
        if (json === null) continue;
        const value = JSON.parse(json) as Record<string, unknown>;
        switch (cols[i]) {
          case 'remove':
            actions.push({ remove: pick<RemoveAction>(value, REMOVE_FIELDS) });
            break;
          case 'txn':
            actions.push({ txn: value as never });
            break;
          case 'metaData':
            actions.push({ metaData: normaliseMetadata(value) });
            break;
          case 'protocol':
            actions.push({ protocol: pick(value, ['minReaderVersion', 'minWriterVersion', 'readerFeatures', 'writerFeatures']) });
            break;
        }
      }
    }
    return actions;
  });
}

/**
 * The live files, usually nearly all of a checkpoint's rows, are read field by field rather than
 * as one JSON document each, which made building the JSON text and parsing it back the main cost
 * of opening a large table (bench:delta's snapshot bench). Only the maps go through JSON.
 */
async function readAdds(conn: DuckDBConnection, source: string, fields: ReadonlySet<string>): Promise<Action[]> {
  const opt = (name: string, expr: string) => (fields.has(name) ? expr : 'NULL');
  const reader = await conn.runAndReadAll(
    `SELECT "add".path, to_json("add".partitionValues), "add".size, "add".modificationTime, "add".dataChange, ` +
      `${opt('stats', '"add".stats')}, ${opt('tags', 'to_json("add".tags)')}, ${opt('deletionVector', 'to_json("add".deletionVector)')}, ` +
      `${opt('stats_parsed', 'to_json("add".stats_parsed)')} ` +
      `FROM ${source} WHERE "add" IS NOT NULL`,
  );
  const actions: Action[] = [];
  for (const [path, partitionValues, size, modificationTime, dataChange, stats, tags, deletionVector, statsParsed] of reader.getRowsJS()) {
    const add: AddAction = {
      path: path as string,
      partitionValues: partitionValues === null ? {} : (JSON.parse(partitionValues as string) as Record<string, string | null>),
      size: Number(size),
      modificationTime: Number(modificationTime),
      dataChange: dataChange === true,
    };
    if (stats !== null) add.stats = stats as string;
    else if (statsParsed !== null) add.stats = statsFromStruct(statsParsed as string);
    if (tags !== null) add.tags = JSON.parse(tags as string) as Record<string, string>;
    if (deletionVector !== null) add.deletionVector = withoutNulls(JSON.parse(deletionVector as string) as DeletionVectorDescriptor);
    actions.push({ add });
  }
  return actions;
}

/**
 * A checkpoint written with `delta.checkpoint.writeStatsAsJson=false` has only `stats_parsed`:
 * its row count and null counts become JSON stats. Its min/max values are left out (no skipping
 * on them rather than comparing values in another textual format).
 */
function statsFromStruct(json: string): string | undefined {
  const parsed = JSON.parse(json) as { numRecords?: number | null; nullCount?: Record<string, unknown> | null };
  if (parsed.numRecords === null || parsed.numRecords === undefined) return undefined;
  return JSON.stringify({ numRecords: Number(parsed.numRecords), ...(parsed.nullCount ? { nullCount: parsed.nullCount } : {}) });
}

/** A struct read from Parquet has every field, null when absent: `offset` of an inline vector must read as absent. */
function withoutNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)) as T;
}

function normaliseMetadata(v: Record<string, unknown>): never {
  const format = (v.format as { provider?: string; options?: Record<string, string> | null }) ?? {};
  return {
    ...v,
    format: { provider: format.provider ?? 'parquet', options: format.options ?? {} },
    partitionColumns: (v.partitionColumns as string[] | null) ?? [],
    configuration: (v.configuration as Record<string, string> | null) ?? {},
  } as never;
}
