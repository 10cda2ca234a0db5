/**
 * Runs the delta-rs (python `deltalake`) scripts in ./py and parses the one JSON document each
 * prints. The python executable is `python3`, or $PYTHON when set.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { PrimitiveType, Row, StructType } from '@app/delta';

const PY_DIR = path.join(__dirname, 'py');

export function pythonExecutable(): string {
  return process.env.PYTHON || 'python3';
}

/** A JSON-safe value as printed by py/rows.py. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonRow = Record<string, JsonValue>;

export interface DeltaRsField {
  name: string;
  type: string;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface DeltaRsArrowField {
  name: string;
  type: string;
  nullable: boolean;
}

export interface DeltaRsFile {
  path: string;
  size: number;
  numRecords: number | null;
  modificationTime: number | string | null;
  partitionValues: Record<string, JsonValue>;
  minValues: Record<string, JsonValue>;
  maxValues: Record<string, JsonValue>;
  nullCount: Record<string, JsonValue>;
}

export interface DeltaRsHistoryEntry {
  version: number;
  operation: string;
  timestamp: number;
  timestampIso: string | null;
  operationParameters: Record<string, unknown> | null;
  operationMetrics: Record<string, unknown> | null;
  engineInfo: string | null;
  clientVersion: string | null;
}

export interface DeltaRsTable {
  version: number;
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[]; writerFeatures?: string[] };
  metadata: {
    id: string;
    name: string | null;
    description: string | null;
    partitionColumns: string[];
    configuration: Record<string, string>;
    createdTime: number | null;
  };
  schema: DeltaRsField[];
  arrowSchema: DeltaRsArrowField[];
  numRows: number;
  rows?: JsonRow[];
  files?: DeltaRsFile[];
  history?: DeltaRsHistoryEntry[];
}

export interface DeltaRsWriteResult {
  version: number;
  numRows: number;
  checkpointVersion: number | null;
  dictionaryEncoded: boolean;
  dictionaryEncodedColumns: string[];
  rows?: JsonRow[];
}

/** delta-rs (or the script) reported `{"error": ...}`. */
export class DeltaRsError extends Error {
  constructor(
    readonly script: string,
    readonly reason: string,
  ) {
    super(`${script}: ${reason}`);
    this.name = 'DeltaRsError';
  }
}

function parseDoc(script: string, text: string | undefined): Record<string, unknown> | undefined {
  if (!text || !text.trim()) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${script} printed something that is not JSON: ${text.slice(0, 500)}`);
  }
}

/** Runs one script and returns its JSON document; throws DeltaRsError on `{"error": ...}`. */
export function runScript<T>(script: string, args: readonly string[]): T {
  let stdout: string;
  try {
    stdout = execFileSync(pythonExecutable(), [path.join(PY_DIR, script), ...args], {
      encoding: 'utf8',
      // jest's process.env is the test's own copy: pass it, with the AWS variables a test set.
      env: process.env,
      maxBuffer: 512 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; status?: number | null; message: string };
    const doc = parseDoc(script, err.stdout);
    if (doc && typeof doc.error === 'string') throw new DeltaRsError(script, doc.error);
    throw new Error(`${script} failed (exit ${err.status ?? '?'}): ${err.stderr || err.message}`);
  }
  const doc = parseDoc(script, stdout);
  if (!doc) throw new Error(`${script} printed nothing`);
  if ('error' in doc) throw new DeltaRsError(script, String(doc.error));
  return doc as T;
}

export interface ReadOptions {
  version?: number;
  timestamp?: Date | string;
  history?: boolean;
  files?: boolean;
  rowsLimit?: number;
  noRows?: boolean;
}

/** `read_table.py`: the table as delta-rs sees it (rows sorted by their string form). */
export function readTable(uri: string, opts: ReadOptions = {}): DeltaRsTable {
  const args = [uri];
  if (opts.version !== undefined) args.push('--version', String(opts.version));
  if (opts.timestamp !== undefined) {
    args.push('--timestamp', opts.timestamp instanceof Date ? opts.timestamp.toISOString() : opts.timestamp);
  }
  if (opts.history) args.push('--history');
  if (opts.files) args.push('--files');
  if (opts.rowsLimit !== undefined) args.push('--rows-limit', String(opts.rowsLimit));
  if (opts.noRows) args.push('--no-rows');
  return runScript<DeltaRsTable>('read_table.py', args);
}

/** `write_table.py`: delta-rs writes a table for one scenario. */
export function writeTable(uri: string, scenario: string, opts: { force?: boolean; noRows?: boolean } = {}): DeltaRsWriteResult {
  const args = [uri, '--scenario', scenario];
  if (opts.force) args.push('--force');
  if (opts.noRows) args.push('--no-rows');
  return runScript<DeltaRsWriteResult>('write_table.py', args);
}

/** The arrow type delta-rs reads each Delta primitive type as. */
export const ARROW_TYPES: Partial<Record<PrimitiveType, string>> = {
  long: 'int64',
  integer: 'int32',
  short: 'int16',
  byte: 'int8',
  double: 'double',
  float: 'float',
  string: 'string',
  boolean: 'bool',
  timestamp: 'timestamp[us, tz=UTC]',
  date: 'date32[day]',
};

export function expectedArrowTypes(schema: StructType): Array<{ name: string; type: string | undefined }> {
  return schema.fields.map((f) => ({ name: f.name, type: typeof f.type === 'string' ? ARROW_TYPES[f.type] : undefined }));
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One of our values in the JSON form py/rows.py prints (see toJsonRow), nested ones too. */
function toJsonValue(v: unknown): JsonValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  return v as JsonValue;
}

/**
 * One of our rows (readRows(): long as bigint, timestamps/dates already ISO strings) in the JSON
 * form py/rows.py prints: 64-bit ints beyond +-(2^53-1) as decimal strings, bytes as base64,
 * struct, array and map ([key, value] pairs) values converted the same way inside.
 */
export function toJsonRow(row: Row): JsonRow {
  return toJsonValue(row) as JsonRow;
}

function canonical(row: JsonRow): string {
  return JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]));
}

/** Rows as a sorted multiset, so two engines' outputs compare whatever their order. */
export function sortedRows(rows: ReadonlyArray<JsonRow | Row>): JsonRow[] {
  return rows
    .map((r) => toJsonRow(r as Row))
    .map((r) => ({ key: canonical(r), r }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.r);
}
