import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { DeltaTable } from '@app/delta';
import { salesSchema, tempDir } from './fixtures';

const REPO = path.resolve(__dirname, '../../..');
const LIB = path.resolve(__dirname, '..');

/**
 * The writer script and libs/delta/src transpiled once to plain JS: four `ts-node` processes
 * starting at once spend ~10 s compiling on a 2-core machine, plain node starts in < 1 s.
 */
export function transpileWriter(): string {
  const out = tempDir('delta-writer-js-');
  const sources: string[] = [path.join(__dirname, 'concurrent-writer.ts'), path.join(__dirname, 'fixtures.ts')];
  const walk = (dir: string): void => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) sources.push(p);
    }
  };
  walk(path.join(LIB, 'src'));
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  for (const file of sources) {
    const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText;
    const dest = path.join(out, path.relative(LIB, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  return path.join(out, 'test', 'concurrent-writer.js');
}
export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Writer {
  /** Resolves once the process has loaded, opened the table and warmed DuckDB up. */
  ready: Promise<void>;
  go(): void;
  done: Promise<Outcome>;
}

/** Starts `concurrent-writer` for `batches` commits of `rows` rows; with `barrier`, it waits for `go()` once `ready`. */
export function startWriter(script: string, dir: string, writer: number, barrier: boolean, batches: number, rows: number): Writer {
  const args = [script, dir, String(writer), String(batches), String(rows)];
  const child = spawn(process.execPath, barrier ? [...args, '--barrier'] : args, {
    cwd: REPO,
    // The transpiled copy lives in a temp dir: resolve @duckdb/node-api from the repo.
    env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules'), DUCKDB_THREADS: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady(); // never leave the barrier waiting on a writer that died
      resolve({ code, stdout: stdout.replace(/^ready\n/, ''), stderr });
    });
  });
  if (!barrier) child.stdin.end();
  return { ready, go: () => child.stdin.end('go\n'), done };
}


/** Writer processes racing on one table: `writing()` is true until every one has exited. */
export interface WriterRace {
  done: Promise<Outcome[]>;
  writing(): boolean;
}

/**
 * Creates a sales table at `dir` with auto-compaction (from `minFilesToCompact` small files) and
 * starts `writers` processes appending `batches` commits of `rows` rows each, released at once.
 */
export async function startWriterRace(dir: string, opts: { writers: number; batches: number; rows: number; minFilesToCompact: number }): Promise<WriterRace> {
  await DeltaTable.create(dir, {
    schema: salesSchema,
    partitionColumns: ['jour'],
    configuration: { 'delta.autoOptimize.autoCompact': 'true', 'lakehouse.autoCompact.minNumFiles': String(opts.minFilesToCompact) },
  });
  const script = transpileWriter();
  const writers = Array.from({ length: opts.writers }, (_, w) => startWriter(script, dir, w, true, opts.batches, opts.rows));
  await Promise.all(writers.map((w) => w.ready));
  for (const w of writers) w.go();
  let writing = true;
  const done = Promise.all(writers.map((w) => w.done)).finally(() => (writing = false));
  return { done, writing: () => writing };
}
